"""Recurring activities: an RFC 5545 RRULE expanded into Activity rows within a horizon.

Occurrences are ordinary activities (sign-ups, check-in, cancellation work the same) carrying
series_id and the start the schedule gave them. Editing one detaches it; editing the series changes
the future occurrences that were not edited on their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, rrule, rrulestr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import repository as repo
from servicebank.activities.access import require_poster
from servicebank.activities.kinds import resolve_kind
from servicebank.activities.models import Activity, ActivitySeries, ActivityStatus, SeriesStatus
from servicebank.activities.service import apply_changes, cancel, publish
from servicebank.audit.service import record_audit
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound

HORIZON = dt.timedelta(days=90)
MAX_UPCOMING = 200
TEMPLATE_FIELDS = ("kind", "title", "description", "beneficiary_groups", "address", "latitude", "longitude",
                   "capacity", "team_ids", "required_skill", "hours_rule_override", "beneficiaries_count")
SCHEDULE_FIELDS = ("rrule", "starts_at", "ends_at")
RESCHEDULED = "系列活动时间调整 (the series was rescheduled)"


def parse_rrule(text: str, *, first_start: dt.datetime, timezone: str) -> rrule:
    """The rule, expanded in local time from the first start; refuses bad or too frequent rules."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "\n" in body or "DTSTART" in body.upper():
        raise InvalidInput("Give one RRULE line such as FREQ=WEEKLY;BYDAY=SA (the start comes from starts_at).",
                           code="invalid_rrule")
    local = first_start.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    try:
        rule = rrulestr(body, dtstart=local)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"The recurrence rule is not valid RFC 5545: {exc}", code="invalid_rrule") from exc
    if not isinstance(rule, rrule):
        raise InvalidInput("Give a single RRULE.", code="invalid_rrule")
    if rule._freq > DAILY:  # noqa: SLF001 - dateutil exposes the frequency only privately
        raise InvalidInput("Activities repeat at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY).",
                           code="rrule_too_frequent")
    return rule


def occurrence_starts(series: ActivitySeries, *, after: dt.datetime, until: dt.datetime,
                      limit: int) -> list[dt.datetime]:
    """UTC starts of the series in (after, until], at most `limit`."""
    tz = ZoneInfo(series.timezone)
    rule = parse_rrule(series.rrule, first_start=series.first_starts_at, timezone=series.timezone)
    starts: list[dt.datetime] = []
    after_local = after.astimezone(tz).replace(tzinfo=None)
    for naive in rule.xafter(after_local, inc=False):
        start = naive.replace(tzinfo=tz).astimezone(dt.UTC)
        if start > until or len(starts) >= limit:
            break
        if start > after:
            starts.append(start)
    return starts


def _occurrence(series: ActivitySeries, start: dt.datetime) -> Activity:
    template = dict(series.template)
    return Activity(
        community_id=series.community_id, series_id=series.id, occurrence_start=start, starts_at=start,
        ends_at=start + dt.timedelta(minutes=series.duration_minutes), status=ActivityStatus.DRAFT,
        created_by_user_id=series.created_by_user_id, created_at=utcnow(), updated_at=utcnow(),
        **{f: template.get(f) for f in TEMPLATE_FIELDS if f in template},
    )


async def materialise(session: AsyncSession, series: ActivitySeries, *, now: dt.datetime | None = None) -> int:
    """Create the missing occurrences up to the horizon (idempotent); returns how many were made."""
    now = now or utcnow()
    if series.status != SeriesStatus.ACTIVE:
        return 0
    upcoming = int(await session.scalar(
        select(func.count(Activity.id)).where(Activity.series_id == series.id, Activity.starts_at > now)) or 0)
    after = max(series.materialised_until or now, now)
    until = now + HORIZON
    starts = occurrence_starts(series, after=after, until=until, limit=max(MAX_UPCOMING - upcoming, 0))
    existing = set((await session.scalars(
        select(Activity.occurrence_start).where(Activity.series_id == series.id,
                                                Activity.occurrence_start.in_(starts)))).all()) if starts else set()
    existing = {e if e.tzinfo else e.replace(tzinfo=dt.UTC) for e in existing if e is not None}
    made = 0
    for start in starts:
        if start in existing:
            continue
        occurrence = _occurrence(series, start)
        session.add(occurrence)
        await session.flush()
        if series.publish_occurrences:
            await publish(session, occurrence)
        made += 1
    # When capped, continue from the last one made next time instead of skipping ahead.
    series.materialised_until = starts[-1] if len(starts) >= MAX_UPCOMING - upcoming and starts else until
    await session.flush()
    return made


async def _template_from(session: AsyncSession, community_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Validate template values on a scratch activity; returns them cleaned."""
    scratch = Activity(community_id=community_id, starts_at=values["starts_at"], ends_at=values["ends_at"])
    kind = await resolve_kind(session, community_id=community_id, code=values["kind"])
    if kind.needs_approval:
        raise Conflict("Activities of this kind need a proposal approved one by one and cannot recur.",
                       code="approval_kind_not_recurring")
    await apply_changes(session, scratch, {f: values[f] for f in TEMPLATE_FIELDS if f in values})
    return {f: getattr(scratch, f) for f in TEMPLATE_FIELDS}


async def create_series(session: AsyncSession, *, principal: Principal, data: Any, timezone: str) -> ActivitySeries:
    """Create a series and its occurrences for the next 90 days (at most 200)."""
    require_poster(principal, community_id=data.community_id, team_ids=data.team_ids)
    values = {f: getattr(data, f) for f in (*TEMPLATE_FIELDS, "starts_at", "ends_at")}
    template = await _template_from(session, data.community_id, values)
    parse_rrule(data.rrule, first_start=data.starts_at, timezone=timezone)
    series = ActivitySeries(
        community_id=data.community_id, rrule=data.rrule.strip().removeprefix("RRULE:"),
        first_starts_at=data.starts_at, duration_minutes=int((data.ends_at - data.starts_at).total_seconds() // 60),
        timezone=timezone, status=SeriesStatus.ACTIVE, publish_occurrences=data.publish, template=template,
        created_by_user_id=principal.user_id, created_at=utcnow(), updated_at=utcnow(),
    )
    session.add(series)
    await session.flush()
    # Occurrences from now on: a first start in the past back-fills nothing.
    await materialise(session, series)
    await record_audit(session, actor=principal, action="series.create", entity_type="activity_series",
                       entity_id=series.id, community_id=series.community_id,
                       after={"rrule": series.rrule, "template": template})
    return series


async def get_series(session: AsyncSession, *, principal: Principal, series_id: int,
                     lock: bool = False) -> ActivitySeries:
    """The series, for staff who may edit it."""
    series = await (repo.lock_series(session, series_id) if lock else session.get(ActivitySeries, series_id))
    if series is None or not principal.works_in(series.community_id):
        raise NotFound("No such series.", code="series_not_found")
    require_poster(principal, community_id=series.community_id, team_ids=series.template.get("team_ids") or [])
    return series


async def schedules_of(session: AsyncSession, *, activities: list[Any]) -> dict[int, ActivitySeries]:
    """The series behind activities the caller may already see (their sign-ups): only to say the schedule in
    words, so nothing here needs the right to edit a series."""
    ids = sorted({a.series_id for a in activities if getattr(a, "series_id", None)})
    return {s.id: s for s in await repo.series_by_ids(session, ids)}


async def series_of_community(session: AsyncSession, *, principal: Principal,
                              community_id: int) -> list[ActivitySeries]:
    """The community's repeating activities, oldest first; for its staff."""
    principal.require_staff(community_id)
    return await repo.series_of_community(session, community_id)


async def upcoming_dates(session: AsyncSession, *, series_id: int, limit: int) -> list[Activity]:
    """The series' dates that have not ended, soonest first (the caller may see the series)."""
    return await repo.upcoming_of_series(session, series_id=series_id, now=utcnow(), limit=limit)


async def future_occurrences(session: AsyncSession, series_id: int, *, now: dt.datetime,
                             attached_only: bool) -> list[Activity]:
    """Occurrences not yet started and still open to change, soonest first."""
    query = select(Activity).where(Activity.series_id == series_id, Activity.starts_at > now,
                                   Activity.status.in_((ActivityStatus.DRAFT, ActivityStatus.PUBLISHED)))
    if attached_only:
        query = query.where(Activity.detached_from_series.is_(False))
    rows = await session.scalars(query.order_by(Activity.starts_at).with_for_update())
    return list(rows.all())


async def update_series(session: AsyncSession, *, principal: Principal, series_id: int,
                        changes: dict[str, Any]) -> ActivitySeries:
    """Change the template or the schedule; future occurrences not edited on their own follow."""
    now = utcnow()
    series = await get_series(session, principal=principal, series_id=series_id, lock=True)
    if series.status != SeriesStatus.ACTIVE:
        raise Conflict("This series was cancelled.", code="series_cancelled")
    template_changes = {f: v for f, v in changes.items() if f in TEMPLATE_FIELDS}
    if "team_ids" in template_changes:
        require_poster(principal, community_id=series.community_id, team_ids=template_changes["team_ids"])
    first_end = series.first_starts_at + dt.timedelta(minutes=series.duration_minutes)
    starts_at, ends_at = changes.get("starts_at", series.first_starts_at), changes.get("ends_at", first_end)
    merged = {**series.template, **template_changes, "starts_at": starts_at, "ends_at": ends_at}
    template = await _template_from(session, series.community_id, merged)
    occurrences = await future_occurrences(session, series.id, now=now, attached_only=True)
    for occurrence in occurrences:
        if template_changes:
            await apply_changes(session, occurrence, {f: template[f] for f in template_changes})
    series.template = template
    if any(f in changes for f in SCHEDULE_FIELDS):
        series.rrule = changes.get("rrule", series.rrule).strip().removeprefix("RRULE:")
        parse_rrule(series.rrule, first_start=starts_at, timezone=series.timezone)
        series.first_starts_at = starts_at
        series.duration_minutes = int((ends_at - starts_at).total_seconds() // 60)
        keep = set(occurrence_starts(series, after=now, until=now + HORIZON, limit=MAX_UPCOMING))
        for occurrence in occurrences:
            start = occurrence.occurrence_start
            start = start if start is None or start.tzinfo else start.replace(tzinfo=dt.UTC)
            if start in keep:
                await apply_changes(session, occurrence, {
                    "starts_at": start, "ends_at": start + dt.timedelta(minutes=series.duration_minutes)})
            else:
                await cancel(session, occurrence, reason=RESCHEDULED)
        series.materialised_until = None
        await materialise(session, series, now=now)
    series.updated_at = now
    await session.flush()
    await record_audit(session, actor=principal, action="series.update", entity_type="activity_series",
                       entity_id=series.id, community_id=series.community_id, after={"changes": sorted(changes)})
    return series


async def cancel_series(session: AsyncSession, *, principal: Principal, series_id: int,
                        reason: str) -> ActivitySeries:
    """Stop the series and cancel every occurrence that has not started, edited ones included."""
    now = utcnow()
    series = await get_series(session, principal=principal, series_id=series_id, lock=True)
    if series.status != SeriesStatus.ACTIVE:
        raise Conflict("This series was already cancelled.", code="series_cancelled")
    series.status = SeriesStatus.CANCELLED
    series.cancel_reason = reason.strip()
    series.updated_at = now
    for occurrence in await future_occurrences(session, series.id, now=now, attached_only=False):
        await cancel(session, occurrence, reason=series.cancel_reason)
    await record_audit(session, actor=principal, action="series.cancel", entity_type="activity_series",
                       entity_id=series.id, community_id=series.community_id, reason=reason)
    return series


async def extend_all(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Move every active series' horizon forward (the periodic job)."""
    now = now or utcnow()
    made = 0
    rows = await session.scalars(select(ActivitySeries).where(ActivitySeries.status == SeriesStatus.ACTIVE)
                                 .with_for_update(skip_locked=True))
    for series in rows.all():
        made += await materialise(session, series, now=now)
    return made
