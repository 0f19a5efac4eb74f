"""No-shows (爽约): noticed after the activity ends, counted per volunteer, excused by an organiser with a reason.

Services flush, never commit: the request, the job or the test owns the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.records import policy
from servicebank.records import repository as repo
from servicebank.records.models import NoShow, NoShowPolicy

# Activities that ended longer ago are left alone: the job never reaches back to penalise old history
# (e.g. on the first run after an upgrade), and its scan stays small.
LOOKBACK = dt.timedelta(days=14)


async def mark_ended(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Record the no-shows of activities that ended recently; running it again adds nothing."""
    now = now or utcnow()
    return await repo.insert_missed_places(session, ended_after=now - LOOKBACK, now=now)


async def excuse(session: AsyncSession, *, principal: Principal, no_show_id: int, reason: str,
                 now: dt.datetime | None = None) -> NoShow:
    """An organiser excuses a no-show (illness, an emergency): kept on record, no longer counted."""
    reason = reason.strip()
    no_show = await repo.lock_no_show(session, no_show_id)
    if no_show is None or not principal.belongs_to(no_show.community_id):
        raise NotFound("No such no-show.", code="no_show_not_found")
    principal.require_manager(no_show.community_id)
    if not reason:
        raise InvalidInput("Say why the no-show is excused.", code="excuse_reason_required")
    if no_show.excused_at is not None:
        raise Conflict("This no-show is already excused.", code="no_show_already_excused")
    before = snapshot(no_show)
    no_show.excused_at, no_show.excused_by_user_id, no_show.excuse_reason = now or utcnow(), principal.user_id, reason
    await session.flush()
    await record_audit(session, actor=principal, action="no_show.excuse", entity_type="no_show",
                       entity_id=no_show.id, community_id=no_show.community_id, before=before,
                       after=snapshot(no_show), reason=reason)
    await record_event(session, "no_show.excused", {"no_show_id": no_show.id, "volunteer_id": no_show.volunteer_id})
    return no_show


async def history(session: AsyncSession, *, volunteer_id: int) -> Sequence[tuple[NoShow, str]]:
    """(no-show, activity title) of a volunteer, newest first; the caller has decided who may read it."""
    return await repo.no_shows_of(session, volunteer_id=volunteer_id)


async def standing(session: AsyncSession, *, volunteer_id: int, community_id: int,
                   now: dt.datetime | None = None) -> policy.Standing:
    """The volunteer's counted no-shows and hold (for the sign-up check, the 我的 page and the roster)."""
    return await policy.standing(session, volunteer_id=volunteer_id, community_id=community_id, now=now or utcnow())


async def counts(session: AsyncSession, *, community_id: int, volunteer_ids: Iterable[int],
                 now: dt.datetime | None = None) -> dict[int, int]:
    """Counted no-shows per volunteer in the community's window (the organiser's sign-up list)."""
    rule = await policy.rule_of(session, community_id)
    since = (now or utcnow()) - dt.timedelta(days=rule.window_days)
    return await repo.no_show_counts(session, volunteer_ids, since=since)


async def get_policy(session: AsyncSession, *, principal: Principal, community_id: int) -> policy.Rule:
    """The community's rule, for its members."""
    principal.require_member(community_id)
    return await policy.rule_of(session, community_id)


async def set_policy(session: AsyncSession, *, principal: Principal, community_id: int, enabled: bool,
                     threshold: int, window_days: int, approval_days: int) -> policy.Rule:
    """An organiser sets the community's rule (audited)."""
    principal.require_manager(community_id)
    if not (1 <= threshold <= 100 and 1 <= window_days <= 730 and 1 <= approval_days <= 365):
        raise InvalidInput("Threshold 1–100, window 1–730 days, approval period 1–365 days.",
                           code="invalid_no_show_policy")
    row = await repo.policy(session, community_id)
    before = snapshot(row) if row is not None else None
    if row is None:
        row = NoShowPolicy(community_id=community_id)
        session.add(row)
    row.enabled, row.threshold, row.window_days, row.approval_days = enabled, threshold, window_days, approval_days
    row.updated_at = utcnow()
    await session.flush()
    await record_audit(session, actor=principal, action="no_show_policy.update", entity_type="community",
                       entity_id=community_id, community_id=community_id, before=before, after=snapshot(row))
    return await policy.rule_of(session, community_id)


async def activity_title(session: AsyncSession, activity_id: int) -> str:
    """The title of the activity a no-show belongs to."""
    return await repo.activity_title(session, activity_id)
