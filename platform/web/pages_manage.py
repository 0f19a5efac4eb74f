"""Organiser pages: dashboard, activities (create, publish, cancel), the kiosk QR page, attendance review."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import service as activities
from servicebank.activities.kinds import kinds_for
from servicebank.activities.schemas import ActivityCreate
from servicebank.checkins import kiosk, review
from servicebank.checkins import repository as checkin_repo
from servicebank.errors import DomainError, InvalidInput
from servicebank.events import utcnow
from servicebank.web import charts, friendly, i18n, manage_data
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render


def parse_local(value: str, timezone: str) -> dt.datetime:
    """A datetime-local field ("2026-11-23T09:30") in the platform's timezone, as an aware time."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("Please give the date and time, e.g. 2026-11-23 09:30.", code="invalid_time") from None
    return naive.replace(tzinfo=ZoneInfo(timezone)) if naive.tzinfo is None else naive


def _today(request: Request) -> dt.date:
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


class ManagePages(Controller):
    path = "/manage"
    include_in_schema = False

    @get("/")
    async def dashboard(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                        community: int | None = None) -> Response:
        """This month's hours and active volunteers, upcoming activities, charts."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await manage_data.pick_community(db_session, principal, community)
        months = manage_data.last_months(_today(request), 6)
        minutes, active = await manage_data.month_figures(db_session, community_id=chosen.id, month=months[-1])
        kinds = {k.code: k.name for k in await kinds_for(db_session, community_id=chosen.id)}
        by_kind = await manage_data.activities_by_kind(db_session, community_id=chosen.id,
                                                       since=utcnow() - dt.timedelta(days=365))
        listed = await manage_data.community_activities(db_session, community_id=chosen.id, since=utcnow())
        return render(request, "manage.html", principal, title=_("Community dashboard"), community=chosen,
                      choices=choices, minutes=minutes, active=active, activities=listed, kinds=kinds,
                      hours_chart=charts.bar_chart(await manage_data.months_hours(
                          db_session, community_id=chosen.id, months=months), label=_("Hours per month")),
                      kind_chart=charts.share_chart([(kinds.get(k, k), n) for k, n in by_kind],
                                                    label=_("Activities by kind")))

    @get("/activities/new")
    async def new_activity(self, request: Request, db_session: AsyncSession,
                           optional_principal: Principal | None, community: int | None = None) -> Response:
        """The form for a new activity."""
        principal = require_login(optional_principal)
        chosen, choices = await manage_data.pick_community(db_session, principal, community)
        return await _activity_form(request, db_session, principal, chosen.id, {}, None)

    @post("/activities/new")
    async def create_activity(self, request: Request, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """Create the activity (published at once when asked)."""
        principal = require_login(optional_principal)
        form = dict(await request.form())
        _ = i18n.translator(lang_of(request))
        tz = request.app.state.settings.timezone
        try:
            community_id = int(form.get("community_id", "0"))
            capacity = int(form["capacity"]) if str(form.get("capacity", "")).strip() else None
            data = msgspec.convert({
                "community_id": community_id, "kind": form.get("kind", ""), "title": str(form.get("title", "")),
                "description": str(form.get("description", "")), "address": str(form.get("address", "")),
                "starts_at": parse_local(str(form.get("starts_at", "")), tz),
                "ends_at": parse_local(str(form.get("ends_at", "")), tz), "capacity": capacity,
                "publish": form.get("publish") == "1"}, ActivityCreate)
            activity = await activities.create_activity(db_session, principal=principal, data=data)
        except (DomainError, ValueError, msgspec.ValidationError) as exc:
            await db_session.rollback()
            error = exc if isinstance(exc, DomainError) else InvalidInput(str(exc), code="invalid_input")
            return await _activity_form(request, db_session, principal, int(form.get("community_id") or 0), form,
                                        friendly.explain(error, _))
        return redirect(request, f"/manage/activities/{activity.id}")

    @get("/activities/{activity_id:int}")
    async def activity(self, request: Request, activity_id: int, db_session: AsyncSession,
                       optional_principal: Principal | None, done: str | None = None) -> Response:
        """One activity: its state, publish/cancel, the kiosk link and the attendance to review."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        activity = await kiosk.staff_activity(db_session, activity_id=activity_id, principal=principal)
        rows = await checkin_repo.list_for_activity(db_session, activity_id=activity_id)
        return render(request, "manage_activity.html", principal, title=activity.title, activity=activity,
                      rows=rows, flash=_(DONE[done]) if done in DONE else None)

    @post("/activities/{activity_id:int}/publish")
    async def publish(self, request: Request, activity_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Open a draft for sign-ups."""
        principal = require_login(optional_principal)
        await activities.publish_activity(db_session, principal=principal, activity_id=activity_id)
        return redirect(request, f"/manage/activities/{activity_id}?done=published")

    @post("/activities/{activity_id:int}/cancel")
    async def cancel(self, request: Request, activity_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Cancel the activity with a reason (those signed up are told)."""
        principal = require_login(optional_principal)
        form = await request.form()
        reason = str(form.get("reason", "")).strip() or "Cancelled by the organiser."
        await activities.cancel_activity(db_session, principal=principal, activity_id=activity_id, reason=reason)
        return redirect(request, f"/manage/activities/{activity_id}?done=cancelled")

    @get("/activities/{activity_id:int}/kiosk")
    async def kiosk_page(self, request: Request, activity_id: int, db_session: AsyncSession,
                         optional_principal: Principal | None, purpose: str = "check-in") -> Response:
        """The big screen at the venue: the rotating code and the live count (refreshed by kiosk.js)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        purpose = "check-out" if purpose == "check-out" else "check-in"
        activity = await kiosk.staff_activity(db_session, activity_id=activity_id, principal=principal)
        code = await kiosk.kiosk_code(db_session, settings=request.app.state.settings, activity_id=activity_id,
                                      purpose=purpose, principal=principal, now=utcnow())
        count = await kiosk.live_count(db_session, activity_id=activity_id, principal=principal, now=utcnow())
        return render(request, "kiosk.html", principal, title=_("Check-in code"), activity=activity, code=code,
                      count=count, purpose=purpose)

    @post("/attendance/{attendance_id:int}/{action:str}")
    async def decide(self, request: Request, attendance_id: int, action: str, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Approve, adjust (set the times that count, and approve) or decline one attendance record."""
        principal = require_login(optional_principal)
        form = await request.form()
        tz = request.app.state.settings.timezone
        reason = str(form.get("reason", "")).strip()
        kwargs: dict[str, Any] = {"attendance_id": attendance_id, "principal": principal, "now": utcnow()}
        if action == "approve":
            att = await review.approve(db_session, reason=reason or None, **kwargs)
        elif action == "adjust":
            att = await review.adjust(db_session, checked_in_at=parse_local(str(form.get("checked_in_at", "")), tz),
                                      checked_out_at=parse_local(str(form.get("checked_out_at", "")), tz),
                                      reason=reason or "Adjusted by the organiser.", **kwargs)
        elif action == "decline":
            att = await review.decline(db_session, reason=reason or "Declined by the organiser.", **kwargs)
        else:
            raise InvalidInput("Unknown action.", code="invalid_input")
        return redirect(request, f"/manage/activities/{att.activity_id}?done={action}")


DONE = {"published": i18n.N_("Published: volunteers can sign up now."), "cancelled": i18n.N_("The activity is cancelled."),
        "approve": i18n.N_("Approved."), "adjust": i18n.N_("Times adjusted and approved."), "decline": i18n.N_("Declined.")}


async def _activity_form(request: Request, db_session: AsyncSession, principal: Principal, community_id: int,
                         form: dict[str, Any], error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    chosen, choices = await manage_data.pick_community(db_session, principal, community_id or None)
    kinds = await kinds_for(db_session, community_id=chosen.id)
    return render(request, "activity_form.html", principal, status_code=422 if error else 200,
                  title=_("New activity"), community=chosen, choices=choices, kinds=kinds, form=form, error=error)
