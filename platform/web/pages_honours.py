"""Organiser pages for the monthly honour lists: generate drafts, review them, publish (the notice starts), and
answer the residents' objections raised during the notice period."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.honours import generation
from servicebank.honours import service as honours
from servicebank.honours.models import HonourList, HonourObjection, ObjectionStatus
from servicebank.honours.ranking import Filter
from servicebank.honours.views import entry_out
from servicebank.errors import DomainError
from servicebank.web import forms, friendly, i18n, manage_data
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render


class HonourPages(Controller):
    path = "/manage/honours"
    include_in_schema = False

    @get("/")
    async def lists(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    community: int | None = None) -> Response:
        """The community's lists, drafts with their entries for review."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await manage_data.pick_community(db_session, principal, community)
        principal.require_manager(chosen.id)
        rows = list((await db_session.scalars(
            select(HonourList).where(HonourList.scope_kind == "community", HonourList.scope_id == chosen.id)
            .order_by(HonourList.month.desc(), HonourList.id.desc()).limit(24))).all())
        drafts = {x.id: [entry_out(e) for e in await honours.entries(db_session, list_id=x.id)]
                  for x in rows if x.status == "draft"}
        month = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).strftime("%Y-%m")
        open_counts = dict((await db_session.execute(
            select(HonourObjection.list_id, func.count()).where(
                HonourObjection.list_id.in_([x.id for x in rows] or [0]),
                HonourObjection.status == ObjectionStatus.OPEN).group_by(HonourObjection.list_id))).all())
        return render(request, "manage_honours.html", principal, title=_("Honour lists"), community=chosen,
                      choices=choices, rows=rows, drafts=drafts, month=month, open_counts=open_counts,
                      state=lambda x: honours.public_state(x))

    @post("/generate")
    async def generate(self, request: Request, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """(Re)build the month's draft list for the community from the ledger."""
        principal = require_login(optional_principal)
        form = await request.form()
        community_id = int(form.get("community_id") or 0)
        principal.require_manager(community_id)
        await generation.generate_month(db_session, month=str(form.get("month", "")),
                                        timezone=request.app.state.settings.timezone,
                                        flt=Filter(community_id=community_id), user_id=principal.user_id)
        return redirect(request, f"/manage/honours?community={community_id}")

    @post("/{list_id:int}/publish")
    async def publish(self, request: Request, list_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Publish a reviewed draft: the public notice period starts."""
        principal = require_login(optional_principal)
        honour_list = await honours.publish(db_session, principal=principal, list_id=list_id)
        return redirect(request, f"/public/communities/{honour_list.scope_id}/honours?list_id={list_id}")

    @get("/{list_id:int}/objections")
    async def objections(self, request: Request, list_id: int, db_session: AsyncSession,
                         optional_principal: Principal | None, error: str | None = None) -> Response:
        """The residents' objections to a published list, open ones first, each with its resolution form."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        honour_list = await honours.get_list(db_session, list_id=list_id, principal=principal)
        rows = await honours.objections(db_session, principal=principal, list_id=list_id)
        rows.sort(key=lambda o: (o.status != ObjectionStatus.OPEN, o.id))
        problem = friendly.MESSAGES.get(error or "")
        return render(request, "objections.html", principal, title=_("Objections"), honour_list=honour_list,
                      rows=rows, error=_(problem) if problem else None,
                      flash=_("Resolved.") if request.query_params.get("done") == "resolved" else None)

    @post("/objections/{objection_id:int}/resolve")
    async def resolve(self, request: Request, objection_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Uphold or dismiss an objection with a note (a wrong figure is corrected in the ledger)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        list_id = int(forms.text(form, "list_id") or 0)
        try:
            objection = await honours.resolve_objection(db_session, principal=principal, objection_id=objection_id,
                                                        resolution=forms.text(form, "resolution"),
                                                        note=forms.text(form, "note"))
        except DomainError as exc:
            if exc.code in ("objection_not_found", "honour_list_not_found"):
                raise
            await db_session.rollback()
            return redirect(request, f"/manage/honours/{list_id}/objections?error={exc.code}")
        return redirect(request, f"/manage/honours/{objection.list_id}/objections?done=resolved")
