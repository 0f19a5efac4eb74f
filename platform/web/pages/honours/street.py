"""The street's own monthly honour list (街道光荣榜): the street office makes a finished month's draft, reviews it
section by section and publishes it; residents read it and object during the notice period. The monthly job
drafts these lists for every street; without these pages nobody could review, publish or read them.

The same honours services as the API (service.generate_for_scope with the street, service.publish,
raise_objection); a community's lists stay on /manage/honours."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.honours import service as honours
from servicebank.honours.views import public_list
from servicebank.kernel.errors import DomainError, NotFound
from servicebank.org import directory
from servicebank.web import forms, friendly, i18n
from servicebank.web.pages.honours.manage import SECTION_TITLES, last_month, sections
from servicebank.web.pages.org.admin import administrator
from servicebank.web.render import lang_of, local_time, redirect, render


class StreetHonourPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/admin/honours")
    async def lists(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    street: int | None = None, error: str | None = None,
                    published: int | None = None) -> Response:
        """The street's lists: state, version, open objections; drafts in sections with their publish button."""
        principal = administrator(optional_principal)
        _ = i18n.translator(lang_of(request))
        streets = await directory.streets_in_reach(db_session, actor=principal)
        chosen = next((s for s, _d in streets if s.id == street), streets[0][0] if streets else None)
        if chosen is None:
            raise NotFound("No such street.", code="street_not_found")
        rows = await honours.lists_for_scope(db_session, principal=principal, scope_kind="street", scope_id=chosen.id)
        rows = rows[:24]
        drafts = {x.id: sections(await honours.entries(db_session, list_id=x.id)) for x in rows if x.status == "draft"}
        done = next((x for x in rows if x.id == published and x.notice_ends_at is not None), None)
        problem = friendly.MESSAGES.get(error or "")
        return render(request, "honours/street_honours.html", principal, title=_("Street honour lists"), street=chosen,
                      streets=streets, rows=rows, drafts=drafts, month=last_month(request),
                      open_counts=await honours.open_objection_counts(db_session, list_ids=[x.id for x in rows]),
                      state=honours.public_state, section_titles=SECTION_TITLES,
                      error=_(problem) if problem else None,
                      flash=_("Published; in the notice period until %(date)s.",
                              date=local_time(request, done.notice_ends_at, "%Y-%m-%d")) if done else None)

    @post("/admin/honours/generate")
    async def generate(self, request: Request, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """(Re)build a finished month's draft for the street (and its communities' drafts, as the monthly job does)."""
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        street_id = int(forms.text(form, "street_id") or 0)
        back = f"/admin/honours?street={street_id}"
        try:
            await honours.generate_for_scope(db_session, principal=principal, month=forms.text(form, "month"),
                                             timezone=request.app.state.settings.timezone, street_id=street_id)
        except DomainError as exc:
            await db_session.rollback()
            return redirect(request, f"{back}&error={exc.code}")
        return redirect(request, back)

    @post("/admin/honours/{list_id:int}/publish")
    async def publish(self, request: Request, list_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Publish a reviewed street list: the notice starts; the street office stays on the page."""
        principal = administrator(optional_principal)
        honour_list = await honours.get_list(db_session, list_id=list_id, principal=principal)
        back = f"/admin/honours?street={honour_list.scope_id}"
        try:
            await honours.publish(db_session, principal=principal, list_id=list_id)
        except DomainError as exc:
            await db_session.rollback()
            return redirect(request, f"{back}&error={exc.code}")
        return redirect(request, f"{back}&published={list_id}")

    @get("/public/streets/{street_id:int}/honours")
    async def public_page(self, request: Request, street_id: int, read_session: AsyncSession,
                          optional_principal: Principal | None, list_id: int | None = None,
                          done: str | None = None) -> Response:
        """The street's published lists, as residents read them, with the objection form during the notice."""
        _ = i18n.translator(lang_of(request))
        return await _public(request, read_session, optional_principal, street_id, list_id,
                             flash=_("Thank you. The street office will look into it.") if done == "objection" else None)

    @post("/public/streets/honours/{list_id:int}/objections")
    async def object_to(self, request: Request, list_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """A resident's objection to a street list (no login needed; the same limit per address as the API)."""
        honour_list = await honours.get_list(db_session, list_id=list_id)
        street_id = honour_list.scope_id  # read now: the rollback below expires the row
        if honour_list.scope_kind != "street":
            raise NotFound("No such honour list.", code="honour_list_not_found")
        form = forms.values(await request.form())
        try:
            await honours.raise_objection(
                db_session, list_id=list_id, name=forms.text(form, "name"), phone=forms.text(form, "phone") or None,
                text=forms.text(form, "text"),
                client=honours.client_key(request.app.state.settings.secret_key, client_ip(request)))
        except DomainError as exc:
            await db_session.rollback()
            return await _public(request, db_session, optional_principal, street_id, list_id,
                                 error=friendly.explain(exc, i18n.translator(lang_of(request))),
                                 status_code=exc.status_code)
        return redirect(request, f"/public/streets/{street_id}/honours?list_id={list_id}&done=objection")


async def _public(request: Request, session: AsyncSession, principal: Principal | None, street_id: int,
                  list_id: int | None, *, flash: str | None = None, error: str | None = None,
                  status_code: int = 200) -> Response:
    _ = i18n.translator(lang_of(request))
    street = await directory.street(session, street_id)
    if street is None:
        raise NotFound("No such street.", code="street_not_found")
    lists = await honours.published_lists(session, scope_kind="street", scope_id=street_id)
    chosen = next((x for x in lists if x.id == list_id), lists[0] if lists else None)
    shown = await public_list(session, list_id=chosen.id) if chosen else None
    return render(request, "honours/honours.html", principal, status_code=status_code, title=_("Honour list"),
                  community=street, lists=lists, shown=shown, flash=flash, error=error,
                  objection_action=f"/public/streets/honours/{chosen.id}/objections" if chosen else None)
