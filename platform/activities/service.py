"""The life of an activity: post, edit, publish, cancel, and the clock moving it along."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import repository as repo
from servicebank.activities.access import require_poster, require_viewer
from servicebank.activities.kinds import ensure_builtin_kinds, resolve_kind
from servicebank.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from servicebank.activities.reminders import send_due_reminders
from servicebank.activities.rules import validate_capacity, validate_coordinates, validate_hours_rule, validate_times
from servicebank.activities.signups import promote_waitlist
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.volunteers.models import Team

__all__ = ["ensure_builtin_kinds", "create_activity", "update_activity", "publish_activity", "cancel_activity",
           "apply_changes", "cancel", "publish", "advance_statuses", "send_due_reminders", "get_for_staff"]

EDITABLE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, ActivityStatus.IN_PROGRESS)
CANCELLABLE = (ActivityStatus.DRAFT, ActivityStatus.PENDING_APPROVAL, ActivityStatus.PUBLISHED,
               ActivityStatus.IN_PROGRESS)


async def _check_teams(session: AsyncSession, *, community_id: int, team_ids: list[int]) -> list[int]:
    team_ids = sorted(set(team_ids))
    if not team_ids:
        return []
    found = set((await session.scalars(
        select(Team.id).where(Team.id.in_(team_ids), Team.community_id == community_id))).all())
    missing = [t for t in team_ids if t not in found]
    if missing:
        raise InvalidInput(f"Teams {missing} are not teams of this community.", code="team_not_in_community")
    return team_ids


async def apply_changes(session: AsyncSession, activity: Activity, changes: dict[str, Any]) -> None:
    """Validate and apply field changes to an activity (also used by series edits); promotes the waitlist
    when places were added."""
    if "kind" in changes:
        await resolve_kind(session, community_id=activity.community_id, code=changes["kind"])
    if "team_ids" in changes:
        changes["team_ids"] = await _check_teams(session, community_id=activity.community_id,
                                                 team_ids=changes["team_ids"])
    if "hours_rule_override" in changes:
        changes["hours_rule_override"] = validate_hours_rule(changes["hours_rule_override"])
    validate_times(changes.get("starts_at", activity.starts_at), changes.get("ends_at", activity.ends_at))
    validate_coordinates(changes.get("latitude", activity.latitude), changes.get("longitude", activity.longitude))
    grows = False
    if "capacity" in changes:
        validate_capacity(changes["capacity"])
        taken = await repo.count_confirmed(session, activity.id) if activity.id else 0
        new = changes["capacity"]
        if new is not None and new < taken:
            raise Conflict(f"{taken} volunteers are already confirmed; capacity cannot go below that. Withdraw "
                           "signups first or keep the capacity.", code="capacity_below_signups", confirmed=taken)
        grows = new is None or activity.capacity is None or new > activity.capacity
    for field, value in changes.items():
        setattr(activity, field, value)
    activity.updated_at = utcnow()
    await session.flush()
    if grows and activity.id:
        await promote_waitlist(session, activity)


async def create_activity(session: AsyncSession, *, principal: Principal, data: Any) -> Activity:
    """Post a one-off activity as a draft (or published straight away when asked and allowed)."""
    require_poster(principal, community_id=data.community_id, team_ids=data.team_ids)
    kind = await resolve_kind(session, community_id=data.community_id, code=data.kind)
    validate_capacity(data.capacity)
    activity = Activity(
        community_id=data.community_id, kind=kind.code, title=data.title.strip(), starts_at=data.starts_at,
        ends_at=data.ends_at, status=ActivityStatus.DRAFT, created_by_user_id=principal.user_id,
        needs_approval=kind.needs_approval if data.needs_approval is None else data.needs_approval,
        created_at=utcnow(),
    )
    fields = ("description", "beneficiary_groups", "address", "latitude", "longitude", "capacity", "team_ids",
              "required_skill", "hours_rule_override", "beneficiaries_count")
    await apply_changes(session, activity, {f: getattr(data, f) for f in fields})
    session.add(activity)
    await session.flush()
    await record_audit(session, actor=principal, action="activity.create", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id, after=snapshot(activity))
    if data.publish:
        await publish(session, activity)
    return activity


async def get_for_staff(session: AsyncSession, *, principal: Principal, activity_id: int,
                        lock: bool = False) -> Activity:
    """The activity, checked that the caller may post/edit it."""
    activity = await (repo.lock_activity(session, activity_id) if lock else repo.get_activity(session, activity_id))
    require_viewer(principal, activity)
    assert activity is not None
    require_poster(principal, community_id=activity.community_id, team_ids=activity.team_ids)
    return activity


async def update_activity(session: AsyncSession, *, principal: Principal, activity_id: int,
                          changes: dict[str, Any]) -> Activity:
    """Edit an activity; editing one occurrence detaches it from its series."""
    activity = await get_for_staff(session, principal=principal, activity_id=activity_id, lock=True)
    if activity.status == ActivityStatus.PENDING_APPROVAL:
        raise Conflict("The proposal is being reviewed; wait for the decision before editing.",
                       code="activity_under_review")
    if activity.status not in EDITABLE:
        raise Conflict(f"A {activity.status} activity can no longer be edited.", code="activity_not_editable")
    if "team_ids" in changes:
        require_poster(principal, community_id=activity.community_id, team_ids=changes["team_ids"])
    before = snapshot(activity)
    await apply_changes(session, activity, dict(changes))
    if activity.series_id is not None and changes:
        activity.detached_from_series = True
    await record_audit(session, actor=principal, action="activity.update", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id, before=before,
                       after=snapshot(activity))
    return activity


async def publish(session: AsyncSession, activity: Activity) -> None:
    """Open the activity for sign-ups and tell the other domains."""
    activity.status = ActivityStatus.PUBLISHED
    activity.published_at = utcnow()
    activity.updated_at = activity.published_at
    await session.flush()
    await record_event(session, "activity.published", {"activity_id": activity.id})


async def publish_activity(session: AsyncSession, *, principal: Principal, activity_id: int) -> Activity:
    """Publish a draft; activities needing approval go through their proposal instead."""
    activity = await get_for_staff(session, principal=principal, activity_id=activity_id, lock=True)
    if activity.status != ActivityStatus.DRAFT:
        raise Conflict(f"Only a draft can be published; this activity is {activity.status}.",
                       code="activity_not_draft")
    if activity.needs_approval:
        raise Conflict("This activity needs the street office's approval: submit its proposal (项目申请) instead.",
                       code="approval_required")
    await publish(session, activity)
    await record_audit(session, actor=principal, action="activity.publish", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id)
    return activity


async def cancel(session: AsyncSession, activity: Activity, *, reason: str) -> None:
    """Cancel the activity and every place on it; the event tells those signed up."""
    activity.status = ActivityStatus.CANCELLED
    activity.cancel_reason = reason
    activity.updated_at = utcnow()
    if activity.series_id is not None:
        activity.detached_from_series = True
    await session.execute(
        update(Signup).where(Signup.activity_id == activity.id, Signup.status.in_(SignupStatus.ACTIVE))
        .values(status=SignupStatus.CANCELLED, position=None, updated_at=activity.updated_at)
    )
    await session.flush()
    await record_event(session, "activity.cancelled", {"activity_id": activity.id, "reason": reason})


async def cancel_activity(session: AsyncSession, *, principal: Principal, activity_id: int,
                          reason: str) -> Activity:
    """Cancel with a reason; confirmed and waiting volunteers are notified."""
    activity = await get_for_staff(session, principal=principal, activity_id=activity_id, lock=True)
    if activity.status not in CANCELLABLE:
        raise Conflict(f"A {activity.status} activity cannot be cancelled.", code="activity_not_cancellable")
    await cancel(session, activity, reason=reason.strip())
    await record_audit(session, actor=principal, action="activity.cancel", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id, reason=reason)
    return activity


async def advance_statuses(session: AsyncSession, *, now: dt.datetime | None = None) -> dict[str, int]:
    """published → in_progress at the start, → completed at the end."""
    now = now or utcnow()
    completed = await session.execute(
        update(Activity)
        .where(Activity.status.in_((ActivityStatus.PUBLISHED, ActivityStatus.IN_PROGRESS)), Activity.ends_at <= now)
        .values(status=ActivityStatus.COMPLETED, updated_at=now)
    )
    started = await session.execute(
        update(Activity)
        .where(Activity.status == ActivityStatus.PUBLISHED, Activity.starts_at <= now, Activity.ends_at > now)
        .values(status=ActivityStatus.IN_PROGRESS, updated_at=now)
    )
    return {"completed": affected_rows(completed), "started": affected_rows(started)}


async def require_activity(session: AsyncSession, activity_id: int) -> Activity:
    """The activity or 404."""
    activity = await repo.get_activity(session, activity_id)
    if activity is None:
        raise NotFound("No such activity.", code="activity_not_found")
    return activity
