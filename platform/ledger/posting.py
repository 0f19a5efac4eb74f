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
from collections.abc import Container, Sequence
from typing import Any

from sqlalchemy import BigInteger, String, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from servicebank.kernel.bulk import arrays_source, insert_rows
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import among, table_of
from servicebank.kernel.dialect import is_postgres
from servicebank.kernel.errors import InvalidInput
from servicebank.kernel.events import record_event
from servicebank.kernel.unit_of_work import AfterCommit, unit_of_work
from servicebank.leaderboards.push import remember_changes
from servicebank.ledger.community_totals import Change, apply_changes
from servicebank.ledger.levels import periods_for, star_level
from servicebank.ledger.models import Account, Entry, PeriodTotal, ServiceCredit, Transaction, VolunteerStanding

MAX_SOURCE_KEY = 160


@dataclasses.dataclass(frozen=True)
class Credit:
    """Service minutes (and the points they earned) one transaction adds for a volunteer on a day."""

    volunteer_id: int
    service_date: dt.date
    minutes: int
    points: int = 0
    attendance_id: int | None = None
    claim_id: int | None = None
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


def _key_chunks(keys: Sequence[str]) -> list[list[str]]:
    """The distinct source keys, sorted, a thousand at a time (SQLite's limit on parameters)."""
    unique = sorted(set(keys))
    return [unique[start:start + 1000] for start in range(0, len(unique), 1000)]


def _among_keys(session: AsyncSession, column: Any, keys: list[str]) -> Any:
    # An array parameter on PostgreSQL: an IN list of strings is rendered anew for every call.
    return column == any_(bindparam("keys", keys, type_=ARRAY(String))) if is_postgres(session) else column.in_(keys)


async def existing_transactions(session: AsyncSession, keys: Sequence[str]) -> dict[str, Transaction]:
    """Transactions already posted under these source keys."""
    found: dict[str, Transaction] = {}
    for chunk in _key_chunks(keys):
        rows = await session.scalars(select(Transaction).where(_among_keys(session, Transaction.source_key, chunk)))
        found.update({t.source_key: t for t in rows.all()})
    return found


async def post_many(session: AsyncSession, postings: Sequence[Posting]) -> list[Transaction]:
    """Post every posting whose source key is new; returns the transaction of each (old or new), in order."""
    known = await existing_transactions(session, [p.source_key for p in postings])
    written = await _post_new(session, postings, known, hot_at_commit=False)
    known.update({key: _attached(session, row) for key, row in written.items()})
    return [known[p.source_key] for p in postings]


async def post_batch(session: AsyncSession, postings: Sequence[Posting]) -> list[int]:
    """`post_many` for a worker's batch: returns only the transaction ids, and moves the hot rows at commit.

    No ORM object is made for the hundreds of transactions of a batch. The community accounts and community
    totals, which every batch of a community changes, are moved by the last statements before the commit
    (`HotRows`), so concurrent batches wait on those rows for milliseconds instead of the whole batch.
    The caller must not read those balances or totals back in the same transaction.
    """
    known = await existing_transaction_ids(session, [p.source_key for p in postings])
    written = await _post_new(session, postings, known, hot_at_commit=True)
    known.update({key: int(row["id"]) for key, row in written.items()})
    return [known[p.source_key] for p in postings]


async def _post_new(session: AsyncSession, postings: Sequence[Posting], known: Container[str], *,
                    hot_at_commit: bool) -> dict[str, dict]:
    """Check every posting, then write those whose source key is not `known`; returns the new rows by key."""
    for posting in postings:
        validate(posting)
    fresh: dict[str, Posting] = {}
    for posting in postings:
        if posting.source_key not in known:
            fresh.setdefault(posting.source_key, posting)
    if not fresh:
        return {}
    rows = await _insert_transactions(session, list(fresh.values()))
    await _write_lines(session, [(posting, int(rows[key]["id"]), rows[key]["created_at"])
                                 for key, posting in fresh.items()], hot_at_commit=hot_at_commit)
    return rows


async def existing_transaction_ids(session: AsyncSession, keys: Sequence[str]) -> dict[str, int]:
    """The ids of the transactions already posted under these source keys (no ORM objects)."""
    table = table_of(Transaction)
    found: dict[str, int] = {}
    for chunk in _key_chunks(keys):
        rows = await session.execute(select(table.c.source_key, table.c.id)
                                     .where(_among_keys(session, table.c.source_key, chunk)))
        found.update({key: int(txn_id) for key, txn_id in rows.all()})
    return found


async def _insert_transactions(session: AsyncSession, postings: list[Posting]) -> dict[str, dict]:
    """Write the transactions with one statement; returns their rows (with id and created_at) by source key.

    A core INSERT rather than session.add_all + flush: the unit-of-work flush of a batch of 500 builds
    a multi-row VALUES statement anew each time.
    """
    table = table_of(Transaction)
    # One moment for the batch, stamped here: it decides the month partition of every line written with it.
    now = utcnow()
    rows = [{"source_key": p.source_key, "kind": p.kind, "memo": p.memo[:500], "reverses_id": p.reverses_id,
             "created_at": now} for p in postings]
    stmt, params = insert_rows(session, Transaction, rows)
    result = await session.execute(stmt.returning(table.c.id, table.c.source_key, table.c.created_at), params)
    by_key = {key: (txn_id, created_at) for txn_id, key, created_at in result.all()}
    for row in rows:
        row["id"], row["created_at"] = by_key[row["source_key"]]
    return {str(row["source_key"]): row for row in rows}


def _attached(session: AsyncSession, row: dict) -> Transaction:
    """The written row as a persistent object of the session (no SQL): callers get what the identity map holds."""
    txn = Transaction(**row)
    make_transient_to_detached(txn)
    session.add(txn)
    return txn


async def _write_lines(session: AsyncSession, fresh: list[tuple[Posting, int, dt.datetime]], *,
                       hot_at_commit: bool = False) -> None:
    # Each line carries its transaction's created_at: the month partition it lives in is the transaction's.
    entries: list[dict[str, Any]] = [{"transaction_id": txn_id, "account_id": a, "amount": amt, "created_at": at}
                                     for posting, txn_id, at in fresh for a, amt in posting.entries if amt != 0]
    credits = [{"transaction_id": txn_id, "created_at": at, **vars(c)}
               for posting, txn_id, at in fresh for c in posting.credits]
    deltas: dict[int, int] = defaultdict(int)
    if entries:
        await session.execute(*insert_rows(session, Entry, entries))
        for row in entries:
            deltas[row["account_id"]] += row["amount"]
    if hot_at_commit:
        unit_of_work(session).step(HotRows).note(*(("balance", a, d) for a, d in deltas.items() if d))
    else:
        await move_balances(session, {a: d for a, d in deltas.items() if d})
    if credits:
        await session.execute(*insert_rows(session, ServiceCredit, credits))
        await apply_credits(session, [c for posting, _, _ in fresh for c in posting.credits],
                            hot_at_commit=hot_at_commit)


class HotRows(AfterCommit):
    """Balance moves and community-total changes kept until just before the commit (see `post_batch`).

    Items are ("balance", account_id, delta) and ("community", change). `prepare` runs inside the transaction,
    so a failure there fails the commit and nothing is half-written. Balances first, then community totals:
    the order every other posting locks them in, so the two never wait on each other in a circle.
    """

    async def prepare(self) -> None:
        deltas: dict[int, int] = defaultdict(int)
        changes: list[Change] = []
        for item in self.items:
            if item[0] == "balance":
                deltas[item[1]] += item[2]
            else:
                changes.append(item[1])
        await move_balances(self.session, {a: d for a, d in deltas.items() if d})
        if changes:
            await apply_changes(self.session, changes)


async def move_balances(session: AsyncSession, deltas: dict[int, int]) -> None:
    if not deltas:
        return
    table = table_of(Account)
    # Sorted by id so concurrent batches lock account rows in the same order (no deadlocks).
    params = [{"aid": a, "delta": d} for a, d in sorted(deltas.items())]
    if not is_postgres(session):
        stmt = update(table).where(table.c.id == bindparam("aid")).values(balance=table.c.balance + bindparam("delta"))
        await session.execute(stmt, params)
        return
    # One UPDATE ... FROM unnest for all accounts; it updates rows in the planner's order, so the rows
    # are locked first, in id order.
    await session.execute(select(table.c.id).where(among(session, table.c.id, [p["aid"] for p in params]))
                          .order_by(table.c.id).with_for_update(key_share=True))
    moves = arrays_source(params, {"aid": BigInteger(), "delta": BigInteger()}, "moves").subquery("moves")
    await session.execute(update(table).where(table.c.id == moves.c.aid)
                          .values(balance=table.c.balance + moves.c.delta))


async def apply_credits(session: AsyncSession, credits: Sequence[Credit], *, hot_at_commit: bool = False) -> None:
    """Move the kept totals (standing, period totals) by these credits and announce new star levels.

    With `hot_at_commit` the community totals move just before the commit (`HotRows`)."""
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
    await _apply_period_totals(session, per_period, hot_at_commit=hot_at_commit)


async def _apply_standing(session: AsyncSession, per_volunteer: dict[int, list[int]]) -> None:
    table = table_of(VolunteerStanding)
    params = [{"volunteer_id": v, "service_minutes": m, "points_earned": p, "star_level": 0, "highest_star_level": 0}
              for v, (m, p) in sorted(per_volunteer.items())]
    stmt, rows = insert_rows(session, VolunteerStanding, params)
    stmt = stmt.on_conflict_do_update(
        index_elements=["volunteer_id"],
        set_={"service_minutes": table.c.service_minutes + stmt.excluded.service_minutes,
              "points_earned": table.c.points_earned + stmt.excluded.points_earned},
    ).returning(table.c.volunteer_id, table.c.service_minutes, table.c.star_level, table.c.highest_star_level)
    for volunteer_id, minutes, level, highest in (await session.execute(stmt, rows)).all():
        new_level = star_level(minutes)
        if new_level == level:
            continue
        await session.execute(update(VolunteerStanding).where(VolunteerStanding.volunteer_id == volunteer_id)
                              .values(star_level=new_level, highest_star_level=max(highest, new_level))
                              .execution_options(synchronize_session=False))
        if new_level > highest:
            await record_event(session, "ledger.star_level_reached", {"volunteer_id": volunteer_id, "level": new_level})


async def _apply_period_totals(session: AsyncSession, per_period: dict[tuple[int, str], list[int]], *,
                               hot_at_commit: bool = False) -> None:
    table = table_of(PeriodTotal)
    params = [{"volunteer_id": v, "period": p, "minutes": m, "points": pts, "version": 1}
              for (v, p), (m, pts) in sorted(per_period.items())]
    stmt, bound = insert_rows(session, PeriodTotal, params)
    stmt = stmt.on_conflict_do_update(
        index_elements=["volunteer_id", "period"],
        set_={"minutes": table.c.minutes + stmt.excluded.minutes, "points": table.c.points + stmt.excluded.points,
              "version": table.c.version + 1},
    ).returning(table.c.volunteer_id, table.c.period, table.c.version, table.c.minutes, table.c.points)
    rows = (await session.execute(stmt, bound)).all()
    remember_changes(session, [((v, p), (version, m, pts)) for v, p, version, m, pts in rows])
    # The community sums move with them; whether a volunteer counts as active needs the minutes before.
    changes = [(v, p, m - per_period[(v, p)][0], m, per_period[(v, p)][1]) for v, p, _, m, _ in rows]
    if hot_at_commit:
        unit_of_work(session).step(HotRows).note(*(("community", change) for change in changes))
    else:
        await apply_changes(session, changes)
