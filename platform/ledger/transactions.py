"""The ledger's public interface: post, spend and reverse balanced transactions; look up accounts.

Other domains (stores: redemptions and refunds) build on these functions; they flush, never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import affected_rows, local_date
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.ledger.accounts import community_account, lock_accounts, pool_account, store_account, volunteer_account
from servicebank.ledger.models import (
    Account,
    AccountKind,
    CommunityLedgerPolicy,
    Entry,
    ServiceCredit,
    Transaction,
    VolunteerStanding,
)
from servicebank.ledger.posting import Credit, Posting, existing_transactions, post_many
from servicebank.volunteers.models import Volunteer

__all__ = [
    "InsufficientBalance", "community_account", "lock_accounts", "pool_account", "post_transaction", "reverse",
    "spend", "store_account", "volunteer_account",
]

SERVICE_KINDS = frozenset({"service", "service_adjustment", "service_reversal"})


class InsufficientBalance(Conflict):
    """The paying account does not hold enough points."""

    code = "insufficient_balance"


async def post_transaction(session: AsyncSession, *, source_key: str, kind: str, entries: list[tuple[int, int]],
                           memo: str = "", reverses_id: int | None = None,
                           service_minutes: dict[int, int] | None = None,
                           service_date: dt.date | None = None) -> Transaction:
    """Post one balanced transaction; re-posting the same source key returns the first one unchanged.

    `service_minutes` ({volunteer_id: minutes}) also credits service time, counted on `service_date`
    (today in the configured time zone by default, whatever the machine's zone); the points a volunteer's
    own account receives in the transaction count as points earned by that service.
    """
    credits: list[Credit] = []
    if service_minutes:
        day = service_date or local_date(session, utcnow())
        accounts = {a.id: a for a in (await session.scalars(
            select(Account).where(Account.id.in_([a for a, _ in entries])))).all()}
        earned: dict[int, int] = {}
        for account_id, amount in entries:
            account = accounts.get(account_id)
            if account is not None and account.kind == AccountKind.VOLUNTEER:
                earned[account.owner_id] = earned.get(account.owner_id, 0) + amount
        credits = [Credit(volunteer_id=v, service_date=day, minutes=m, points=earned.get(v, 0))
                   for v, m in sorted(service_minutes.items())]
    [txn] = await post_many(session, [Posting(source_key=source_key, kind=kind, entries=list(entries), memo=memo,
                                              reverses_id=reverses_id, credits=credits)])
    return txn


async def policy_for(session: AsyncSession, community_id: int) -> CommunityLedgerPolicy:
    """The community's ledger policy, or the permissive default when it has none."""
    policy = await session.get(CommunityLedgerPolicy, community_id)
    return policy or CommunityLedgerPolicy(community_id=community_id, max_transfer_per_month=None,
                                           min_service_minutes_to_spend=0, allow_family_transfers=True,
                                           allow_pool_donations=True)


async def check_may_spend(session: AsyncSession, *, volunteer_id: int) -> None:
    """Refuse spending before the volunteer has served the community's minimum (e.g. Nanjing's 20 h)."""
    community_id = await session.scalar(select(Volunteer.community_id).where(Volunteer.id == volunteer_id))
    if community_id is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    policy = await policy_for(session, community_id)
    served = await session.scalar(select(VolunteerStanding.service_minutes)
                                  .where(VolunteerStanding.volunteer_id == volunteer_id)) or 0
    if served < policy.min_service_minutes_to_spend:
        hours = policy.min_service_minutes_to_spend / 60
        raise Forbidden(f"Points can be spent or given after {hours:g} hours of service; "
                        f"{served / 60:g} hours are recorded so far.", code="service_hours_too_few",
                        required_minutes=policy.min_service_minutes_to_spend, served_minutes=served)


async def spend(session: AsyncSession, *, from_account_id: int, to_account_id: int, amount: int, source_key: str,
                kind: str, memo: str = "", enforce_policy: bool = True) -> Transaction:
    """Move points out of an account that must hold them; never takes a balance below zero.

    Safe under concurrency: the paying row is locked by a guarded UPDATE before anything is written,
    so of two spends racing for the same points the second sees the first one's result.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput("The amount must be a whole number of points above zero.", code="bad_amount")
    if from_account_id == to_account_id:
        raise InvalidInput("Points cannot be moved to the same account.", code="same_account")
    known = await existing_transactions(session, [source_key])
    if source_key in known:
        return known[source_key]
    payer = await session.get(Account, from_account_id)
    if payer is None or await session.get(Account, to_account_id) is None:
        raise NotFound("No such account.", code="account_not_found")
    if enforce_policy and payer.kind == AccountKind.VOLUNTEER:
        await check_may_spend(session, volunteer_id=payer.owner_id)
    if payer.kind != AccountKind.COMMUNITY:
        # Issuing accounts are negative by design; every other account must cover what it pays.
        locked = await session.execute(
            update(Account).where(Account.id == from_account_id, Account.balance >= amount)
            .values(balance=Account.balance).execution_options(synchronize_session=False))
        if affected_rows(locked) != 1:
            balance = await session.scalar(select(Account.balance).where(Account.id == from_account_id))
            raise InsufficientBalance(f"Not enough points: {amount} needed, {balance} available.",
                                      needed=amount, available=balance)
    [txn] = await post_many(session, [Posting(source_key=source_key, kind=kind, memo=memo,
                                              entries=[(from_account_id, -amount), (to_account_id, amount)])])
    return txn


async def reverse(session: AsyncSession, *, transaction_id: int, source_key: str, memo: str = "") -> Transaction:
    """Post the mirror image of a transaction (a correction that references it); never deletes anything."""
    known = await existing_transactions(session, [source_key])
    if source_key in known:
        return known[source_key]
    original = await session.get(Transaction, transaction_id)
    if original is None:
        raise NotFound("No such transaction.", code="transaction_not_found")
    if original.kind in SERVICE_KINDS:
        raise Conflict("Service postings follow their attendance: decline or adjust the attendance instead.",
                       code="service_posting_not_reversible")
    if original.reverses_id is not None and original.kind == "reversal":
        raise Conflict("A reversal cannot itself be reversed; post a new transaction instead.",
                       code="cannot_reverse_reversal")
    already = await session.scalar(select(func.count(Transaction.id)).where(
        Transaction.reverses_id == transaction_id, Transaction.kind == "reversal"))
    if already:
        raise Conflict("This transaction has already been reversed.", code="already_reversed")
    entries = (await session.execute(select(Entry.account_id, Entry.amount)
                                     .where(Entry.transaction_id == transaction_id).order_by(Entry.id))).all()
    credits = (await session.scalars(select(ServiceCredit).where(ServiceCredit.transaction_id == transaction_id))).all()
    [txn] = await post_many(session, [Posting(
        source_key=source_key, kind="reversal", memo=memo or f"reverses #{transaction_id}", reverses_id=transaction_id,
        entries=[(a, -amt) for a, amt in entries],
        credits=[Credit(volunteer_id=c.volunteer_id, service_date=c.service_date, minutes=-c.minutes,
                        points=-c.points, attendance_id=c.attendance_id, claim_id=c.claim_id) for c in credits])])
    return txn
