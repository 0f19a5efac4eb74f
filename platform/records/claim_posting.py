"""An approved late claim's hours, posted once through the ledger's engine (source `claim:{id}:service`), and a
correction of it: the reversal of everything the claim counts for, then the corrected figures as a new posting.

The same hours rules as attendance: for one of our activities the activity's rule (its community's rule for its
kind, the platform's, `*`, the built-in quarter hours; the activity's override over it); for a service elsewhere
the confirming community's rule for kind `late_claim`, else `*`, else the built-in one. The day's cap counts the
volunteer's service already credited that day from any source, under the tally's per-volunteer lock. Unique source
keys make each posting exactly-once; the credits name the claim, so `ledger verify` re-derives what it counts for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity
from servicebank.ledger import carry
from servicebank.ledger.accounts import account_ids
from servicebank.ledger.models import AccountKind, ServiceCredit, Transaction
from servicebank.ledger.posting import Credit, Posting, post_many
from servicebank.ledger.rules import load_rules, rule_for
from servicebank.ledger.service_day import capped_minutes, lock_volunteer
from servicebank.records.models import ServiceClaim, ServiceCorrection
from servicebank.volunteers.models import Volunteer

ELSEWHERE_RULE_KIND = "late_claim"
TRANSACTION_KIND = "claim_service"
CORRECTION_REVERSAL_KIND = "correction_reversal"
CORRECTION_KIND = "correction_service"


def source_key(claim_id: int) -> str:
    return f"claim:{claim_id}:service"


@dataclasses.dataclass(frozen=True)
class Service:
    """What is to be posted for a claim: where (the activity, if one of ours), the day and the minutes served."""

    activity_id: int | None
    day: dt.date
    served_minutes: int


async def _posting(session: AsyncSession, claim: ServiceClaim, service: Service, *, key: str, kind: str,
                   what: str) -> Posting:
    """The claim's service under the hours rules and the day's cap, as one posting."""
    rule_kind, override = ELSEWHERE_RULE_KIND, None
    if service.activity_id is not None:
        activity = await session.get(Activity, service.activity_id)
        assert activity is not None, "a claim's activity is never deleted"
        rule_kind, override = activity.kind, activity.hours_rule_override
    await load_rules(session, [(claim.community_id, rule_kind)])
    rule = rule_for(session, community_id=claim.community_id, kind=rule_kind, override=override)
    minutes = await capped_minutes(session, rule, volunteer_id=claim.volunteer_id, day=service.day,
                                   served_minutes=service.served_minutes)
    paid = bool(await session.scalar(select(Volunteer.paid_service).where(Volunteer.id == claim.volunteer_id)))
    points = rule.points_for(minutes, paid_service=paid)
    return Posting(source_key=key, kind=kind, memo=f"{what}: {minutes} min, {points} pts ({rule.source} v{rule.version})",
                   entries=await _entries(session, claim, points),
                   credits=[Credit(claim.volunteer_id, service.day, minutes, points, claim_id=claim.id,
                                   rule_id=rule.rule_id, rule_version=rule.version, rule_source=rule.source)])


async def _entries(session: AsyncSession, claim: ServiceClaim, points: int) -> list[tuple[int, int]]:
    """Points to the volunteer from the confirming community's issuing account (negative: taken back)."""
    if not points:
        return []
    keys = [(AccountKind.VOLUNTEER, claim.volunteer_id), (AccountKind.COMMUNITY, claim.community_id)]
    accounts = await account_ids(session, keys)
    return [(accounts[keys[0]], points), (accounts[keys[1]], -points)]


def _counted(claim: ServiceClaim, txn: Transaction, posting: Posting) -> None:
    [credit] = posting.credits
    claim.transaction_id, claim.posted_minutes, claim.posted_points = txn.id, credit.minutes, credit.points


async def post_claim(session: AsyncSession, claim: ServiceClaim) -> Transaction:
    """Credit the claim's minutes and points to the volunteer, issued by the confirming community."""
    await lock_volunteer(session, claim.volunteer_id)
    posting = await _posting(session, claim, Service(claim.activity_id, claim.service_date, claim.served_minutes),
                             key=source_key(claim.id), kind=TRANSACTION_KIND, what=f"late claim #{claim.id}")
    [txn] = await post_many(session, [posting])
    _counted(claim, txn, posting)
    return txn


async def post_correction(session: AsyncSession, claim: ServiceClaim, correction: ServiceCorrection,
                          service: Service) -> tuple[Transaction, Transaction]:
    """Reverse all the claim counts for (per day, from its credits), then post the corrected service anew."""
    await lock_volunteer(session, claim.volunteer_id)
    counted = (await session.execute(
        select(ServiceCredit.service_date, func.sum(ServiceCredit.minutes), func.sum(ServiceCredit.points))
        .where(ServiceCredit.claim_id == claim.id).group_by(ServiceCredit.service_date)
        .order_by(ServiceCredit.service_date))).all()
    back = [Credit(claim.volunteer_id, day, -int(m), -int(p), claim_id=claim.id) for day, m, p in counted if m or p]
    # A claim posted in a year since detached from the ledger: its credits are archived, what they counted carried.
    carried_minutes, carried_points = await carry.carried_for(session, carry.CLAIM, claim.id)
    if carried_minutes or carried_points:
        back.append(Credit(claim.volunteer_id, claim.service_date, -carried_minutes, -carried_points, claim_id=claim.id))
    reversal = Posting(source_key=f"correction:{correction.id}:reversal", kind=CORRECTION_REVERSAL_KIND,
                       memo=f"correction #{correction.id} of late claim #{claim.id}: reversed",
                       reverses_id=claim.transaction_id, entries=await _entries(session, claim, -claim.posted_points),
                       credits=back or [Credit(claim.volunteer_id, claim.service_date, 0, 0, claim_id=claim.id)])
    # Posted first: the new figures' daily cap must not count what is being taken back.
    [reversed_txn] = await post_many(session, [reversal])
    posting = await _posting(session, claim, service, key=f"correction:{correction.id}:service", kind=CORRECTION_KIND,
                             what=f"correction #{correction.id} of late claim #{claim.id}")
    [new_txn] = await post_many(session, [posting])
    _counted(claim, new_txn, posting)
    return reversed_txn, new_txn
