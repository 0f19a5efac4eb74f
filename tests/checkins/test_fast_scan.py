"""The one-statement own check-in and check-out on PostgreSQL write exactly what the general path writes, in one
round trip each."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select, update

from servicebank.accounts.models import Role
from servicebank.checkins import fast_scan, rules, tokens
from servicebank.checkins.models import Attendance
from tests.checkins.helpers import attendance_count, code, event_types, scan, scene, sign_up
from tests.factories import make_org, make_person

pytestmark = pytest.mark.postgres_only
CHECK_INS = "/api/check-ins"
CHECK_OUTS = "/api/check-outs"
# Columns that differ between two volunteers' check-ins by nature.
PER_SCAN = {"id", "volunteer_id", "checked_in_at", "created_at", "updated_at", "sa_orm_sentinel"}


async def _statements(db) -> list[str]:  # noqa: ANN001
    """Every statement the database is sent from now on, at the driver: SQLAlchemy's or straight to asyncpg."""
    seen: list[str] = []
    await db.engine.dispose()  # pooled connections predate the logger

    @event.listens_for(db.engine.sync_engine, "connect")
    def log_queries(dbapi_connection, _record) -> None:  # noqa: ANN001
        # asyncpg's logger sees what goes through execute/fetch (BEGIN, COMMIT, our raw statement),
        # not the statements SQLAlchemy prepares and runs; those are counted by SQLAlchemy's event.
        dbapi_connection.driver_connection.add_query_logger(lambda query: seen.append(query.query))

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def log_statements(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    return seen


async def _row(db, attendance_id: int) -> dict:  # noqa: ANN001
    async with db.session_scope() as s:
        att = await s.scalar(select(Attendance).where(Attendance.id == attendance_id))
        return {c.key: getattr(att, c.key) for c in Attendance.__table__.c if c.key not in PER_SCAN}


async def test_one_statement_check_in_matches_the_general_path(client, session, settings, db, monkeypatch) -> None:
    s = await scene(session)
    other = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    await sign_up(session, s.activity, other.volunteer.id)

    statements = await _statements(db)
    fast = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert fast.status_code == 201, fast.text
    # Context and attendance in one statement, its own transaction: no BEGIN, no COMMIT.
    assert len(statements) == 1, statements

    monkeypatch.setattr(fast_scan, "available", lambda _session: False)
    statements.clear()
    general = await scan(client, CHECK_INS, code(settings, s.activity.id), other)
    assert general.status_code == 201, general.text
    assert len(statements) >= 4, statements  # BEGIN, context, insert, COMMIT: the logger sees them all

    assert await _row(db, fast.json()["attendance"]["id"]) == await _row(db, general.json()["attendance"]["id"])
    drop = {"id", "volunteer_id", "checked_in_at"}
    assert {k: v for k, v in fast.json()["attendance"].items() if k not in drop} == \
        {k: v for k, v in general.json()["attendance"].items() if k not in drop}
    assert await event_types(db) == []  # neither path writes an event: the row is the record


async def test_a_refused_scan_writes_nothing_and_costs_one_statement(client, session, settings, db) -> None:
    s = await scene(session)
    elsewhere = await make_org(session)
    walker = await make_person(session, Role.VOLUNTEER, community=elsewhere.community)  # no place here
    statements = await _statements(db)
    refused = await scan(client, CHECK_INS, code(settings, s.activity.id), walker)
    assert refused.status_code == 403 and refused.json()["code"] == "volunteer_other_community"
    assert len(statements) == 1, statements
    assert await event_types(db) == [] and await attendance_count(db) == 0


async def test_a_plain_check_out_is_one_statement_and_matches_the_general_path(client, session, settings, db,
                                                                                monkeypatch) -> None:
    s = await scene(session, starts_in=dt.timedelta(minutes=-30))
    other = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    await sign_up(session, s.activity, other.volunteer.id)
    for person in (s.volunteer, other):
        assert (await scan(client, CHECK_INS, code(settings, s.activity.id), person)).status_code == 201

    statements = await _statements(db)
    fast = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert fast.status_code == 201, fast.text
    # The context with the record's state and the closing UPDATE in one: no BEGIN, no COMMIT.
    assert len(statements) == 1, statements

    monkeypatch.setattr(fast_scan, "available", lambda _session: False)
    general = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), other)
    assert general.status_code == 201, general.text
    drop = {"id", "volunteer_id", "checked_in_at", "checked_out_at", "served_minutes"}
    assert {k: v for k, v in fast.json()["attendance"].items() if k not in drop} == \
        {k: v for k, v in general.json()["attendance"].items() if k not in drop}
    assert fast.json()["attendance"]["status"] == "checked_out" and await event_types(db) == []
    again = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert again.status_code == 200 and again.json()["created"] is False


@pytest.mark.parametrize("arrived", [dt.timedelta(minutes=-47, seconds=-31.4), dt.timedelta(minutes=-100),
                                     dt.timedelta(seconds=-59.9)], ids=["mid-window", "before-the-start", "under-a-minute"])
async def test_the_statement_counts_served_minutes_as_the_rules_do(client, session, settings, db,  # noqa: ANN001
                                                                   arrived: dt.timedelta) -> None:
    """The minutes are computed in SQL by the one statement: whole minutes inside the window, as rules.served_minutes."""
    s = await scene(session, starts_in=dt.timedelta(minutes=-90))
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)).status_code == 201
    checked_in_at = dt.datetime.now(dt.UTC) + arrived
    await session.execute(update(Attendance).where(Attendance.activity_id == s.activity.id)
                          .values(checked_in_at=checked_in_at))
    await session.commit()
    out = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert out.status_code == 201, out.text
    record = out.json()["attendance"]
    assert "." in record["checked_out_at"], record  # to the microsecond, as stored: the same instant on both sides
    assert record["served_minutes"] == rules.served_minutes(
        checked_in_at=checked_in_at, checked_out_at=dt.datetime.fromisoformat(record["checked_out_at"]),
        starts_at=s.activity.starts_at, ends_at=s.activity.ends_at)
