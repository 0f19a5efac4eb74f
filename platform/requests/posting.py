"""A finished request's service time and payment, posted as one ledger transaction (source `request:{id}:service`).

The same hours rules as activities (kind `request`: an organiser's rule for that kind, else `*`, else the
built-in quarter hours, ×1, 720 min a day) and the same posting engine (points.posting.post_many), so the
unique source key makes the posting exactly-once and `ledger verify` re-derives it like any other.

Who pays: the volunteer receives the points the rule gives; they come from the payer's account (the resident's
own, a family member's, or the community pool within its monthly limit per household) as far as it holds them
at that moment, and the community's issuing account covers the rest (the community sponsors it, as it does
for activities). The payer's row is locked before its balance is read, so two services paid from one account
at once never take it below zero.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.db import local_date
from servicebank.ledger.accounts import account_ids, lock_accounts
from servicebank.ledger.models import Account, AccountKind
from servicebank.ledger.posting import Credit, Posting, post_many
from servicebank.ledger.rules import load_rules, rule_for
from servicebank.ledger.service_day import capped_minutes, lock_volunteer
from servicebank.requests import repository
from servicebank.requests.models import Payer, RequestPolicy, ServiceRequest
from servicebank.volunteers.models import Volunteer

RULE_KIND = "request"
TRANSACTION_KIND = "request_service"


def source_key(request_id: int) -> str:
    return f"request:{request_id}:service"


def served_minutes(request: ServiceRequest) -> int:
    if request.started_at is None or request.finished_at is None:
        return 0
    return max(0, int((request.finished_at - request.started_at).total_seconds() // 60))


async def _payable(session: AsyncSession, request: ServiceRequest, account_id: int, points: int,
                   policy: RequestPolicy) -> int:
    """What the payer's account can pay now (locked first): its balance, and for the pool the month's limit."""
    await lock_accounts(session, [account_id])
    balance = int(await session.scalar(select(Account.balance).where(Account.id == account_id)) or 0)
    available = max(0, balance)
    if request.payer == Payer.POOL:
        used = await repository.pool_used(session, request.household_id, request.month or "")
        available = min(available, max(0, policy.pool_monthly_limit - used))
    return min(points, available)


async def post_service(session: AsyncSession, request: ServiceRequest, policy: RequestPolicy) -> None:
    """Credit the volunteer's service and move the payment; sets the request's posted figures."""
    assert request.volunteer_id is not None and request.started_at is not None
    volunteer_id = request.volunteer_id
    await lock_volunteer(session, volunteer_id)
    day = local_date(session, request.started_at)
    request.month = day.strftime("%Y-%m")
    await load_rules(session, [(request.community_id, RULE_KIND)])
    rule = rule_for(session, community_id=request.community_id, kind=RULE_KIND, override=None)
    minutes = await capped_minutes(session, rule, volunteer_id=volunteer_id, day=day,
                                   served_minutes=served_minutes(request))
    paid_service = bool(await session.scalar(select(Volunteer.paid_service).where(Volunteer.id == volunteer_id)))
    points = rule.points_for(minutes, paid_service=paid_service)
    keys = [(AccountKind.VOLUNTEER, volunteer_id), (AccountKind.COMMUNITY, request.community_id)]
    payer_key = None
    if request.payer in (Payer.SELF, Payer.FAMILY) and request.payer_volunteer_id not in (None, volunteer_id):
        payer_key = (AccountKind.VOLUNTEER, request.payer_volunteer_id)
    elif request.payer == Payer.POOL:
        payer_key = (AccountKind.POOL, request.community_id)
    accounts = await account_ids(session, keys + ([payer_key] if payer_key else []))
    paid = await _payable(session, request, accounts[payer_key], points, policy) if payer_key and points else 0
    entries = [(accounts[keys[0]], points), (accounts[keys[1]], paid - points)]
    if paid:
        entries.append((accounts[payer_key], -paid))  # type: ignore[index]  # payer_key is set when paid > 0
    posting = Posting(
        source_key=source_key(request.id), kind=TRANSACTION_KIND,
        memo=f"request #{request.id}: {minutes} min, {points} pts, {paid} paid by {request.payer} "
             f"({rule.source} v{rule.version})",
        entries=[(a, amount) for a, amount in entries if amount],
        credits=[Credit(volunteer_id, day, minutes, points, rule_id=rule.rule_id, rule_version=rule.version,
                        rule_source=rule.source)])
    [txn] = await post_many(session, [posting])
    request.transaction_id = txn.id
    request.posted_minutes, request.posted_points, request.paid_by_payer = minutes, points, paid
