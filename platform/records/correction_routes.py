"""Corrections on request through the API: ask, list, accept or decline."""

from __future__ import annotations

from litestar import Controller, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.records import correction_views as views
from servicebank.records.schemas import CorrectionIn, CorrectionOut, DecisionIn


class CorrectionController(Controller):
    path = "/api"
    tags = ["records"]

    @post("/me/corrections", status_code=201)
    async def ask(self, data: CorrectionIn, db_session: AsyncSession, principal: Principal) -> CorrectionOut:
        """Ask to correct one of your records (`attendance_id` or `claim_id`): the times it should have, the right
        `activity_id` if it was another one, and `reason`. Errors: `correction_pending`, `correction_no_change`,
        `record_not_correctable`, `correction_record_not_found`, `correction_activity_elsewhere`,
        `correction_invalid_times`, `times_outside_activity`, `correction_reason_required`."""
        return await views.request(db_session, principal=principal, data=data, now=utcnow())

    @get("/me/corrections")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> list[CorrectionOut]:
        """The caller's correction requests, newest first, with their decisions."""
        return await views.of_volunteer(db_session, principal=principal, volunteer_id=principal.require_volunteer())

    @get("/communities/{community_id:int}/corrections")
    async def of_community(self, community_id: int, db_session: AsyncSession, principal: Principal,
                           status: str | None = None) -> list[CorrectionOut]:
        """Organisers: the requests about the community's records (`?status=pending` for those waiting)."""
        return await views.for_community(db_session, principal=principal, community_id=community_id, status=status)

    @get("/corrections/{correction_id:int}")
    async def one(self, correction_id: int, db_session: AsyncSession, principal: Principal) -> CorrectionOut:
        """A request, for its volunteer and the organisers of its community."""
        return await views.one(db_session, principal=principal, correction_id=correction_id)

    @post("/corrections/{correction_id:int}/accept", status_code=200)
    async def accept(self, correction_id: int, data: DecisionIn, db_session: AsyncSession,
                     principal: Principal) -> CorrectionOut:
        """Organisers: correct the record: what it counted is reversed and the corrected figures posted (audited)."""
        return await views.decide(db_session, principal=principal, correction_id=correction_id, accept=True,
                                  reason=data.reason, now=utcnow())

    @post("/corrections/{correction_id:int}/decline", status_code=200)
    async def decline(self, correction_id: int, data: DecisionIn, db_session: AsyncSession,
                      principal: Principal) -> CorrectionOut:
        """Organisers: keep the record as it is, saying why (audited)."""
        return await views.decide(db_session, principal=principal, correction_id=correction_id, accept=False,
                                  reason=data.reason, now=utcnow())
