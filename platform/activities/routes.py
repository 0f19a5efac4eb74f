"""Activities API: post, browse, edit, publish, cancel, proposals; signups, series and calendars are
in their own modules and listed in ROUTES here."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import kinds, proposals, service
from servicebank.activities.access import require_viewer
from servicebank.activities.browse import list_activities, present
from servicebank.activities.calendar_routes import CalendarController
from servicebank.activities.models import ActivityProposal
from servicebank.activities.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityPage,
    ActivityPatch,
    CancelIn,
    KindCreate,
    KindOut,
    ProposalIn,
    ProposalOut,
)
from servicebank.activities.series_routes import SeriesController
from servicebank.activities.signup_routes import MyActivitiesController, SignupController


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


def proposal_out(p: ActivityProposal) -> ProposalOut:
    return ProposalOut(activity_id=p.activity_id, goals=p.goals, budget_fen=p.budget_fen,
                       expected_participants=p.expected_participants, schedule=p.schedule, status=p.status,
                       submitted_at=p.submitted_at, decided_at=p.decided_at, decision_reason=p.decision_reason)


class ActivityController(Controller):
    path = "/api/activities"
    tags = ["activities"]

    @get("/")
    async def list_(
        self, db_session: AsyncSession, principal: Principal, community_id: int | None = None,
        kind: str | None = None, status: list[str] | None = None,
        starts_from: Annotated[dt.datetime | None, QueryParameter(name="from")] = None,
        starts_to: Annotated[dt.datetime | None, QueryParameter(name="to")] = None,
        series_id: int | None = None, joinable: bool = False, limit: int = 50, offset: int = 0,
    ) -> ActivityPage:
        """Activities the caller may see, by start time. Volunteers see their own community's published
        activities; `joinable=true` keeps only those they may sign up for now; `from`/`to` bound the time."""
        items, total = await list_activities(
            db_session, principal=principal, community_id=community_id, kind=kind, status=status,
            starts_from=starts_from, starts_to=starts_to, series_id=series_id, joinable=joinable, limit=limit,
            offset=max(offset, 0))
        return ActivityPage(items=items, total=total)

    @post("/")
    async def create(self, data: ActivityCreate, db_session: AsyncSession, principal: Principal) -> ActivityOut:
        """Post an activity (a draft unless `publish` is true). Organisers post anything in their community;
        team leaders only activities limited to teams they lead."""
        activity = await service.create_activity(db_session, principal=principal, data=data)
        return (await present(db_session, principal, [activity]))[0]

    @get("/{activity_id:int}")
    async def get_one(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> ActivityOut:
        """One activity with its sign-up counts and the caller's own place."""
        activity = require_viewer(principal, await service.require_activity(db_session, activity_id))
        return (await present(db_session, principal, [activity]))[0]

    @patch("/{activity_id:int}")
    async def update(self, activity_id: int, data: ActivityPatch, db_session: AsyncSession,
                     principal: Principal) -> ActivityOut:
        """Edit the fields given. Capacity cannot drop below the confirmed sign-ups; raising it promotes
        people from the waitlist. Editing one occurrence of a series detaches it from the series."""
        activity = await service.update_activity(db_session, principal=principal, activity_id=activity_id,
                                                 changes=data.changes())
        return (await present(db_session, principal, [activity]))[0]

    @post("/{activity_id:int}/publish", status_code=200)
    async def publish(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> ActivityOut:
        """Open a draft for sign-ups (activities needing approval go through /proposal)."""
        activity = await service.publish_activity(db_session, principal=principal, activity_id=activity_id)
        return (await present(db_session, principal, [activity]))[0]

    @post("/{activity_id:int}/cancel", status_code=200)
    async def cancel(self, activity_id: int, data: CancelIn, db_session: AsyncSession,
                     principal: Principal) -> ActivityOut:
        """Cancel with a reason; everyone confirmed or waiting is notified."""
        activity = await service.cancel_activity(db_session, principal=principal, activity_id=activity_id,
                                                 reason=data.reason)
        return (await present(db_session, principal, [activity]))[0]

    @post("/{activity_id:int}/proposal", status_code=200)
    async def submit_proposal(self, activity_id: int, data: ProposalIn, db_session: AsyncSession,
                              principal: Principal) -> ProposalOut:
        """Submit (or resubmit) the 项目申请 of a draft: goals, budget in fen, expected participants, schedule.
        The activity waits for the street office's decision."""
        return proposal_out(await proposals.submit_proposal(db_session, principal=principal,
                                                            activity_id=activity_id, data=data))

    @get("/{activity_id:int}/proposal")
    async def get_proposal(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> ProposalOut:
        """The proposal and its decision, for the community's staff and the street office."""
        return proposal_out(await proposals.get_proposal(db_session, principal=principal, activity_id=activity_id))

    @post("/{activity_id:int}/approve", status_code=200)
    async def approve(self, activity_id: int, db_session: AsyncSession, principal: Principal,
                      data: DecisionIn | None = None) -> ActivityOut:
        """Street admin: approve the proposal; the activity is published."""
        activity = await proposals.approve(db_session, principal=principal, activity_id=activity_id,
                                           note=data.note if data else None)
        return (await present(db_session, principal, [activity]))[0]

    @post("/{activity_id:int}/reject", status_code=200)
    async def reject(self, activity_id: int, data: CancelIn, db_session: AsyncSession,
                     principal: Principal) -> ActivityOut:
        """Street admin: reject the proposal with a reason; the activity returns to draft for revision."""
        activity = await proposals.reject(db_session, principal=principal, activity_id=activity_id,
                                          reason=data.reason)
        return (await present(db_session, principal, [activity]))[0]


class KindController(Controller):
    path = "/api/activity-kinds"
    tags = ["activities"]

    @get("/")
    async def list_kinds(self, community_id: int, db_session: AsyncSession, principal: Principal) -> list[KindOut]:
        """The built-in kinds and the community's own."""
        principal.require_member(community_id)
        return [KindOut(id=k.id, code=k.code, name=k.name, community_id=k.community_id,
                        needs_approval=k.needs_approval, auto_approve=k.auto_approve)
                for k in await kinds.kinds_for(db_session, community_id=community_id)]

    @post("/")
    async def create_kind(self, data: KindCreate, db_session: AsyncSession, principal: Principal) -> KindOut:
        """Organisers add a custom kind for their community (e.g. 铲雪除草)."""
        principal.require_manager(data.community_id)
        k = await kinds.create_kind(db_session, community_id=data.community_id, code=data.code, name=data.name,
                                    needs_approval=data.needs_approval, auto_approve=data.auto_approve)
        return KindOut(id=k.id, code=k.code, name=k.name, community_id=k.community_id,
                       needs_approval=k.needs_approval, auto_approve=k.auto_approve)


ROUTES = [ActivityController, KindController, SignupController, MyActivitiesController, SeriesController,
          CalendarController]
