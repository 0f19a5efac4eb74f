"""Ledger accounts: get or create them one at a time or in bulk (a batch of postings needs many)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import BigInteger, and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.bulk import arrays_source, insert_rows
from servicebank.kernel.dialect import is_postgres
from servicebank.ledger.models import Account, AccountKind, VolunteerStanding
from servicebank.volunteers.models import Volunteer


async def account_ids(session: AsyncSession, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Account ids for (kind, owner_id) pairs, creating the missing accounts."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    found = await _existing(session, wanted)
    missing = [k for k in wanted if k not in found]
    if missing:
        # ON CONFLICT DO NOTHING: a concurrent batch may create the same account first.
        stmt, rows = insert_rows(session, Account, [{"kind": k, "owner_id": o, "balance": 0} for k, o in missing])
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["kind", "owner_id"]), rows)
        found.update(await _existing(session, missing))
    return found


@dataclasses.dataclass(frozen=True)
class AccountSummary:
    community_id: int
    account_id: int | None  # None until the volunteer's first posting or view creates it
    balance: int
    service_minutes: int
    points_earned: int
    star_level: int


async def account_summary(session: AsyncSession, volunteer_id: int) -> AccountSummary | None:
    """The volunteer's community, account and standing in one query (the account page's head); None: no such
    volunteer. (Three reads by key used to cost more than the page's entries.)"""
    row = (await session.execute(
        select(Volunteer.community_id, Account.id, Account.balance, VolunteerStanding.service_minutes,
               VolunteerStanding.points_earned, VolunteerStanding.star_level)
        .select_from(Volunteer)
        .outerjoin(Account, (Account.kind == AccountKind.VOLUNTEER) & (Account.owner_id == Volunteer.id))
        .outerjoin(VolunteerStanding, VolunteerStanding.volunteer_id == Volunteer.id)
        .where(Volunteer.id == volunteer_id))).first()
    if row is None:
        return None
    community_id, account_id, balance, minutes, points, star = row
    return AccountSummary(community_id=community_id, account_id=account_id, balance=balance or 0,
                          service_minutes=minutes or 0, points_earned=points or 0, star_level=star or 0)


async def _existing(session: AsyncSession, keys: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    if is_postgres(session):
        # Joined with the pairs as arrays: a tuple IN list is rendered anew, pair by pair, for every call.
        wanted = arrays_source([{"kind": k, "owner_id": o} for k, o in keys],
                               {"kind": Account.__table__.c.kind.type, "owner_id": BigInteger()}, "wanted").subquery()
        rows = await session.execute(select(Account.kind, Account.owner_id, Account.id).join(
            wanted, and_(Account.kind == wanted.c.kind, Account.owner_id == wanted.c.owner_id)))
        return {(kind, owner): account_id for kind, owner, account_id in rows.all()}
    found: dict[tuple[str, int], int] = {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        rows = await session.execute(
            select(Account.kind, Account.owner_id, Account.id).where(tuple_(Account.kind, Account.owner_id).in_(chunk))
        )
        found.update({(kind, owner): account_id for kind, owner, account_id in rows.all()})
    return found


async def _account(session: AsyncSession, kind: str, owner_id: int) -> Account:
    ids = await account_ids(session, [(kind, owner_id)])
    account = await session.get(Account, ids[(kind, owner_id)], populate_existing=True)
    assert account is not None
    return account


async def lock_accounts(session: AsyncSession, account_ids: Iterable[int]) -> None:
    """Hold the account rows until the transaction ends (FOR NO KEY UPDATE on PostgreSQL; SQLite's
    transactions are already serialised by BEGIN IMMEDIATE), so a check and the write it allows are one step.

    In id order, as posting moves balances: two transfers between the same two people in opposite
    directions then wait for each other instead of each holding one row and wanting the other's.
    """
    await session.execute(select(Account.id).where(Account.id.in_(sorted(set(account_ids))))
                          .order_by(Account.id).with_for_update(key_share=True))


async def volunteer_account(session: AsyncSession, volunteer_id: int) -> Account:
    """The volunteer's time-bank account (created on first use)."""
    return await _account(session, AccountKind.VOLUNTEER, volunteer_id)


async def community_account(session: AsyncSession, community_id: int) -> Account:
    """The community's issuing account: service credits are drawn from it, so its balance is negative."""
    return await _account(session, AccountKind.COMMUNITY, community_id)


async def store_account(session: AsyncSession, store_id: int) -> Account:
    """A store's account: redemptions pay into it."""
    return await _account(session, AccountKind.STORE, store_id)


async def pool_account(session: AsyncSession, community_id: int) -> Account:
    """The community's donation pool (公益池)."""
    return await _account(session, AccountKind.POOL, community_id)
