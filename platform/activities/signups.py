"""Signing up and withdrawing: capacity under concurrency, the waitlist and its automatic promotion.

Every change starts by locking the activity row (FOR UPDATE on PostgreSQL; SQLite transactions are
already serialised), so counting confirmed places and taking one happen as one step.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities import hooks
from servicebank.activities import repository as repo
from servicebank.activities.access import eligibility_problem, volunteer_team_ids
from servicebank.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, NotFound
from servicebank.kernel.events import record_event
from servicebank.volunteers.models import Volunteer


def _payload(signup: Signup) -> dict[str, int]:
    return {"signup_id": signup.id, "activity_id": signup.activity_id, "volunteer_id": signup.volunteer_id}


def check_open(activity: Activity, *, now: dt.datetime) -> None:
    """Refuse sign-ups to activities that are not open or have begun."""
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict("This activity was cancelled.", code="activity_cancelled")
    if activity.status in (ActivityStatus.IN_PROGRESS, ActivityStatus.COMPLETED) or activity.starts_at <= now:
        raise Conflict("This activity has already started or ended; sign-ups are closed.", code="activity_started")
    if activity.status != ActivityStatus.PUBLISHED:
        raise Conflict("This activity is not open for sign-ups yet.", code="activity_not_open")


async def locked(session: AsyncSession, activity_id: int) -> Activity:
    activity = await repo.lock_activity(session, activity_id)
    if activity is None:
        raise NotFound("No such activity.", code="activity_not_found")
    return activity


async def sign_up(session: AsyncSession, *, activity_id: int, volunteer_id: int, on_behalf: bool = False,
                  now: dt.datetime | None = None) -> Signup:
    """Take a place, or the next place on the waitlist when the activity is full.

    A volunteer the community's no-show policy holds gets a sign-up waiting for the organiser instead;
    staff signing someone up on their behalf (代报名) are that organiser, so theirs are placed at once."""
    now = now or utcnow()
    activity = await locked(session, activity_id)
    check_open(activity, now=now)
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    problem = eligibility_problem(activity, volunteer, await volunteer_team_ids(session, volunteer_id=volunteer_id))
    if problem is not None:
        raise problem
    signup = await repo.get_signup(session, activity_id=activity_id, volunteer_id=volunteer_id)
    if signup is not None and signup.status in (*SignupStatus.ACTIVE, SignupStatus.PENDING_APPROVAL):
        raise Conflict("You are already signed up for this activity.", code="already_signed_up",
                       signup_status=signup.status, waitlist_position=signup.position)
    await hooks.signup_refusals.answers(session, activity=activity, volunteer=volunteer, now=now)
    hold = None if on_behalf else next(
        (code for code in await hooks.signup_holds.answers(session, volunteer=volunteer, now=now) if code), None)
    if signup is None:
        signup = Signup(activity_id=activity_id, volunteer_id=volunteer_id, status=SignupStatus.PENDING_APPROVAL,
                        created_at=now, updated_at=now)
        session.add(signup)
    signup.hold_code = hold
    if hold is not None:  # no place taken; the volunteer's answer says why, the organisers hear of it
        signup.status, signup.position, signup.updated_at = SignupStatus.PENDING_APPROVAL, None, now
        await session.flush()
        await record_event(session, "signup.held", {**_payload(signup), "hold_code": hold})
        return signup
    return await place(session, activity, signup, now=now)


async def place(session: AsyncSession, activity: Activity, signup: Signup, *, now: dt.datetime) -> Signup:
    """Give the sign-up a confirmed place or the back of the waitlist (caller holds the activity lock)."""
    confirmed = await repo.count_confirmed(session, activity.id)
    has_place = activity.capacity is None or confirmed < activity.capacity
    # Nobody jumps the queue: a free place goes to the waitlist first (it is promoted as places open).
    waiting = await repo.last_waitlist_position(session, activity.id)
    if has_place and waiting == 0:
        status, position = SignupStatus.CONFIRMED, None
    else:
        status, position = SignupStatus.WAITLISTED, waiting + 1
    # Signing up again after withdrawing keeps the same row, at the back of the line.
    signup.status, signup.position, signup.updated_at = status, position, now
    await session.flush()
    event = "signup.confirmed" if status == SignupStatus.CONFIRMED else "signup.waitlisted"
    await record_event(session, event, _payload(signup))
    return signup


async def _close_gap(session: AsyncSession, *, activity_id: int, position: int) -> None:
    """Everyone behind a leaving person moves up one place, so positions stay 1..n."""
    await session.execute(
        update(Signup)
        .where(Signup.activity_id == activity_id, Signup.status == SignupStatus.WAITLISTED,
               Signup.position > position)
        .values(position=Signup.position - 1)
        .execution_options(synchronize_session=False)
    )


async def promote_waitlist(session: AsyncSession, activity: Activity) -> list[Signup]:
    """Fill free places from the head of the waitlist (caller holds the activity lock)."""
    if activity.status not in (ActivityStatus.PUBLISHED, ActivityStatus.IN_PROGRESS, ActivityStatus.DRAFT):
        return []
    confirmed = await repo.count_confirmed(session, activity.id)
    free = None if activity.capacity is None else activity.capacity - confirmed
    if free is not None and free <= 0:
        return []
    promoted = await repo.waitlist(session, activity.id, limit=free)
    if not promoted:
        return []
    now = utcnow()
    for signup in promoted:
        signup.status, signup.position, signup.updated_at = SignupStatus.CONFIRMED, None, now
    await session.flush()
    await session.execute(
        update(Signup)
        .where(Signup.activity_id == activity.id, Signup.status == SignupStatus.WAITLISTED)
        .values(position=Signup.position - len(promoted))
        .execution_options(synchronize_session=False)
    )
    for signup in promoted:
        await record_event(session, "signup.promoted", _payload(signup))
    return promoted


async def withdraw(session: AsyncSession, *, activity_id: int, volunteer_id: int,
                   now: dt.datetime | None = None) -> Signup:
    """Give up a place (or a place in line); the first in line is promoted automatically."""
    now = now or utcnow()
    activity = await locked(session, activity_id)
    signup = await repo.get_signup(session, activity_id=activity_id, volunteer_id=volunteer_id)
    if signup is None or signup.status not in SignupStatus.ACTIVE:
        raise NotFound("You are not signed up for this activity.", code="not_signed_up")
    if activity.starts_at <= now or activity.status in (ActivityStatus.IN_PROGRESS, ActivityStatus.COMPLETED):
        raise Conflict("The activity has started; tell the organiser instead of withdrawing.",
                       code="activity_started")
    was, position = signup.status, signup.position
    signup.status, signup.position, signup.updated_at = SignupStatus.WITHDRAWN, None, now
    await session.flush()
    if was == SignupStatus.WAITLISTED and position is not None:
        await _close_gap(session, activity_id=activity_id, position=position)
    # No event: nothing reacts to a withdrawal itself; a promotion that follows has its own.
    if was == SignupStatus.CONFIRMED:
        await promote_waitlist(session, activity)
    return signup
