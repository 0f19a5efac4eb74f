"""Old years detached from the ledger tables and attached again (issue #23): the whole-history figures carried,
verify and the totals rebuild unchanged, the refusals and their codes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select, text, update

from servicebank.kernel.db import Database
from servicebank.kernel.errors import InvalidInput
from servicebank.leaderboards.rebuild import rebuild_leaderboards, rebuild_totals
from servicebank.ledger import detach, months
from servicebank.ledger.models import (
    Account,
    AttendancePosting,
    CommunityPeriodTotal,
    DetachedYear,
    Entry,
    MonthChecksum,
    PeriodTotal,
    VolunteerStanding,
    YearCarry,
)
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle
from tests.ledger.test_cli import _run
from tests.ledger.test_partitions import Clock, _accounts, _post, _service, clock  # noqa: F401 - a fixture

YEAR = detach.latest_detachable()


@pytest.fixture
async def no_leftovers(db: Database) -> AsyncIterator[None]:
    """The test database is kept between tests: a failed test's detached tables must not stay behind."""
    yield
    async with db.session_scope() as session:
        names = (await session.scalars(text("SELECT relname FROM pg_class WHERE relname LIKE '%\\_detached' "
                                            "AND relkind = 'r'"))).all()
        for name in names:
            await session.execute(text(f'DROP TABLE "{name}"'))


def _error(result) -> str:  # noqa: ANN001
    """The error code of a refused command (its last line on stderr, after any progress)."""
    return json.loads(result.stderr.splitlines()[-1])["error"]


async def _figures(db: Database) -> dict[str, object]:
    """Every whole-history figure the ledger keeps (versions left out: a rebuild moves them on)."""
    async with db.session_scope() as session:
        return {
            "balances": sorted((await session.execute(select(Account.id, Account.balance))).all()),
            "totals": sorted((await session.execute(select(PeriodTotal.volunteer_id, PeriodTotal.period,
                                                           PeriodTotal.minutes, PeriodTotal.points))).all()),
            "standings": sorted((await session.execute(select(
                VolunteerStanding.volunteer_id, VolunteerStanding.service_minutes, VolunteerStanding.points_earned,
                VolunteerStanding.star_level))).all()),
            "communities": sorted((await session.execute(select(
                CommunityPeriodTotal.community_id, CommunityPeriodTotal.period, CommunityPeriodTotal.minutes,
                CommunityPeriodTotal.points, CommunityPeriodTotal.volunteers))).all()),
            "attendances": sorted((await session.execute(select(
                AttendancePosting.attendance_id, AttendancePosting.minutes, AttendancePosting.points))).all()),
        }


async def _history(db: Database, session, moment: Clock) -> tuple[int, int]:  # noqa: ANN001
    """Service in YEAR (an attendance in March, a posting in July), the year after, and this month."""
    org = await make_org(session)
    a, b = await make_volunteer(session, org.community), await make_volunteer(session, org.community)
    moment.now = dt.datetime(YEAR, 3, 10, 8, tzinfo=dt.UTC)
    activity = await make_activity(session, org.community, starts_at=dt.datetime(YEAR, 3, 10, 1, tzinfo=dt.UTC))
    await attend(session, activity, a, minutes=120, service_date=dt.date(YEAR, 3, 10))
    await settle(db)
    moment.now = dt.datetime(YEAR, 7, 1, 9, tzinfo=dt.UTC)
    await _post(db, _service("old:b", b.id, await _accounts(db, b.id, org.community.id), 45, dt.date(YEAR, 6, 30)))
    moment.now = dt.datetime(YEAR + 1, 2, 3, tzinfo=dt.UTC)
    await _post(db, _service("next:a", a.id, await _accounts(db, a.id, org.community.id), 30, dt.date(YEAR + 1, 2, 3)))
    moment.now = dt.datetime.now(dt.UTC)
    await _post(db, _service("now:b", b.id, await _accounts(db, b.id, org.community.id), 15, moment.now.date()))
    await months.ensure(db)
    return a.id, b.id


@pytest.mark.postgres_only
async def test_a_detached_year_keeps_every_figure_and_attaches_again(
        db: Database, session, clock: Clock, monkeypatch, no_leftovers) -> None:  # noqa: ANN001, F811
    a, b = await _history(db, session, clock)
    await rebuild_leaderboards(db)
    before = await _figures(db)
    assert (await verify(db)).ok

    result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(YEAR), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["year"], data["entries"], data["credits"]) == (YEAR, 4, 2)
    assert f"ledger_entry_{YEAR}_03_detached" in data["tables"] and "progress" in result.stderr
    async with db.session_scope() as session_:
        in_year = Entry.created_at < dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.UTC)
        assert await session_.scalar(select(func.count()).select_from(Entry).where(in_year)) == 0
        kept = await session_.scalar(text(f'SELECT count(*) FROM "ledger_entry_{YEAR}_03_detached"'))
        assert kept == 2  # the attendance's posting: the volunteer's entry and the community's
    report = await verify(db)
    assert report.ok, report.as_dict()
    for month in (f"{YEAR}-03", f"{YEAR}-07", f"{YEAR + 1}-02"):
        assert not (await verify(db, month=month)).differs, month
    listing = {row["month"]: row for row in await months.listing(db)}
    assert listing[f"{YEAR}-03"]["state"] == "detached"
    assert f"ledger_service_credit_{YEAR}_03_detached" in listing[f"{YEAR}-03"]["partitions"]
    assert listing[f"{YEAR + 1}-02"]["state"] == "closed"

    # The totals rebuilt from the attached lines and the carry are the figures from before the detach.
    await rebuild_leaderboards(db)
    assert await _figures(db) == before
    assert (await verify(db)).ok
    # `ensure` makes no partition in place of a detached month.
    assert (await months.ensure(db))["created"] == []

    # A posting after the detach: counted on top of the carried history.
    accounts = await _accounts(db, a)
    await _post(db, _service("after:a", a, accounts, 10, dt.date.today()))
    async with db.session_scope() as session_:
        assert await session_.scalar(select(Account.balance).where(Account.id == accounts[0])) == 120 + 30 + 10
    assert (await verify(db)).ok
    after = await _figures(db)

    result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(YEAR), "--json"])
    assert (result.exit_code, _error(result)) == (2, "year_already_detached")
    # A detached table the operator dropped (here: moved aside): the month cannot be checked, nor the year attached.
    async with db.session_scope() as session_:
        await session_.execute(text(f"ALTER TABLE ledger_entry_{YEAR}_07_detached RENAME TO aside"))
    month = await verify(db, month=f"{YEAR}-07")
    assert month.checks["month_checksums"] == 1 and "no longer" in month.problems[0]["derived"]
    result = await _run(monkeypatch, db, ["ledger", "partitions", "attach", "--year", str(YEAR), "--json"])
    assert (result.exit_code, _error(result)) == (2, "year_archive_missing")
    async with db.session_scope() as session_:
        await session_.execute(text(f"ALTER TABLE aside RENAME TO ledger_entry_{YEAR}_07_detached"))

    result = await _run(monkeypatch, db, ["ledger", "partitions", "attach", "--year", str(YEAR), "--json"])
    assert result.exit_code == 0, result.output
    async with db.session_scope() as session_:
        assert await session_.scalar(select(func.count()).select_from(YearCarry)) == 0
        assert await session_.scalar(select(func.count()).select_from(DetachedYear)) == 0
    assert (await verify(db)).ok
    await rebuild_totals(db)
    assert await _figures(db) == after
    assert (await verify(db, month=f"{YEAR}-03")).ok
    del b


@pytest.mark.postgres_only
async def test_refusals_give_their_codes_and_change_nothing(
        db: Database, session, clock: Clock, monkeypatch, no_leftovers) -> None:  # noqa: ANN001, F811
    await _history(db, session, clock)
    for year, code in ((YEAR + 1, "year_too_recent"), (dt.date.today().year, "year_too_recent"),
                       (YEAR - 1, "year_empty")):
        result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(year), "--json"])
        assert (result.exit_code, _error(result)) == (2, code), result.output
    # A month of the year not closed (its checksum gone): refused, nothing detached, nothing carried.
    async with db.session_scope() as session_:
        await session_.execute(delete(MonthChecksum).where(MonthChecksum.month == f"{YEAR}-07"))
    result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(YEAR), "--json"])
    assert (result.exit_code, _error(result)) == (2, "year_not_closed")
    assert f"{YEAR}-07" in json.loads(result.stderr.splitlines()[-1])["message"]
    async with db.session_scope() as session_:
        assert await session_.scalar(select(func.count()).select_from(YearCarry)) == 0
        assert await session_.scalar(text(f"SELECT to_regclass('ledger_entry_{YEAR}_03_detached')")) is None
    await months.close_month(db, f"{YEAR}-07")
    result = await _run(monkeypatch, db, ["ledger", "partitions", "attach", "--year", str(YEAR), "--json"])
    assert (result.exit_code, _error(result)) == (2, "year_not_detached")
    # A closed month whose lines changed since: not archived as it is.
    async with db.session_scope() as session_:
        await session_.execute(text(f"UPDATE ledger_entry_{YEAR}_07 SET amount = amount + 1 WHERE amount > 0"))
    result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(YEAR), "--json"])
    assert (result.exit_code, _error(result)) == (2, "year_checksum_mismatch")
    async with db.session_scope() as session_:
        assert await session_.scalar(select(func.count()).select_from(DetachedYear)) == 0
    # Lines of an older year still attached: that year goes first.
    clock.now = dt.datetime(YEAR - 1, 12, 5, tzinfo=dt.UTC)
    volunteer = await make_volunteer(session, (await make_org(session)).community)
    await _post(db, _service("older", volunteer.id, await _accounts(db, volunteer.id), 5, dt.date(YEAR - 1, 12, 5)))
    clock.now = dt.datetime.now(dt.UTC)
    await months.ensure(db)
    result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(YEAR), "--json"])
    assert (result.exit_code, _error(result)) == (2, "year_not_oldest")

    # Two years detached, oldest first; attached again newest first; every figure verifies throughout.
    await months.close_month(db, f"{YEAR}-07")  # the lines as they are now (an operator's repair)
    await rebuild_totals(db)
    async with db.session_scope() as session_:
        await session_.execute(text("UPDATE ledger_account a SET balance = (SELECT coalesce(sum(amount), 0) "
                                    "FROM ledger_entry e WHERE e.account_id = a.id)"))
    assert (await verify(db)).ok
    for year in (YEAR - 1, YEAR):
        async with db.session_scope() as session_:
            await detach.detach_year(session_, year)
    assert (await verify(db)).ok
    async with db.session_scope() as session_:
        with pytest.raises(InvalidInput) as refused:
            await detach.attach_year(session_, YEAR - 1)
    assert refused.value.code == "year_not_newest_detached"
    for year in (YEAR, YEAR - 1):
        async with db.session_scope() as session_:
            await detach.attach_year(session_, year)
        assert (await verify(db)).ok


@pytest.mark.sqlite_only
async def test_sqlite_has_no_partitions_to_detach(db: Database, monkeypatch) -> None:  # noqa: ANN001
    for command in ("detach", "attach"):
        result = await _run(monkeypatch, db, ["ledger", "partitions", command, "--year", str(YEAR), "--json"])
        assert (result.exit_code, _error(result)) == (2, "partitions_need_postgresql")


async def test_one_months_totals_rebuilt_alone(db: Database, session, clock: Clock, monkeypatch) -> None:  # noqa: ANN001, F811
    """A month's period and community totals drifted: verify --month finds it, rebuilding that month alone sets
    them right, and no other month's row is touched."""
    org = await make_org(session)
    a, b = await make_volunteer(session, org.community), await make_volunteer(session, org.community)
    accounts = {v.id: await _accounts(db, v.id, org.community.id) for v in (a, b)}
    await _post(db, _service("m:1", a.id, accounts[a.id], 60, dt.date(2026, 9, 3)),
                _service("m:2", b.id, accounts[b.id], 30, dt.date(2026, 9, 4)),
                _service("m:3", a.id, accounts[a.id], 90, dt.date(2026, 10, 5)),
                _service("m:4", b.id, accounts[b.id], 15, dt.date(2025, 12, 5)))
    assert (await verify(db)).ok
    async with db.session_scope() as session_:
        untouched = sorted((await session_.execute(select(PeriodTotal.__table__).where(
            PeriodTotal.period.not_in(("2026-09", "2026", "all"))))).all())
        await session_.execute(update(PeriodTotal).where(PeriodTotal.period == "2026-09", PeriodTotal.volunteer_id == a.id)
                               .values(minutes=PeriodTotal.minutes + 5, points=7))
        await session_.execute(delete(PeriodTotal).where(PeriodTotal.period == "2026-09", PeriodTotal.volunteer_id == b.id))
        await session_.execute(update(CommunityPeriodTotal).where(CommunityPeriodTotal.period == "2026-09")
                               .values(volunteers=9))
    result = await _run(monkeypatch, db, ["ledger", "verify", "--month", "2026-09", "--json"])
    assert result.exit_code == 1, result.output
    found = json.loads(result.stdout)["differences"]
    assert (found["period_totals"], found["community_totals"]) == (2, 1)
    assert not (await verify(db, month="2026-10")).differs

    result = await _run(monkeypatch, db, ["leaderboards", "rebuild", "--month", "2026-09", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["volunteers"] == 2
    report = await verify(db)
    assert report.ok, report.as_dict()
    async with db.session_scope() as session_:
        assert sorted((await session_.execute(select(PeriodTotal.__table__).where(
            PeriodTotal.period.not_in(("2026-09", "2026", "all"))))).all()) == untouched
    result = await _run(monkeypatch, db, ["leaderboards", "rebuild", "--month", "2026-9", "--json"])
    assert (result.exit_code, _error(result)) == (2, "bad_month")


@pytest.mark.postgres_only
async def test_a_certificate_over_a_detached_year_is_refused_until_it_is_attached(
        db: Database, session, clock: Clock, monkeypatch, no_leftovers) -> None:  # noqa: ANN001, F811
    """A certificate sums the period's credits; a detached year's are out of the tables, so it would come out short."""
    from servicebank.accounts.models import Role
    from servicebank.accounts.sessions import load_principal
    from servicebank.honours import certificates
    from tests.factories import make_person

    await _history(db, session, clock)
    result = await _run(monkeypatch, db, ["ledger", "partitions", "detach", "--year", str(YEAR), "--json"])
    assert result.exit_code == 0, result.output
    org = await make_org(session)
    person = await make_person(session, Role.VOLUNTEER, community=org.community)
    principal = await load_principal(session, person.user)
    with pytest.raises(InvalidInput) as refused:
        await certificates.request(session, principal=principal, period_start=dt.date(YEAR, 12, 1),
                                   period_end=dt.date(YEAR + 1, 1, 31), purpose=None, timezone="UTC")
    assert refused.value.code == "period_archived"
    await certificates.refuse_archived_days(session, dt.date(YEAR + 1, 1, 1))  # the attached years: allowed
    await session.rollback()

    result = await _run(monkeypatch, db, ["ledger", "partitions", "attach", "--year", str(YEAR), "--json"])
    assert result.exit_code == 0, result.output
    async with db.session_scope() as fresh:
        await certificates.refuse_archived_days(fresh, dt.date(YEAR, 1, 1))
