"""How the 台账 reads the records: a fixed handful of statements, and postings found by their scope."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, update

from servicebank.kernel.db import Database
from servicebank.ledger.models import AttendancePosting
from servicebank.ledger.verify import verify
from servicebank.reports import repository, taizhang
from servicebank.reports.periods import parse_period
from tests.honours.seeding import seed_october


async def test_a_street_report_takes_the_same_few_statements_however_much_data(db: Database, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    async with db.sessionmaker() as s:
        name, communities = await repository.scope_communities(s, "street", org.street.id)
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            report = await taizhang.build(s, scope_kind="street", scope_id=org.street.id, scope_name=name,
                                          communities=communities, period=parse_period("2026-10"),
                                          timezone="Asia/Shanghai")
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert report.current.participations > 0 and report.last_year.participations > 0
    # Registers, then per period the attendance and its activities, then the kind names: no statement
    # per activity, kind or community (the old queries read the attendance eight times); one more counts the
    # insured participations of both periods.
    assert len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT"))]) <= 7


async def test_verify_checks_that_postings_carry_their_attendance_scope(db: Database, session) -> None:  # noqa: ANN001
    await seed_october(session)
    report = await verify(db)
    assert report.checks["attendance_posting_scopes"] == 0
    async with db.session_scope() as s:
        posting = (await s.execute(AttendancePosting.__table__.select().limit(1))).first()
        await s.execute(update(AttendancePosting).where(AttendancePosting.attendance_id == posting.attendance_id)
                        .values(service_date=posting.service_date + dt.timedelta(days=40)))
    report = await verify(db)
    assert report.checks["attendance_posting_scopes"] == 1
