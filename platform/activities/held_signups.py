"""Sign-ups held for the organiser (the community's no-show policy): approve to place them, or decline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import repository as repo
from servicebank.activities.access import require_poster
from servicebank.activities.models import Signup, SignupStatus
from servicebank.activities.signups import check_open, locked, place
from servicebank.audit.service import record_audit
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, NotFound


async def decide(session: AsyncSession, *, principal: Principal, activity_id: int, volunteer_id: int,
                 approve: bool, reason: str | None = None, now: dt.datetime | None = None) -> Signup:
    """The activity's staff approve a held sign-up (it takes a place or joins the waitlist) or decline it."""
    now = now or utcnow()
    activity = await locked(session, activity_id)
    require_poster(principal, community_id=activity.community_id, team_ids=activity.team_ids)
    signup = await repo.get_signup(session, activity_id=activity_id, volunteer_id=volunteer_id)
    if signup is None:
        raise NotFound("This volunteer has not signed up for this activity.", code="not_signed_up")
    if signup.status != SignupStatus.PENDING_APPROVAL:
        raise Conflict("This sign-up is not waiting for a decision.", code="signup_not_held")
    if approve:
        check_open(activity, now=now)
        await place(session, activity, signup, now=now)
    else:
        signup.status, signup.updated_at = SignupStatus.DECLINED, now
        await session.flush()
    await record_audit(session, actor=principal, action="signup.approve" if approve else "signup.decline",
                       entity_type="signup", entity_id=signup.id, community_id=activity.community_id,
                       after={"status": signup.status, "hold_code": signup.hold_code}, reason=reason)
    return signup
