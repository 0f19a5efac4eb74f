"""Correction requests out: the shapes the API and the pages read, and the requests grouped by their record."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.records import correction_repository as repo
from servicebank.records import corrections
from servicebank.records.access import readable_volunteer
from servicebank.records.models import ServiceCorrection
from servicebank.records.schemas import CorrectionIn, CorrectionOut


def correction_out(c: ServiceCorrection, volunteer_name: str, record_title: str,
                   activity_title: str | None) -> CorrectionOut:
    return CorrectionOut(
        id=c.id, volunteer_id=c.volunteer_id, volunteer_name=volunteer_name, community_id=c.community_id,
        attendance_id=c.attendance_id, claim_id=c.claim_id, record_title=record_title, activity_id=c.activity_id,
        activity_title=activity_title, started_at=c.started_at, ended_at=c.ended_at, reason=c.reason,
        status=c.status, decided_by_user_id=c.decided_by_user_id, decided_at=c.decided_at,
        decision_reason=c.decision_reason, reversal_transaction_id=c.reversal_transaction_id,
        posting_transaction_id=c.posting_transaction_id, new_attendance_id=c.new_attendance_id,
        created_at=c.created_at)


async def _listed(session: AsyncSession, **where: Any) -> list[CorrectionOut]:
    return [correction_out(*row) for row in await repo.listed(session, **where)]


async def one(session: AsyncSession, *, principal: Principal, correction_id: int) -> CorrectionOut:
    """A request for its volunteer or the organisers of its community."""
    await corrections.readable(session, principal=principal, correction_id=correction_id)
    [out] = await _listed(session, correction_id=correction_id)
    return out


async def of_volunteer(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> list[CorrectionOut]:
    """A volunteer's requests (for themself, or an organiser: those of the communities they manage)."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    mine = principal.volunteer_id == volunteer.id
    return [c for c in await _listed(session, volunteer_id=volunteer.id) if mine or principal.manages(c.community_id)]


async def for_community(session: AsyncSession, *, principal: Principal, community_id: int,
                        status: str | None) -> list[CorrectionOut]:
    """The requests the community's organisers decide, newest first."""
    principal.require_manager(community_id)
    return [c for c in await _listed(session, community_id=community_id) if status is None or c.status == status]


def by_record(rows: list[CorrectionOut]) -> dict[str, list[CorrectionOut]]:
    """Requests by their record ("attendance:12", "claim:3"), oldest first: shown with the record."""
    grouped: dict[str, list[CorrectionOut]] = defaultdict(list)
    for c in sorted(rows, key=lambda c: c.id):
        grouped[f"attendance:{c.attendance_id}" if c.attendance_id else f"claim:{c.claim_id}"].append(c)
    return dict(grouped)


async def request(session: AsyncSession, *, principal: Principal, data: CorrectionIn, now: dt.datetime) -> CorrectionOut:
    correction = await corrections.request(session, principal=principal, data=data, now=now)
    return await one(session, principal=principal, correction_id=correction.id)


async def decide(session: AsyncSession, *, principal: Principal, correction_id: int, accept: bool, reason: str,
                 now: dt.datetime) -> CorrectionOut:
    await corrections.decide(session, principal=principal, correction_id=correction_id, accept=accept, reason=reason,
                             now=now)
    return await one(session, principal=principal, correction_id=correction_id)
