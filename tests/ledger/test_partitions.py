"""The ledger by month (issue #23): lines in their transaction's month partition, exactly-once across
partitions, closed months' checksums, `verify --month`, the upkeep command."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from servicebank.kernel import partitions
from servicebank.kernel.db import Database
from servicebank.ledger import months
from servicebank.ledger.accounts import account_ids
from servicebank.ledger.models import AccountKind, Entry, MonthChecksum, ServiceCredit, Transaction
from servicebank.ledger.posting import Credit, Posting, post_many
from servicebank.ledger.verify import verify
from tests.ledger.test_cli import _run

NOVEMBER_END = dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=dt.UTC)
DECEMBER_START = dt.datetime(2026, 12, 1, 0, 0, 1, tzinfo=dt.UTC)


class Clock:
    """The time the posting engine stamps transactions with, set by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch) -> Clock:  # noqa: ANN001
    moment = Clock(dt.datetime.now(dt.UTC))
    monkeypatch.setattr("servicebank.ledger.posting.utcnow", lambda: moment.now)
    return moment


async def _accounts(db: Database, volunteer_id: int, community_id: int = 1) -> tuple[int, int]:
    async with db.session_scope() as session:
        ids = await account_ids(session, [(AccountKind.VOLUNTEER, volunteer_id), (AccountKind.COMMUNITY, community_id)])
    return ids[(AccountKind.VOLUNTEER, volunteer_id)], ids[(AccountKind.COMMUNITY, community_id)]


def _service(key: str, volunteer_id: int, accounts: tuple[int, int], points: int, day: dt.date) -> Posting:
    return Posting(source_key=key, kind="service", entries=[(accounts[0], points), (accounts[1], -points)],
                   credits=[Credit(volunteer_id, day, points, points)])


async def _post(db: Database, *postings: Posting) -> list[Transaction]:
    async with db.session_scope() as session:
        return await post_many(session, list(postings))


async def test_lines_carry_their_transactions_month_across_a_month_boundary(db: Database, clock: Clock) -> None:
    accounts = await _accounts(db, 7)
    async with db.session_scope() as session:
        for month in ("2026-11", "2026-12"):
            for table in months.LINE_TABLES:
                await partitions.ensure_month(session, table, month)
    clock.now = NOVEMBER_END
    (late,) = await _post(db, _service("boundary:1", 7, accounts, 60, dt.date(2026, 11, 30)))
    clock.now = DECEMBER_START
    (early,) = await _post(db, _service("boundary:2", 7, accounts, 30, dt.date(2026, 11, 30)))
    async with db.session_scope() as session:
        for line in (Entry, ServiceCredit):
            rows = (await session.execute(select(line.id, line.transaction_id, line.created_at))).all()
            assert {(txn, at) for _, txn, at in rows} == {(late.id, NOVEMBER_END), (early.id, DECEMBER_START)}
            where = await partitions.partition_of_rows(session, line.__tablename__, [i for i, _, _ in rows])
            if where:  # PostgreSQL: the month partition of the transaction, never the DEFAULT one
                by_txn = {txn: where[i] for i, txn, _ in rows}
                assert by_txn == {late.id: partitions.partition_name(line.__tablename__, "2026-11"),
                                  early.id: partitions.partition_name(line.__tablename__, "2026-12")}
    assert not (await verify(db)).differs
    # Per month: each month sees its own transaction only.
    assert not (await verify(db, month="2026-11")).differs


async def test_ensure_makes_partitions_ahead_moves_default_rows_and_closes_ended_months(
        db: Database, clock: Clock, monkeypatch) -> None:  # noqa: ANN001
    accounts = await _accounts(db, 8)
    clock.now = dt.datetime(2026, 9, 15, 10, tzinfo=dt.UTC)
    await _post(db, _service("sept:1", 8, accounts, 60, dt.date(2026, 9, 15)))
    monkeypatch.setattr(months, "current_month", lambda now=None: "2026-12")
    monkeypatch.setattr(months, "is_closed", lambda month, now=None: month < "2026-12")
    result = await months.ensure(db, months_ahead=2)
    assert result["closed"] == ["2026-09", "2026-10", "2026-11"]
    async with db.session_scope() as session:
        stored = await session.get(MonthChecksum, "2026-09")
        assert stored is not None and (stored.transactions, stored.entries, stored.entry_points, stored.credits,
                                       stored.credit_minutes, stored.credit_points) == (1, 2, 120, 1, 60, 60)
        attached = {p.name for table in months.LINE_TABLES for p in await partitions.partitions(session, table)}
        ids = list((await session.scalars(select(Entry.id))).all())
        where = await partitions.partition_of_rows(session, "ledger_entry", ids)
    if db.dialect == "postgresql":
        assert {"ledger_entry_2026_12", "ledger_entry_2027_01", "ledger_entry_2027_02", "ledger_entry_default",
                "ledger_service_credit_2027_02"} <= attached
        # September had no partition when its rows were posted (DEFAULT took them): ensure made it and moved them.
        assert set(where.values()) == {"ledger_entry_2026_09"}
    else:
        assert (result["created"], attached, where) == ([], set(), {})
    again = await months.ensure(db, months_ahead=2)
    assert again == {"created": [], "closed": []}
    assert not (await verify(db)).differs


async def test_a_tampered_closed_month_is_found_by_its_checksum(db: Database, clock: Clock, monkeypatch,
                                                                 ) -> None:  # noqa: ANN001
    a, b = await _accounts(db, 21), await _accounts(db, 22)
    clock.now = dt.datetime(2026, 9, 10, tzinfo=dt.UTC)
    await _post(db, _service("t:1", 21, a, 60, dt.date(2026, 9, 10)), _service("t:2", 22, b, 60, dt.date(2026, 9, 10)))
    clock.now = dt.datetime.now(dt.UTC)
    await months.close_month(db, "2026-09")
    assert not (await verify(db)).differs
    assert not (await verify(db, month="2026-09")).differs

    # Two volunteers' entries of the same amount swapped: every count, sum and balance is unchanged.
    async with db.session_scope() as session:
        await session.execute(update(Entry).where(Entry.account_id.in_((a[0], b[0])))
                              .values(account_id=a[0] + b[0] - Entry.account_id))
    cheap = await verify(db)
    assert not cheap.differs, "a closed month's lines are compared by their sums unless asked --deep"
    deep = await verify(db, deep=True)
    assert deep.checks["month_checksums"] == 1 and deep.checks["earned_points"] == 2
    assert any(p.get("digest_differs") for p in deep.problems)
    one = await verify(db, month="2026-09")
    assert (one.checks["month_checksums"], one.checks["earned_points"]) == (1, 2)

    # An amount changed in the closed month: its sums differ, which every verify sees.
    async with db.session_scope() as session:
        await session.execute(update(Entry).where(Entry.account_id == a[1]).values(amount=Entry.amount - 1))
    cheap = await verify(db)
    assert cheap.checks["month_checksums"] == 1 and cheap.checks["account_balances"] == 1
    assert cheap.checks["transactions_balance"] == 0, "closed months are not re-read transaction by transaction"
    result = await _run(monkeypatch, db, ["ledger", "verify", "--month", "2026-09", "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["differences"]["month_checksums"] == 1 and data["differences"]["transactions_balance"] == 2
    assert "account_balances" not in data["differences"], "one month alone: no whole-history figure"

    # Closing the month again takes the lines as they are now: the month agrees with its checksum again.
    result = await _run(monkeypatch, db, ["ledger", "partitions", "close", "--month", "2026-09", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entry_points"] == 242
    result = await _run(monkeypatch, db, ["ledger", "verify", "--month", "2026-09"])
    assert result.exit_code == 1 and "month_checksums: ok" in result.stdout
    result = await _run(monkeypatch, db, ["ledger", "partitions", "close", "--month", months.current_month(), "--json"])
    assert result.exit_code == 2 and json.loads(result.stderr)["error"] == "month_open"


async def test_verify_month_refuses_a_month_that_is_not_one(db: Database, monkeypatch) -> None:  # noqa: ANN001
    result = await _run(monkeypatch, db, ["ledger", "verify", "--month", "2026-13", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"] == "bad_month"


async def test_partitions_commands_list_and_ensure(db: Database, clock: Clock, monkeypatch) -> None:  # noqa: ANN001
    accounts = await _accounts(db, 9)
    await _post(db, _service("cli:1", 9, accounts, 15, dt.date.today()))
    result = await _run(monkeypatch, db, ["ledger", "partitions", "ensure", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"created", "closed"}
    result = await _run(monkeypatch, db, ["ledger", "partitions", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    this_month = months.current_month()
    assert [r for r in rows if r["month"] == this_month][0]["state"] == "open"
    if db.dialect == "postgresql":
        this = [r for r in rows if r["month"] == this_month][0]
        assert partitions.partition_name("ledger_entry", this_month) in this["partitions"]
        assert rows[-1]["month"] == "default"
    result = await _run(monkeypatch, db, ["ledger", "partitions", "list"])
    assert result.exit_code == 0 and this_month in result.stdout


def test_the_scheduler_runs_the_partition_upkeep_daily() -> None:
    import servicebank.ledger.tasks  # noqa: F401
    from servicebank.workers.schedule import JOBS

    assert (JOBS["ledger-partitions"].actor_name, JOBS["ledger-partitions"].every_seconds) == (
        "ledger.ensure_partitions", 24 * 3600)


@pytest.mark.postgres_only
async def test_a_duplicate_posting_is_refused_across_partitions_under_concurrency(db: Database, clock: Clock) -> None:
    """The same source key posted at once by two sessions, one just before midnight at the month's end and one
    just after: the lines would go to different partitions, the unpartitioned register still lets one through."""
    accounts = await _accounts(db, 31)
    async with db.session_scope() as session:
        for month in ("2026-11", "2026-12"):
            await partitions.ensure_month(session, "ledger_entry", month)
    posting = _service("dup:1", 31, accounts, 45, dt.date(2026, 11, 30))
    first = db.sessionmaker()
    second = db.sessionmaker()
    try:
        clock.now = NOVEMBER_END
        await post_many(first, [posting])
        clock.now = DECEMBER_START
        racing = asyncio.create_task(post_many(second, [posting]))
        # Until the second session waits on the first one's source key: on a busy machine it may not even have
        # sent its insert after a fixed pause, and would then find the committed posting instead of racing it.
        for _ in range(600):
            async with db.session_scope() as watcher:
                waiting = await watcher.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"))
            if waiting or racing.done():
                break
            await asyncio.sleep(0.05)
        assert not racing.done(), "the second insert waits on the first one's source key"
        await first.commit()
        with pytest.raises(IntegrityError):
            await racing
        await second.rollback()
    finally:
        await first.close()
        await second.close()

    # Many at once, each retrying as the workers do: exactly one transaction, its lines in one month.
    async def post_once(month_start: dt.datetime) -> None:
        for _ in range(5):
            try:
                async with db.session_scope() as session:
                    await post_many(session, [_service("dup:2", 31, accounts, 15, dt.date(2026, 12, 1))])
                return
            except IntegrityError:
                continue

    clock.now = DECEMBER_START
    await asyncio.gather(*(post_once(DECEMBER_START) for _ in range(6)))
    async with db.session_scope() as session:
        assert await session.scalar(select(func.count()).select_from(Transaction)) == 2
        rows = (await session.execute(text(
            "SELECT t.source_key, e.tableoid::regclass::text FROM ledger_entry e "
            "JOIN ledger_transaction t ON t.id = e.transaction_id ORDER BY e.id"))).all()
    assert rows == [("dup:1", "ledger_entry_2026_11")] * 2 + [("dup:2", "ledger_entry_2026_12")] * 2
    assert not (await verify(db)).differs


@pytest.mark.postgres_only
async def test_two_upkeeps_at_once_make_a_month_once(db: Database) -> None:
    month = "2031-05"

    async def make() -> bool:
        async with db.session_scope() as session:
            made = await partitions.ensure_month(session, "ledger_entry", month)
            await asyncio.sleep(0.2)  # hold the lock a moment: the other upkeep waits, then finds the month made
            return made

    assert sorted(await asyncio.gather(make(), make())) == [False, True]
    async with db.session_scope() as session:
        names = [p.name for p in await partitions.partitions(session, "ledger_entry")]
        await session.execute(text(f'DROP TABLE "{partitions.partition_name("ledger_entry", month)}"'))
    assert names.count("ledger_entry_2031_05") == 1
