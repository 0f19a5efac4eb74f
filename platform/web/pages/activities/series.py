"""Organiser pages for changing an activity and for series: a friendly repeat picker that builds the RRULE,
the series' upcoming dates (each can be changed or cancelled on its own), editing and cancelling the series."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import series as series_service
from servicebank.activities import service as activities
from servicebank.activities.kinds import kinds_for
from servicebank.activities.models import Activity, ActivitySeries
from servicebank.activities.schemas import SeriesCreate
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.org import service as org
from servicebank.volunteers import teams as volunteer_teams
from servicebank.web import forms, friendly, i18n, recurrence
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

UPCOMING_SHOWN = 30


def _tz(request: Request) -> str:
    return request.app.state.settings.timezone


async def choices(session: AsyncSession, community_id: int, principal: Principal | None = None) -> dict[str, Any]:
    """What the activity fields offer: the kinds, the community's teams, skill suggestions. A team leader who
    does not manage the community may only post for the teams they lead, so only those are offered."""
    teams = await volunteer_teams.teams_of_community(session, community_id)
    leader_only = principal is not None and not principal.manages(community_id)
    if principal is not None and leader_only:
        teams = [t for t in teams if principal.leads(t.id)]
    return {"kinds": await kinds_for(session, community_id=community_id), "teams": teams,
            "skills": forms.SKILL_SUGGESTIONS, "leader_only": leader_only}


def _refused(exc: Exception) -> DomainError:
    return exc if isinstance(exc, DomainError) else InvalidInput(str(exc), code="invalid_input")


class SeriesPages(Controller):
    path = "/manage"
    include_in_schema = False

    @get("/activities/{activity_id:int}/edit")
    async def edit_activity_form(self, request: Request, activity_id: int, db_session: AsyncSession,
                                 optional_principal: Principal | None) -> Response:
        """Every field of an activity, ready to change."""
        principal = require_login(optional_principal)
        activity = await activities.get_for_staff(db_session, principal=principal, activity_id=activity_id)
        return await _edit_page(request, db_session, principal, activity, forms.prefill(activity, timezone=_tz(request)),
                                None)

    @post("/activities/{activity_id:int}/edit")
    async def edit_activity(self, request: Request, activity_id: int, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """Save the fields that changed (changing one date of a series detaches it from the series)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        activity = await activities.get_for_staff(db_session, principal=principal, activity_id=activity_id)
        try:
            wanted = forms.activity_fields(form, timezone=_tz(request), with_times=True)
            # The form shows minutes: seconds stored by a scan-era edit must not count as a change.
            current = forms.current_fields(activity) | {
                "starts_at": activity.starts_at.replace(second=0, microsecond=0),
                "ends_at": activity.ends_at.replace(second=0, microsecond=0)}
            await activities.update_activity(db_session, principal=principal, activity_id=activity_id,
                                             changes=forms.changes(current, wanted))
        except (DomainError, ValueError) as exc:
            await db_session.rollback()
            activity = await activities.get_for_staff(db_session, principal=principal, activity_id=activity_id)
            return await _edit_page(request, db_session, principal, activity, form,
                                    friendly.explain(_refused(exc), i18n.translator(lang_of(request))))
        return redirect(request, f"/manage/activities/{activity_id}?done=saved")

    @get("/series")
    async def series_list(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                          community: int | None = None) -> Response:
        """The community's repeating activities."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices_ = await org.pick_workplace(db_session, actor=principal, community_id=community)
        rows = sorted(await series_service.series_of_community(db_session, principal=principal,
                                                               community_id=chosen.id),
                      key=lambda s: (s.status, -s.id))
        items = [(s, _describe(request, s)) for s in rows]
        return render(request, "activities/series_list.html", principal, title=_("Repeating activities"),
                      community=chosen, choices=choices_, items=items)

    @get("/series/new")
    async def new_series(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                         community: int | None = None) -> Response:
        """The form for a repeating activity."""
        principal = require_login(optional_principal)
        chosen, _choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        today = dt.datetime.now(dt.UTC).date().isoformat()
        form = {"freq": "weekly", "weekday": [], "interval": "1", "monthday": "1", "first_day": today,
                "start_time": "09:00", "length_minutes": "120", "until": "", "publish": "1"}
        return await _series_form(request, db_session, principal, chosen.id, form, None)

    @post("/series/new")
    async def create_series(self, request: Request, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """Create the series: its dates for the next 90 days appear at once (published when asked)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        community_id = int(forms.text(form, "community_id") or 0)
        try:
            fields = forms.activity_fields(form, timezone=_tz(request), with_times=False)
            repeat = recurrence.parse_repeat(form)
            starts_at, ends_at = recurrence.first_occurrence(repeat, timezone=_tz(request))
            data = msgspec.convert({**fields, "community_id": community_id, "rrule": recurrence.to_rrule(repeat),
                                    "starts_at": starts_at, "ends_at": ends_at,
                                    "publish": forms.text(form, "publish") == "1"}, SeriesCreate)
            series = await series_service.create_series(db_session, principal=principal, data=data,
                                                        timezone=_tz(request))
        except (DomainError, ValueError, msgspec.ValidationError) as exc:
            await db_session.rollback()
            return await _series_form(request, db_session, principal, community_id, form,
                                      friendly.explain(_refused(exc), i18n.translator(lang_of(request))))
        return redirect(request, f"/manage/series/{series.id}?done=created")

    @get("/series/{series_id:int}")
    async def series_page(self, request: Request, series_id: int, db_session: AsyncSession,
                          optional_principal: Principal | None, done: str | None = None) -> Response:
        """One series: its schedule in words, the next dates, the edit and cancel forms."""
        principal = require_login(optional_principal)
        series = await series_service.get_series(db_session, principal=principal, series_id=series_id)
        return await _series_page(request, db_session, principal, series, None, None, done)

    @post("/series/{series_id:int}/edit")
    async def edit_series(self, request: Request, series_id: int, db_session: AsyncSession,
                          optional_principal: Principal | None) -> Response:
        """Change the series; future dates not changed on their own follow. A new schedule replaces the dates."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        series = await series_service.get_series(db_session, principal=principal, series_id=series_id)
        try:
            wanted = forms.activity_fields(form, timezone=_tz(request), with_times=False)
            changes = forms.changes(forms.current_fields(series.template), wanted)
            if forms.text(form, "reschedule") == "1":
                repeat = recurrence.parse_repeat(form)
                changes["starts_at"], changes["ends_at"] = recurrence.first_occurrence(repeat, timezone=_tz(request))
                changes["rrule"] = recurrence.to_rrule(repeat)
            await series_service.update_series(db_session, principal=principal, series_id=series_id, changes=changes)
        except (DomainError, ValueError) as exc:
            await db_session.rollback()
            series = await series_service.get_series(db_session, principal=principal, series_id=series_id)
            return await _series_page(request, db_session, principal, series, form,
                                      friendly.explain(_refused(exc), i18n.translator(lang_of(request))), None)
        return redirect(request, f"/manage/series/{series_id}?done=saved")

    @post("/series/{series_id:int}/cancel")
    async def cancel_series(self, request: Request, series_id: int, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """Stop the series: every date not yet started is cancelled and its volunteers are told."""
        principal = require_login(optional_principal)
        form = await request.form()
        reason = str(form.get("reason", "")).strip() or "Cancelled by the organiser."
        await series_service.cancel_series(db_session, principal=principal, series_id=series_id, reason=reason)
        return redirect(request, f"/manage/series/{series_id}?done=cancelled")


SERIES_DONE = {"created": i18n.N_("The series is created; its dates are listed below."),
               "saved": i18n.N_("Saved. Future dates follow the change."),
               "cancelled": i18n.N_("The series is cancelled; those signed up are told.")}


def _describe(request: Request, series: ActivitySeries) -> str:
    return recurrence.describe(series.rrule, first_start=series.first_starts_at, length_minutes=series.duration_minutes,
                               timezone=series.timezone, _=i18n.translator(lang_of(request)))


async def _edit_page(request: Request, session: AsyncSession, principal: Principal, activity: Activity,
                     form: dict[str, Any], error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    community = await org.get_community(session, activity.community_id)
    return render(request, "activities/activity_form.html", principal, status_code=422 if error else 200,
                  title=_("Change the activity"), community=community, activity=activity, form=form, error=error,
                  action=f"/manage/activities/{activity.id}/edit", **await choices(session, activity.community_id, principal))


async def _series_form(request: Request, session: AsyncSession, principal: Principal, community_id: int,
                       form: dict[str, Any], error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    chosen, _choices = await org.pick_workplace(session, actor=principal, community_id=community_id or None)
    return render(request, "activities/series_form.html", principal, status_code=422 if error else 200,
                  title=_("New repeating activity"), community=chosen, form=form, error=error,
                  weekdays=list(zip(recurrence.WEEKDAYS, recurrence.WEEKDAY_NAMES, strict=True)),
                  **await choices(session, chosen.id, principal))


async def _series_page(request: Request, session: AsyncSession, principal: Principal, series: ActivitySeries,
                       form: dict[str, Any] | None, error: str | None, done: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    upcoming = await series_service.upcoming_dates(session, series_id=series.id, limit=UPCOMING_SHOWN)
    schedule = recurrence.read_rrule(series.rrule, first_start=series.first_starts_at,
                                     length_minutes=series.duration_minutes, timezone=series.timezone)
    if form is None:
        form = forms.prefill(series.template, timezone=series.timezone) | (schedule or {})
    community = await org.get_community(session, series.community_id)
    return render(request, "activities/series.html", principal, status_code=422 if error else 200,
                  title=str(series.template.get("title") or _("Repeating activity")), series=series,
                  community=community, upcoming=upcoming, describe=_describe(request, series), form=form,
                  error=error, custom_rule=schedule is None, flash=_(SERIES_DONE[done]) if done in SERIES_DONE else None,
                  weekdays=list(zip(recurrence.WEEKDAYS, recurrence.WEEKDAY_NAMES, strict=True)),
                  **await choices(session, series.community_id, principal))
