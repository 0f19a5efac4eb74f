"""Public pages: a community's upcoming activities, leaderboards, honour lists with objections, certificates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.errors import DomainError, NotFound
from servicebank.honours import certificates
from servicebank.honours import service as honours
from servicebank.honours.models import HonourList
from servicebank.honours.views import public_list
from servicebank.points.service import leaderboard_view
from servicebank.web import friendly, i18n, public_data, recurrence
from servicebank.web.render import lang_of, redirect, render

PERIODS = ("month", "year", "all")
CALENDAR_WEEKS = 4


def calendar(activities: list, timezone: str) -> list[tuple[dt.date, list]]:
    """Activities by local day, soonest first: the public calendar of the coming weeks."""
    zone = ZoneInfo(timezone)
    days: dict[dt.date, list] = {}
    for activity in activities:
        start = activity.starts_at if activity.starts_at.tzinfo else activity.starts_at.replace(tzinfo=dt.UTC)
        days.setdefault(start.astimezone(zone).date(), []).append(activity)
    return sorted(days.items())


def _period(request: Request, which: str) -> str:
    today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    return {"month": today.strftime("%Y-%m"), "year": today.strftime("%Y")}.get(which, "all")


class PublicPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/public/communities/{community_id:int}")
    async def community(self, request: Request, community_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """The community's calendar of the coming weeks and how to join, open to everyone."""
        community = await public_data.community(db_session, community_id)
        if community is None:
            raise NotFound("No such community.", code="community_not_found")
        until = dt.datetime.now(dt.UTC) + dt.timedelta(weeks=CALENDAR_WEEKS)
        timezone = request.app.state.settings.timezone
        activities = await public_data.upcoming(db_session, community_id=community_id, limit=100, until=until)
        return render(request, "public_community.html", optional_principal, title=community.name,
                      community=community, days=calendar(activities, timezone), weeks=CALENDAR_WEEKS,
                      weekday_names=recurrence.WEEKDAY_NAMES, kinds=await public_data.kind_names(db_session))

    @get("/leaderboard")
    async def leaderboard(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                          community: int | None = None, period: str = "month", by: str = "hours") -> Response:
        """Top volunteers by hours or points (names masked unless the volunteer agreed)."""
        _ = i18n.translator(lang_of(request))
        if community is None and optional_principal is not None:
            community = optional_principal.volunteer_community_id
        scope = f"community:{community}" if community else "city"
        period = period if period in PERIODS else "month"
        by = by if by in ("hours", "points") else "hours"
        viewer = optional_principal.volunteer_id if optional_principal else None
        board = await leaderboard_view(db_session, scope=scope, period=_period(request, period), by=by, limit=50,
                                       volunteer_id=viewer, viewer_volunteer_id=viewer)
        return render(request, "leaderboard.html", optional_principal, title=_("Leaderboard"), board=board,
                      communities=await public_data.communities(db_session), community=community, period=period,
                      by=by)

    @get("/public/communities/{community_id:int}/honours")
    async def honours_page(self, request: Request, community_id: int, db_session: AsyncSession,
                           optional_principal: Principal | None, list_id: int | None = None,
                           done: str | None = None) -> Response:
        """The community's published honour lists: in the notice period (with the objection form) and after."""
        return await _honours(request, db_session, optional_principal, community_id, list_id,
                              flash=i18n.N_("Thank you. The organisers will look into it.") if done == "objection" else None)

    @post("/public/honours/{list_id:int}/objections")
    async def object_to(self, request: Request, list_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """A resident's objection during the notice period (no login needed)."""
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        honour_list = await db_session.get(HonourList, list_id)
        if honour_list is None:
            raise NotFound("No such honour list.", code="honour_list_not_found")
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
    async def verify(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                     number: str | None = None, code: str | None = None) -> Response:
        """Check a service certificate by its number and verification code."""
        _ = i18n.translator(lang_of(request))
        found, error = None, None
        if number and code:
            try:
                found = await certificates.public_check(db_session, number=number, code=code)
            except DomainError as exc:
                error = friendly.explain(exc, _)
        return render(request, "verify.html", optional_principal, title=_("Verify a certificate"), found=found,
                      error=error, number=number or "", code=code or "")


async def _honours(request: Request, db_session: AsyncSession, principal: Principal | None, community_id: int,
                   list_id: int | None, *, flash: str | None = None, error: str | None = None,
                   status_code: int = 200) -> Response:
    _ = i18n.translator(lang_of(request))
    community = await public_data.community(db_session, community_id)
    if community is None:
        raise NotFound("No such community.", code="community_not_found")
    lists = list((await db_session.scalars(
        select(HonourList).where(HonourList.scope_kind == "community", HonourList.scope_id == community_id,
                                 HonourList.status != "draft").order_by(HonourList.month.desc()))).all())
    chosen = next((x for x in lists if x.id == list_id), lists[0] if lists else None)
    shown = await public_list(db_session, list_id=chosen.id) if chosen else None
    return render(request, "honours.html", principal, status_code=status_code,
                  title=_("Honour list"), community=community, lists=lists, shown=shown,
                  flash=_(flash) if flash else None, error=error)
