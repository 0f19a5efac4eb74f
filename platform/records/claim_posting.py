"""An approved late claim's hours, posted once through the ledger's engine (source `claim:{id}:service`).

The same hours rules as attendance: for one of our activities the activity's rule (its community's rule for its
kind, the platform's, `*`, the built-in quarter hours; the activity's override over it); for a service elsewhere
the confirming community's rule for kind `late_claim`, else `*`, else the built-in one. The day's cap counts the
volunteer's service already credited that day from any source, under the tally's per-volunteer lock. The unique
source key makes the posting exactly-once; the credit names the claim, so `ledger verify` re-derives it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity
from servicebank.ledger.accounts import account_ids
from servicebank.ledger.models import AccountKind, Transaction
from servicebank.ledger.posting import Credit, Posting, post_many
from servicebank.ledger.rules import load_rules, rule_for
from servicebank.ledger.service_day import capped_minutes, lock_volunteer
from servicebank.records.models import ServiceClaim
from servicebank.volunteers.models import Volunteer

ELSEWHERE_RULE_KIND = "late_claim"
TRANSACTION_KIND = "claim_service"


def source_key(claim_id: int) -> str:
    return f"claim:{claim_id}:service"


async def post_claim(session: AsyncSession, claim: ServiceClaim) -> Transaction:
    """Credit the claim's minutes and points to the volunteer, issued by the confirming community."""
    volunteer_id = claim.volunteer_id
    await lock_volunteer(session, volunteer_id)
    kind, override = ELSEWHERE_RULE_KIND, None
    if claim.activity_id is not None:
        activity = await session.get(Activity, claim.activity_id)
        assert activity is not None, "a claim's activity is never deleted"
        kind, override = activity.kind, activity.hours_rule_override
    await load_rules(session, [(claim.community_id, kind)])
    rule = rule_for(session, community_id=claim.community_id, kind=kind, override=override)
    minutes = await capped_minutes(session, rule, volunteer_id=volunteer_id, day=claim.service_date,
                                   served_minutes=claim.served_minutes)
    paid_service = bool(await session.scalar(select(Volunteer.paid_service).where(Volunteer.id == volunteer_id)))
    points = rule.points_for(minutes, paid_service=paid_service)
    keys = [(AccountKind.VOLUNTEER, volunteer_id), (AccountKind.COMMUNITY, claim.community_id)]
    accounts = await account_ids(session, keys)
    posting = Posting(
        source_key=source_key(claim.id), kind=TRANSACTION_KIND,
        memo=f"late claim #{claim.id}: {minutes} min, {points} pts ({rule.source} v{rule.version})",
        entries=[(accounts[keys[0]], points), (accounts[keys[1]], -points)] if points else [],
        credits=[Credit(volunteer_id, claim.service_date, minutes, points, claim_id=claim.id, rule_id=rule.rule_id,
                        rule_version=rule.version, rule_source=rule.source)])
    [txn] = await post_many(session, [posting])
    claim.transaction_id, claim.posted_minutes, claim.posted_points = txn.id, minutes, points
    return txn
