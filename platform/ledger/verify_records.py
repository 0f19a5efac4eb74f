"""`ledger verify` for the records domain's postings: late claims (补录) and corrections on request.

Named kinds rather than imports of records' posting code, so verify reads that domain's tables only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import aliased

from servicebank.ledger import carry
from servicebank.ledger.models import ServiceCredit, Transaction
from servicebank.records.models import ClaimStatus, CorrectionStatus, ServiceClaim, ServiceCorrection

# An approved late claim's posting, and a correction's reversal and new posting (records/claim_posting.py).
CLAIM_TRANSACTION_KIND = "claim_service"
CORRECTION_KINDS = ("correction_reversal", "correction_service")
# The tally's reversal of everything an attendance counted, before a correction's new posting (ledger/tally.py).
ATTENDANCE_CORRECTION_REVERSAL = "attendance:%:reversal"


async def verify_claim_postings(session: Any, report: Any, attached_from: dt.datetime | None = None) -> None:
    """Each late claim against the credits naming it: what the claim says it counts for is what the ledger holds.

    Both ways: credits naming a claim that is not approved (or does not exist), and a claim posting
    (`claim_service`) whose credits name no claim, are differences too. Detached years count through what they
    carried (ledger/carry.py); their postings' credits are not in the ledger to name a claim (`attached_from`).
    """
    per_claim = (select(ServiceCredit.claim_id, func.sum(ServiceCredit.minutes).label("m"),
                        func.sum(ServiceCredit.points).label("p"))
                 .where(ServiceCredit.claim_id.is_not(None)).group_by(ServiceCredit.claim_id).subquery())
    carried = carry.sums(carry.CLAIM)
    rows = await session.execute(
        select(ServiceClaim.id, ServiceClaim.status, ServiceClaim.posted_minutes, ServiceClaim.posted_points,
               per_claim.c.m, per_claim.c.p, carried.c.minutes, carried.c.points)
        .outerjoin(per_claim, per_claim.c.claim_id == ServiceClaim.id)
        .outerjoin(carried, carried.c.subject == ServiceClaim.id)
        .where(or_(per_claim.c.claim_id.is_not(None), carried.c.subject.is_not(None), ServiceClaim.posted_minutes != 0,
                   ServiceClaim.posted_points != 0)))
    for cid, status, m, p, dm, dp, cm, cp in rows.all():
        derived = [int(dm or 0) + int(cm or 0), int(dp or 0) + int(cp or 0)]
        if status != ClaimStatus.APPROVED and (dm is not None or cm is not None):
            report.add("claim_postings", claim_id=cid, kept=status, derived="credits of an undecided or declined claim")
        elif [m, p] != derived:
            report.add("claim_postings", claim_id=cid, kept=[m, p], derived=derived)
    orphans = await session.execute(
        select(ServiceCredit.claim_id).where(ServiceCredit.claim_id.is_not(None),
                                             ServiceCredit.claim_id.not_in(select(ServiceClaim.id))).distinct())
    for (cid,) in orphans.all():
        report.add("claim_postings", claim_id=cid, kept=None, derived="no claim")
    unnamed = await session.scalars(select(Transaction.id).where(
        Transaction.kind == CLAIM_TRANSACTION_KIND,
        Transaction.created_at >= attached_from if attached_from is not None else true(),
        Transaction.id.not_in(select(ServiceCredit.transaction_id).where(ServiceCredit.claim_id.is_not(None)))))
    for txn in unnamed.all():
        report.add("claim_postings", transaction_id=txn, kept=None, derived="no claim")


async def verify_correction_reversals(session: Any, report: Any) -> None:
    """A correction takes back exactly what its record counted, and every correction posting belongs to one.

    After each full reversal (a claim's `correction_reversal`, an attendance's `…:reversal`) the record's credits up
    to and including it must sum to zero; a correction posting no accepted correction names is a difference too.
    """
    reversal = (select(Transaction.id.label("tid"), ServiceCredit.claim_id, ServiceCredit.attendance_id)
                .join(ServiceCredit, ServiceCredit.transaction_id == Transaction.id)
                .where(or_(Transaction.kind == CORRECTION_KINDS[0],
                           Transaction.source_key.like(ATTENDANCE_CORRECTION_REVERSAL)))
                .distinct().subquery())
    earlier = aliased(ServiceCredit)
    same_record = or_(and_(reversal.c.claim_id.is_not(None), earlier.claim_id == reversal.c.claim_id),
                      and_(reversal.c.claim_id.is_(None), earlier.attendance_id == reversal.c.attendance_id))
    # What the record counted in detached years (always before a reversal still in the ledger).
    claims, attendances = carry.sums(carry.CLAIM), carry.sums(carry.ATTENDANCE)
    carried_minutes = func.coalesce(func.max(claims.c.minutes), func.max(attendances.c.minutes), 0)
    carried_points = func.coalesce(func.max(claims.c.points), func.max(attendances.c.points), 0)
    rows = await session.execute(
        select(reversal.c.tid, reversal.c.claim_id, reversal.c.attendance_id,
               func.sum(earlier.minutes) + carried_minutes, func.sum(earlier.points) + carried_points)
        .join(earlier, and_(earlier.transaction_id <= reversal.c.tid, same_record))
        .outerjoin(claims, claims.c.subject == reversal.c.claim_id)
        .outerjoin(attendances, and_(reversal.c.claim_id.is_(None), attendances.c.subject == reversal.c.attendance_id))
        .group_by(reversal.c.tid, reversal.c.claim_id, reversal.c.attendance_id))
    for tid, claim_id, attendance_id, minutes, points in rows.all():
        if (int(minutes or 0), int(points or 0)) != (0, 0):
            report.add("correction_postings", transaction_id=tid, claim_id=claim_id, attendance_id=attendance_id,
                       kept=[int(minutes or 0), int(points or 0)], derived=[0, 0])
    accepted = ServiceCorrection.status == CorrectionStatus.ACCEPTED
    # NULLs left out: NOT IN over a list holding a NULL is never true, which would hide every orphan.
    named = select(ServiceCorrection.reversal_transaction_id).where(
        accepted, ServiceCorrection.reversal_transaction_id.is_not(None)).union(
        select(ServiceCorrection.posting_transaction_id).where(
            accepted, ServiceCorrection.posting_transaction_id.is_not(None)))
    orphans = await session.scalars(select(Transaction.id).where(Transaction.kind.in_(CORRECTION_KINDS),
                                                                 Transaction.id.not_in(named)))
    for txn in orphans.all():
        report.add("correction_postings", transaction_id=txn, kept=None, derived="no accepted correction")
