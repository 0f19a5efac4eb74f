"""The posting engine: many balanced transactions written with a handful of statements.

Everything that changes the ledger goes through `post_many`: it skips source keys already posted,
writes transactions, entries and service credits, moves the kept balances and totals (per volunteer
and per community) by the same amounts, announces new star levels, and remembers which leaderboard
totals changed so they can be pushed to Redis after commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.errors import InvalidInput
from servicebank.events import record_event
from servicebank.points.accounts import upsert
from servicebank.points.community_totals import apply_changes
from servicebank.points.levels import periods_for, star_level
from servicebank.points.lb_push import remember_changes
from servicebank.points.models import Account, Entry, PeriodTotal, ServiceCredit, Transaction, VolunteerStanding

MAX_SOURCE_KEY = 160


@dataclasses.dataclass(frozen=True)
class Credit:
    """Service minutes (and the points they earned) one transaction adds for a volunteer on a day."""

    volunteer_id: int
    service_date: dt.date
    minutes: int
    points: int = 0
    attendance_id: int | None = None
    rule_id: int | None = None
    rule_version: int | None = None
    rule_source: str | None = None


@dataclasses.dataclass
class Posting:
    """One transaction to write: entries (account_id, amount) summing to zero, and its service credits."""

    source_key: str
    kind: str
    entries: list[tuple[int, int]]
    memo: str = ""
    reverses_id: int | None = None
    credits: list[Credit] = dataclasses.field(default_factory=list)


def validate(posting: Posting) -> None:
    """Refuse a posting that would break the ledger's invariants."""
    if not posting.source_key or len(posting.source_key) > MAX_SOURCE_KEY:
        raise InvalidInput(f"A source key of 1 to {MAX_SOURCE_KEY} characters is required.", code="bad_source_key")
    if not posting.kind:
        raise InvalidInput("A transaction needs a kind.", code="bad_transaction_kind")
    if not posting.entries and not posting.credits:
        raise InvalidInput("A transaction needs at least one entry.", code="empty_transaction")
    for account_id, amount in posting.entries:
        if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(account_id, int):
            raise InvalidInput("Entry amounts and account ids must be whole numbers.", code="entry_not_integer")
    if sum(amount for _, amount in posting.entries) != 0:
        raise InvalidInput("The entries of a transaction must sum to zero.", code="unbalanced_transaction")
    for credit in posting.credits:
        if not isinstance(credit.minutes, int) or not isinstance(credit.points, int):
            raise InvalidInput("Service minutes and points must be whole numbers.", code="entry_not_integer")


async def existing_transactions(session: AsyncSession, keys: Sequence[str]) -> dict[str, Transaction]:
    """Transactions already posted under these source keys."""
    found: dict[str, Transaction] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 1000):
        rows = await session.scalars(select(Transaction).where(Transaction.source_key.in_(unique[start:start + 1000])))
        found.update({t.source_key: t for t in rows.all()})
    return found


async def post_many(session: AsyncSession, postings: Sequence[Posting]) -> list[Transaction]:
    """Post every posting whose source key is new; returns the transaction of each (old or new), in order."""
    for posting in postings:
        validate(posting)
    known = await existing_transactions(session, [p.source_key for p in postings])
    fresh: list[tuple[Posting, Transaction]] = []
    for posting in postings:
        if posting.source_key in known:
            continue
        txn = Transaction(source_key=posting.source_key, kind=posting.kind, memo=posting.memo[:500],
                          reverses_id=posting.reverses_id)
        known[posting.source_key] = txn
        fresh.append((posting, txn))
    if fresh:
        session.add_all([txn for _, txn in fresh])
        await session.flush()
        await _write_lines(session, fresh)
    return [known[p.source_key] for p in postings]


async def _write_lines(session: AsyncSession, fresh: list[tuple[Posting, Transaction]]) -> None:
    entries = [{"transaction_id": txn.id, "account_id": a, "amount": amt}
               for posting, txn in fresh for a, amt in posting.entries if amt != 0]
    credits = [{"transaction_id": txn.id, **dataclasses.asdict(c)} for posting, txn in fresh for c in posting.credits]
    if entries:
        await session.execute(insert(Entry), entries)
        deltas: dict[int, int] = defaultdict(int)
        for row in entries:
            deltas[row["account_id"]] += row["amount"]
        # Sorted by id so concurrent batches lock account rows in the same order (no deadlocks).
        params = [{"aid": a, "delta": d} for a, d in sorted(deltas.items()) if d]
        if params:
            table = Account.__table__
            stmt = update(table).where(table.c.id == bindparam("aid")).values(balance=table.c.balance + bindparam("delta"))
            await session.execute(stmt, params)
    if credits:
        await session.execute(insert(ServiceCredit), credits)
        await apply_credits(session, [c for posting, _ in fresh for c in posting.credits])


async def apply_credits(session: AsyncSession, credits: Sequence[Credit]) -> None:
    """Move the kept totals (standing, period totals) by these credits and announce new star levels."""
    per_volunteer: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_period: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for c in credits:
        per_volunteer[c.volunteer_id][0] += c.minutes
        per_volunteer[c.volunteer_id][1] += c.points
        for period in periods_for(c.service_date):
            per_period[(c.volunteer_id, period)][0] += c.minutes
            per_period[(c.volunteer_id, period)][1] += c.points
    if not per_volunteer:
        return
    await _apply_standing(session, per_volunteer)
    await _apply_period_totals(session, per_period)


async def _apply_standing(session: AsyncSession, per_volunteer: dict[int, list[int]]) -> None:
    table = VolunteerStanding.__table__
    params = [{"volunteer_id": v, "service_minutes": m, "points_earned": p, "star_level": 0, "highest_star_level": 0}
              for v, (m, p) in sorted(per_volunteer.items())]
    # executemany (not one multi-row VALUES): the statement compiles once and is cached.
    stmt = upsert(session, VolunteerStanding)
    stmt = stmt.on_conflict_do_update(
        index_elements=["volunteer_id"],
        set_={"service_minutes": table.c.service_minutes + stmt.excluded.service_minutes,
              "points_earned": table.c.points_earned + stmt.excluded.points_earned},
    ).returning(table.c.volunteer_id, table.c.service_minutes, table.c.star_level, table.c.highest_star_level)
    rows = (await session.execute(stmt, params)).all()
    for volunteer_id, minutes, level, highest in rows:
        new_level = star_level(minutes)
        if new_level == level:
            continue
        await session.execute(update(VolunteerStanding).where(VolunteerStanding.volunteer_id == volunteer_id)
                              .values(star_level=new_level, highest_star_level=max(highest, new_level))
                              .execution_options(synchronize_session=False))
        if new_level > highest:
            await record_event(session, "ledger.star_level_reached", {"volunteer_id": volunteer_id, "level": new_level})


async def _apply_period_totals(session: AsyncSession, per_period: dict[tuple[int, str], list[int]]) -> None:
    table = PeriodTotal.__table__
    params = [{"volunteer_id": v, "period": p, "minutes": m, "points": pts, "version": 1}
              for (v, p), (m, pts) in sorted(per_period.items())]
    stmt = upsert(session, PeriodTotal)
    stmt = stmt.on_conflict_do_update(
        index_elements=["volunteer_id", "period"],
        set_={"minutes": table.c.minutes + stmt.excluded.minutes, "points": table.c.points + stmt.excluded.points,
              "version": table.c.version + 1},
    ).returning(table.c.volunteer_id, table.c.period, table.c.version, table.c.minutes, table.c.points)
    rows = (await session.execute(stmt, params)).all()
    remember_changes(session, [((v, p), (version, m, pts)) for v, p, version, m, pts in rows])
    # The community sums move with them; whether a volunteer counts as active needs the minutes before.
    await apply_changes(session, [(v, p, m - per_period[(v, p)][0], m, per_period[(v, p)][1])
                                  for v, p, _, m, _ in rows])
