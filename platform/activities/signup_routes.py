"""Sign up, withdraw, see who is coming, and a volunteer's own activities."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import held_signups, signups
from servicebank.activities.access import require_poster, require_viewer
from servicebank.activities.browse import my_activities, signup_out, signup_result, staff_signups
from servicebank.activities.schemas import MyActivityOut, SignupOut
from servicebank.activities.service import require_activity
from servicebank.kernel.errors import NotFound
from servicebank.volunteers.models import Volunteer


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    # Staff signing someone up on their behalf (代报名, e.g. an elderly neighbour without a phone).
    volunteer_id: int | None = None


class HeldDecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


async def _target_volunteer(db_session: AsyncSession, principal: Principal, activity_id: int,
                            volunteer_id: int | None) -> int:
    """The caller's own volunteer id, or (for the activity's staff) the volunteer they act for."""
    activity = require_viewer(principal, await require_activity(db_session, activity_id))
    if volunteer_id is None or volunteer_id == principal.volunteer_id:
        return principal.require_volunteer()
    require_poster(principal, community_id=activity.community_id, team_ids=activity.team_ids)
    volunteer = await db_session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.community_id != activity.community_id:
        raise NotFound("No such volunteer in this community.", code="volunteer_not_found")
    return volunteer_id


class SignupController(Controller):
    path = "/api/activities/{activity_id:int}/signups"
    tags = ["signups"]

    @post("/")
    async def sign_up(self, activity_id: int, db_session: AsyncSession, principal: Principal,
                      data: SignupIn | None = None) -> SignupOut:
        """Sign up: a confirmed place, or a numbered place on the waitlist when the activity is full."""
        volunteer_id = await _target_volunteer(db_session, principal, activity_id, data.volunteer_id if data else None)
        signup = await signups.sign_up(db_session, activity_id=activity_id, volunteer_id=volunteer_id,
                                       on_behalf=volunteer_id != principal.volunteer_id)
        return await signup_result(db_session, signup)

    @post("/{volunteer_id:int}/approve", status_code=200)
    async def approve_held(self, activity_id: int, volunteer_id: int, db_session: AsyncSession,
                           principal: Principal, data: HeldDecisionIn | None = None) -> SignupOut:
        """Staff: let a sign-up held by the no-show policy take its place (or join the waitlist)."""
        signup = await held_signups.decide(db_session, principal=principal, activity_id=activity_id,
                                           volunteer_id=volunteer_id, approve=True, reason=data.reason if data else None)
        return signup_out(signup)

    @post("/{volunteer_id:int}/decline", status_code=200)
    async def decline_held(self, activity_id: int, volunteer_id: int, db_session: AsyncSession,
                           principal: Principal, data: HeldDecisionIn | None = None) -> SignupOut:
        """Staff: turn down a sign-up held by the no-show policy."""
        signup = await held_signups.decide(db_session, principal=principal, activity_id=activity_id,
                                           volunteer_id=volunteer_id, approve=False, reason=data.reason if data else None)
        return signup_out(signup)

    @get("/")
    async def list_signups(self, activity_id: int, db_session: AsyncSession, principal: Principal,
                           include_withdrawn: bool = False) -> list[SignupOut]:
        """Staff: who is confirmed and who is waiting, in order."""
        activity = require_viewer(principal, await require_activity(db_session, activity_id))
        return await staff_signups(db_session, principal=principal, activity=activity,
                                   include_withdrawn=include_withdrawn)

    @delete("/me", status_code=200)
    async def withdraw(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> SignupOut:
        """Withdraw your signup; the first person waiting gets the place automatically."""
        require_viewer(principal, await require_activity(db_session, activity_id))
        volunteer_id = principal.require_volunteer()
        return signup_out(await signups.withdraw(db_session, activity_id=activity_id, volunteer_id=volunteer_id))

    @delete("/{volunteer_id:int}", status_code=200)
    async def withdraw_for(self, activity_id: int, volunteer_id: int, db_session: AsyncSession,
                           principal: Principal) -> SignupOut:
        """Staff: withdraw a volunteer (they called to say they cannot come)."""
        target = await _target_volunteer(db_session, principal, activity_id, volunteer_id)
        return signup_out(await signups.withdraw(db_session, activity_id=activity_id, volunteer_id=target))


class MyActivitiesController(Controller):
    path = "/api/me/activities"
    tags = ["signups"]

    @get("/")
    async def mine(self, db_session: AsyncSession, principal: Principal, include_past: bool = False,
                   limit: int = 100) -> list[MyActivityOut]:
        """The caller's signups (any status) with their activities, soonest first; upcoming only by default."""
        since = None if include_past else dt.datetime.now(dt.UTC)
        rows = await my_activities(db_session, principal=principal, since=since, limit=max(1, min(limit, 500)))
        return [MyActivityOut(signup=signup_out(s), activity=o) for s, o in rows]
