"""Organiser pages for the monthly honour lists: generate drafts, review them, publish (the notice starts)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.honours import generation
from servicebank.honours import service as honours
from servicebank.honours.models import HonourList
from servicebank.honours.ranking import Filter
from servicebank.honours.views import entry_out
from servicebank.web import i18n, manage_data
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
        return render(request, "manage_honours.html", principal, title=_("Honour lists"), community=chosen,
                      choices=choices, rows=rows, drafts=drafts, month=month,
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
