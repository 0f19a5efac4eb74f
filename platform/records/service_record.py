"""A volunteer's 志愿服务记录表: the fields of 《志愿服务记录与证明出具办法》 for one volunteer, all their records.

Identity (name, ID type, masked number, volunteer number); every record that counts now (activities, late claims,
residents' requests: day, times, content, hours, recording organisation, confirmer); 评价情况 (residents' ratings);
培训情况 (trainings, apart from service hours); and 更正情况: each accepted correction with what the ledger did, a
reversal of what the record counted and a new posting of the corrected figures (nothing edited or deleted).
For the volunteer themself and the organisers of their community (records/access.py); others are refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.principal import Principal
from servicebank.activities import repository as activity_repo
from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance
from servicebank.ledger.models import ServiceCredit, Transaction
from servicebank.org.models import Community
from servicebank.records import service_rows, trainings
from servicebank.records.access import readable_volunteer
from servicebank.records.models import CorrectionStatus, ServiceClaim, ServiceCorrection
from servicebank.records.record_export import masked_id_number, service_record
from servicebank.records.schemas import TrainingSummaryOut
from servicebank.requests import ratings

REVERSAL_KINDS = ("service_reversal", "correction_reversal")


@dataclasses.dataclass(frozen=True)
class Correction:
    """One accepted correction: the record it changed, what was taken back and what was posted anew (None: the
    ledger has not posted it yet)."""

    decided_on: dt.date | None
    decided_by: str
    record: str
    reversed_minutes: int | None
    posted_minutes: int | None
    reason: str


@dataclasses.dataclass(frozen=True)
class ServiceRecord:
    identity: dict[str, str]
    community: str
    records: list[dict[str, Any]]
    total_minutes: int
    rating: dict[str, Any] | None
    training: TrainingSummaryOut
    corrections: list[Correction]
    made_on: dt.date


async def _credits_by_attendance(session: AsyncSession, attendance_ids: set[int]) -> dict[int, list[tuple[int, str,
                                                                                                        int]]]:
    """(transaction id, kind, minutes) posted for each attendance, in posting order."""
    if not attendance_ids:
        return {}
    rows = (await session.execute(
        select(ServiceCredit.attendance_id, Transaction.id, Transaction.kind, func.sum(ServiceCredit.minutes))
        .join(Transaction, Transaction.id == ServiceCredit.transaction_id)
        .where(ServiceCredit.attendance_id.in_(sorted(attendance_ids)))
        .group_by(ServiceCredit.attendance_id, Transaction.id, Transaction.kind).order_by(Transaction.id))).all()
    out: dict[int, list[tuple[int, str, int]]] = {}
    for attendance_id, txn_id, kind, minutes in rows:
        out.setdefault(int(attendance_id), []).append((int(txn_id), str(kind), int(minutes or 0)))
    return out


async def _transaction_minutes(session: AsyncSession, txn_ids: set[int]) -> dict[int, int]:
    if not txn_ids:
        return {}
    rows = await session.execute(select(ServiceCredit.transaction_id, func.sum(ServiceCredit.minutes))
                                 .where(ServiceCredit.transaction_id.in_(sorted(txn_ids)))
                                 .group_by(ServiceCredit.transaction_id))
    return {int(t): int(m or 0) for t, m in rows.all()}


async def _record_names(session: AsyncSession, corrections: list[ServiceCorrection]) -> dict[tuple[str, int], str]:
    """'活动名 (day)' for the attendances and '补录：content (day)' for the claims the corrections name."""
    names: dict[tuple[str, int], str] = {}
    attendance_ids = {c.attendance_id for c in corrections if c.attendance_id}
    if attendance_ids:
        for att_id, title, day in (await session.execute(
                select(Attendance.id, Activity.title, Attendance.service_date)
                .join(Activity, Activity.id == Attendance.activity_id)
                .where(Attendance.id.in_(sorted(attendance_ids))))).all():
            names[("attendance", att_id)] = f"{title}（{day.isoformat()}）"
    claim_ids = {c.claim_id for c in corrections if c.claim_id}
    if claim_ids:
        for claim_id, content, day in (await session.execute(
                select(ServiceClaim.id, ServiceClaim.content, ServiceClaim.service_date)
                .where(ServiceClaim.id.in_(sorted(claim_ids))))).all():
            names[("claim", claim_id)] = f"补录：{content[:40]}（{day.isoformat()}）"
    return names


async def corrections_of(session: AsyncSession, volunteer_id: int, tz: ZoneInfo) -> list[Correction]:
    """The volunteer's accepted corrections, oldest first, each with the reversal and the new posting's minutes."""
    rows = list((await session.scalars(
        select(ServiceCorrection).where(ServiceCorrection.volunteer_id == volunteer_id,
                                        ServiceCorrection.status == CorrectionStatus.ACCEPTED)
        .order_by(ServiceCorrection.decided_at, ServiceCorrection.id))).all())
    if not rows:
        return []
    names = await _record_names(session, rows)
    deciders = dict((await session.execute(select(User.id, User.display_name).where(
        User.id.in_(sorted({c.decided_by_user_id for c in rows if c.decided_by_user_id})))) ).tuples().all())
    claim_txns = await _transaction_minutes(session, {t for c in rows for t in (c.reversal_transaction_id,
                                                                               c.posting_transaction_id) if t})
    credits = await _credits_by_attendance(session, {a for c in rows for a in (c.attendance_id, c.new_attendance_id)
                                                      if a})
    seen: dict[int, int] = {}  # attendance -> corrections of it met so far (the nth matches its nth reversal)
    out = []
    for c in rows:
        reversed_minutes = posted = None
        if c.claim_id is not None:
            record = names.get(("claim", c.claim_id), "")
            reversed_minutes = claim_txns.get(c.reversal_transaction_id or 0)
            posted = claim_txns.get(c.posting_transaction_id or 0)
        else:
            assert c.attendance_id is not None
            record = names.get(("attendance", c.attendance_id), "")
            history = credits.get(c.attendance_id, [])
            reversals = [i for i, (_t, kind, _m) in enumerate(history) if kind in REVERSAL_KINDS]
            nth = seen.get(c.attendance_id, 0)
            seen[c.attendance_id] = nth + 1
            if nth < len(reversals):
                at = reversals[nth]
                reversed_minutes = history[at][2]
                if c.new_attendance_id is not None:
                    new = credits.get(c.new_attendance_id, [])
                    posted = new[0][2] if new else None
                elif at + 1 < len(history):
                    posted = history[at + 1][2]
        out.append(Correction(c.decided_at.astimezone(tz).date() if c.decided_at else None,
                              deciders.get(c.decided_by_user_id or 0, ""), record, reversed_minutes, posted,
                              c.decision_reason or c.reason))
    return out


async def gather(session: AsyncSession, *, principal: Principal, volunteer_id: int, timezone: str,
                 today: dt.date) -> ServiceRecord:
    """Everything the 志愿服务记录表 prints, for the volunteer or an organiser of their community."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    tz = ZoneInfo(timezone)
    community = await session.get(Community, volunteer.community_id)
    rows = (await session.execute(service_rows.records_statement(volunteer_id=volunteer.id))).all()
    kinds = await activity_repo.kind_names_of(session, sorted({r.community_id for r in rows} | {volunteer.community_id}))
    records = [service_record(r, tz, kinds) for r in rows]
    rated = await ratings.received(session, volunteer_id=volunteer.id)
    identity = {"姓名": volunteer.real_name, "证件类型": volunteer.id_type or "—",
                "证件号码": masked_id_number(volunteer.id_number_masked, volunteer.id_number_last4) or "—",
                "志愿者编号": volunteer.number}
    return ServiceRecord(identity=identity, community=community.name if community else "", records=records,
                         total_minutes=sum(r["service_minutes"] for r in records),
                         rating=rated.as_dict() if rated else None,
                         training=await trainings.summary(session, principal=principal, volunteer_id=volunteer.id),
                         corrections=await corrections_of(session, volunteer.id, tz), made_on=today)

