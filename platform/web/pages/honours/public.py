"""Public honour pages: a community's published honour lists with objections, and certificate checks."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.honours import certificates
from servicebank.honours import service as honours
from servicebank.honours.views import public_list
from servicebank.kernel.errors import DomainError
from servicebank.org import service as org
from servicebank.web import friendly, i18n
from servicebank.web.render import lang_of, redirect, render


class PublicHonourPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/public/communities/{community_id:int}/honours")
    async def honours_page(self, request: Request, community_id: int, read_session: AsyncSession,
                           optional_principal: Principal | None, list_id: int | None = None,
                           done: str | None = None) -> Response:
        """The community's published honour lists: in the notice period (with the objection form) and after."""
        return await _honours(request, read_session, optional_principal, community_id, list_id,
                              flash=i18n.N_("Thank you. The organisers will look into it.") if done == "objection" else None)

    @post("/public/honours/{list_id:int}/objections")
    async def object_to(self, request: Request, list_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """A resident's objection during the notice period (no login needed)."""
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        honour_list = await honours.get_list(db_session, list_id=list_id)
        community_id = honour_list.scope_id  # read now: the rollback below expires the row
        # The same key as the API's, so one limit counts the objections of an address by either path.
        client = honours.client_key(request.app.state.settings.secret_key, client_ip(request))
        try:
            await honours.raise_objection(
                db_session, list_id=list_id, name=str(form.get("name", "")).strip(),
                phone=str(form.get("phone", "")).strip() or None, text=str(form.get("text", "")).strip(),
                client=client)
        except DomainError as exc:
            await db_session.rollback()
            return await _honours(request, db_session, optional_principal, community_id, list_id,
                                  error=friendly.explain(exc, _), status_code=exc.status_code)
        return redirect(request, f"/public/communities/{community_id}/honours?list_id={list_id}"
                                 "&done=objection")

    @get("/verify")
    async def verify(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                     number: str | None = None, code: str | None = None) -> Response:
        """Check a service certificate by its number and verification code."""
        _ = i18n.translator(lang_of(request))
        found, error = None, None
        if number and code:
            try:
                found = await certificates.public_check(read_session, number=number, code=code)
            except DomainError as exc:
                error = friendly.explain(exc, _)
        return render(request, "honours/verify.html", optional_principal, title=_("Verify a certificate"), found=found,
                      error=error, number=number or "", code=code or "")


async def _honours(request: Request, db_session: AsyncSession, principal: Principal | None, community_id: int,
                   list_id: int | None, *, flash: str | None = None, error: str | None = None,
                   status_code: int = 200) -> Response:
    _ = i18n.translator(lang_of(request))
    community = await org.get_community(db_session, community_id)
    lists = await honours.published_lists(db_session, scope_id=community_id)
    chosen = next((x for x in lists if x.id == list_id), lists[0] if lists else None)
    shown = await public_list(db_session, list_id=chosen.id) if chosen else None
    return render(request, "honours/honours.html", principal, status_code=status_code,
                  title=_("Honour list"), community=community, lists=lists, shown=shown,
                  flash=_(flash) if flash else None, error=error)
