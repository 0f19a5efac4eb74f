"""Organiser pages: dashboard, activities (create, publish, cancel), the kiosk QR page, attendance review."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import browse
from servicebank.activities import service as activities
from servicebank.activities.browse import list_activities, staff_signups
from servicebank.activities.kinds import kinds_for
from servicebank.activities.schemas import ActivityCreate
from servicebank.checkins import access as checkins_access
from servicebank.checkins import backlog, kiosk, records, review
from servicebank.honours import service as honours
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.ledger import service as ledger
from servicebank.org import service as org
from servicebank.web import charts, forms, friendly, i18n
from servicebank.web.forms import parse_local
from servicebank.web.guard import require_login, safe_next
from servicebank.web.pages.activities.series import choices
from servicebank.web.pages.checkins.attendance import proxy_box, proxy_flash
from servicebank.web.pages.records import insurance as pages_insurance
from servicebank.web.pages.records import no_shows as pages_no_shows
from servicebank.web.render import lang_of, redirect, render


def _today(request: Request) -> dt.date:
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


class ManagePages(Controller):
    path = "/manage"
    include_in_schema = False

    @get("/")
    async def dashboard(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                        community: int | None = None) -> Response:
        """This month's hours and active volunteers, upcoming activities, charts."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        # Plain rows through kernel/direct.py, read without creating anything: the page is on every organiser's
        # screen, and its ORM statements were most of its CPU (bench/reads_notes.md).
        chosen, choices = await org.pick_workplace_name(read_session, actor=principal, community_id=community)
        months = charts.last_months(_today(request), 6)
        minutes, active, hours = await dashboard_figures(read_session, community_id=chosen.id,
                                                                     months=months)
        kinds = await browse.community_kind_names(read_session, community_id=chosen.id)
        by_kind = await browse.activities_by_kind(read_session, community_id=chosen.id,
                                                       since=utcnow() - dt.timedelta(days=365))
        listed = await browse.community_activities(read_session, community_id=chosen.id, since=utcnow())
        return render(request, "activities/manage.html", principal, title=_("Community dashboard"), community=chosen,
                      choices=choices, minutes=minutes, active=active, activities=listed, kinds=kinds,
                      todo=await _todo(read_session, principal, chosen.id),
                      hours_chart=charts.bar_chart(hours, label=_("Hours per month")),
                      kind_chart=charts.share_chart([(kinds.get(k, k), n) for k, n in by_kind],
                                                    label=_("Activities by kind")))

    @get("/activities")
    async def activity_list(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                            community: int | None = None, when: str = "past", page: int = 1) -> Response:
        """Every activity of the community, past (newest first) or upcoming, a page at a time: ended
        activities leave the dashboard, and their records and no-shows must stay one click away."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        when = "upcoming" if when == "upcoming" else "past"
        page = max(1, min(page, 10_000))
        now = utcnow()
        window = {"starts_from": now} if when == "upcoming" else {"starts_to": now, "newest_first": True}
        rows, total = await list_activities(db_session, principal=principal, community_id=chosen.id,
                                            limit=LIST_PAGE, offset=(page - 1) * LIST_PAGE, **window)
        kinds = {k.code: k.name for k in await kinds_for(db_session, community_id=chosen.id)}
        return render(request, "activities/manage_activities.html", principal, community=chosen, choices=choices,
                      title=_("Past activities") if when == "past" else _("Upcoming activities"),
                      rows=rows, total=total, period=when, kinds=kinds, page=page,
                      pages=max((total - 1) // LIST_PAGE + 1, 1), filters={"community": chosen.id, "when": when})

    @get("/activities/new")
    async def new_activity(self, request: Request, db_session: AsyncSession,
                           optional_principal: Principal | None, community: int | None = None) -> Response:
        """The form for a new activity."""
        principal = require_login(optional_principal)
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        # A team leader posts for their own teams: tick them from the start.
        form = {} if principal.manages(chosen.id) else {"team_ids": [str(t) for t in principal.led_team_ids]}
        return await _activity_form(request, db_session, principal, chosen.id, form, None)

    @post("/activities/new")
    async def create_activity(self, request: Request, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """Create the activity (published at once when asked)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        _ = i18n.translator(lang_of(request))
        community_id = int(forms.text(form, "community_id") or 0)
        try:
            fields = forms.activity_fields(form, timezone=request.app.state.settings.timezone, with_times=True)
            data = msgspec.convert({**fields, "community_id": community_id,
                                    "publish": forms.text(form, "publish") == "1"}, ActivityCreate)
            activity = await activities.create_activity(db_session, principal=principal, data=data)
        except (DomainError, ValueError, msgspec.ValidationError) as exc:
            await db_session.rollback()
            error = exc if isinstance(exc, DomainError) else InvalidInput(str(exc), code="invalid_input")
            return await _activity_form(request, db_session, principal, community_id, form,
                                        friendly.explain(error, _))
        return redirect(request, f"/manage/activities/{activity.id}")

    @get("/activities/{activity_id:int}")
    async def activity(self, request: Request, activity_id: int, db_session: AsyncSession,
                       optional_principal: Principal | None, done: str | None = None) -> Response:
        """One activity: its state, sign-ups and waitlist, publish/cancel, the kiosk link and the attendance."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        flash, kind = _flash(request, _, done), "ok"
        proxied = await proxy_flash(db_session, request, activity_id=activity_id, principal=principal)
        if proxied:
            flash, kind = proxied
        box = await proxy_box(db_session, request, principal, activity_id=activity_id)
        # After one card (or a lookup) the 代签 box stays open for the next person in the queue.
        return await _activity_page(request, db_session, principal, activity_id, flash=flash, flash_kind=kind,
                                    proxy_open=bool(proxied) or bool(box["find"])
                                    or request.query_params.get("open") == "proxy", **box)

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
        back = safe_next(str(form.get("next", "")), f"/manage/activities/{activity_id}")
        return redirect(request, f"{back}{'&' if '?' in back else '?'}done=cancelled")

    @get("/activities/{activity_id:int}/kiosk")
    async def kiosk_page(self, request: Request, activity_id: int, db_session: AsyncSession,
                         optional_principal: Principal | None, purpose: str = "check-in") -> Response:
        """The big screen at the venue: the rotating code and the live count (refreshed by kiosk.js)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        purpose = "check-out" if purpose == "check-out" else "check-in"
        activity = await checkins_access.staff_activity(db_session, activity_id=activity_id, principal=principal)
        code = await kiosk.kiosk_code(db_session, settings=request.app.state.settings, activity_id=activity_id,
                                      purpose=purpose, principal=principal, now=utcnow())
        count = await kiosk.live_count(db_session, activity_id=activity_id, principal=principal, now=utcnow())
        proxied = await proxy_flash(db_session, request, activity_id=activity_id)
        policy = await kiosk.get_policy(db_session, activity_id=activity_id, principal=principal)
        opens_at = activity.starts_at - dt.timedelta(minutes=policy.opens_minutes_before)
        return render(request, "checkins/kiosk.html", principal, title=_("Check-in code"), activity=activity, code=code,
                      count=count, purpose=purpose, flash=proxied[0] if proxied else None,
                      flash_kind=proxied[1] if proxied else "ok",
                      # A code shown before check-in opens would only refuse whoever scans it.
                      opens_at=opens_at if purpose == "check-in" and utcnow() < opens_at else None)

    @post("/attendance/{attendance_id:int}/{action:str}")
    async def decide(self, request: Request, attendance_id: int, action: str, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Approve, adjust (set the times that count, and approve) or decline one attendance record."""
        principal = require_login(optional_principal)
        form = await request.form()
        tz = request.app.state.settings.timezone
        reason = str(form.get("reason", "")).strip()
        kwargs: dict[str, Any] = {"attendance_id": attendance_id, "principal": principal, "now": utcnow()}
        try:
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
        except DomainError as exc:
            # Back on the activity's page with the message beside the record and what was typed kept;
            # a record the caller may not see is still a plain 404.
            await db_session.rollback()
            activity_id = await review.activity_of(db_session, attendance_id=attendance_id, principal=principal)
            typed = {"attendance_id": attendance_id, "action": action, "reason": reason,
                     "checked_in_at": str(form.get("checked_in_at", "")),
                     "checked_out_at": str(form.get("checked_out_at", ""))}
            _ = i18n.translator(lang_of(request))
            return await _activity_page(request, db_session, principal, activity_id, typed=typed, status_code=422,
                                        record_error=friendly.explain(exc, _))
        return redirect(request, f"/manage/activities/{att.activity_id}?done={action}")


LIST_PAGE = 30


async def dashboard_figures(session: AsyncSession, *, community_id: int,
                            months: list[str]) -> tuple[int, int, list[tuple[str, float]]]:
    """(minutes served, volunteers who served) in the last of `months`, and the hours of each month for the chart.

    Read from the community's kept period totals (six rows), not summed over its volunteers per request.
    """
    figures = await ledger.community_figures(session, community_id=community_id, periods=months)
    minutes, _, active = figures.get(months[-1], (0, 0, 0))
    return minutes, active, [(m[5:], round(figures.get(m, (0, 0, 0))[0] / 60, 1)) for m in months]


async def _todo(session: AsyncSession, principal: Principal, community_id: int) -> dict[str, Any] | None:
    """The dashboard's 待处理: records to approve, objections to answer, proposals waiting for the street."""
    if not principal.manages(community_id):
        return None
    proposals = await browse.awaiting_approval(session, principal=principal, community_id=community_id)
    return {"review": await backlog.awaiting_review(session, principal=principal, community_id=community_id),
            "objections": await honours.lists_with_open_objections(session, principal=principal,
                                                                   community_id=community_id),
            "proposals": proposals}


async def _activity_page(request: Request, session: AsyncSession, principal: Principal, activity_id: int, *,
                         status_code: int = 200, **extra: Any) -> Response:
    activity = await checkins_access.staff_activity(session, activity_id=activity_id, principal=principal)
    rows = await records.of_activity(session, principal=principal, activity_id=activity_id)
    signups = await staff_signups(session, principal=principal, activity=activity)
    values = {"typed": None, "record_error": None, "proxy_open": False, "find": "", "found": None,
              "over_capacity_for": None, **extra}
    return render(request, "activities/manage_activity.html", principal, status_code=status_code, title=activity.title,
                  activity=activity, rows=rows, **values,
                  confirmed=[s for s in signups if s.status == "confirmed"],
                  waiting=[s for s in signups if s.status == "waitlisted"],
                  held=[s for s in signups if s.status == "pending_approval"],
                  absent=await records.no_show_candidates(session, activity_id=activity_id),
                  group_covers=await pages_insurance.activity_covers(session, principal, activity),
                  started=activity.starts_at <= utcnow(),
                  awaiting=sum(1 for att, _n, _num in rows if att.status in ("checked_out", "auto_closed")))


DONE = {"published": i18n.N_("Published: volunteers can sign up now."), "cancelled": i18n.N_("The activity is cancelled."),
        "approve": i18n.N_("Approved."), "adjust": i18n.N_("Times adjusted and approved."), "decline": i18n.N_("Declined."),
        "saved": i18n.N_("Saved."), "no_show": i18n.N_("Recorded as not come."),
        "bulk": i18n.N_("%(approved)s records approved, %(skipped)s left for you to look at."),
        **pages_no_shows.FLASHES, **pages_insurance.FLASHES}


def _flash(request: Request, _, done: str | None) -> str | None:  # noqa: ANN001
    """The message after an action, from the address (numbers only, so nobody can write on the page)."""
    if done == "bulk":
        counts = {k: request.query_params.get(k, "") for k in ("approved", "skipped")}
        return _(DONE["bulk"], **{k: int(v) if v.isdigit() else 0 for k, v in counts.items()})
    return _(DONE[done]) if done in DONE else None


async def _activity_form(request: Request, db_session: AsyncSession, principal: Principal, community_id: int,
                         form: dict[str, Any], error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    chosen, communities = await org.pick_workplace(db_session, actor=principal, community_id=community_id or None)
    return render(request, "activities/activity_form.html", principal, status_code=422 if error else 200,
                  title=_("New activity"), community=chosen, choices=communities, form=form, error=error,
                  activity=None, action="/manage/activities/new", **await choices(db_session, chosen.id, principal))
