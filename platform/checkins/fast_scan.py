"""A volunteer's own check-in in one statement on PostgreSQL: the common case of the busiest request we serve.

The statement reads the scan context (login, volunteer, activity, policy, sign-up, existing record),
inserts the attendance when every condition of self_scan.SELF_CHECK_IN holds, and returns the context
either way. The conditions and the columns written are declared once (self_scan.py and
repository.fresh_attendance); this module only puts them into one statement. When a condition does not
hold (walk-in, geofence, not yet open, unknown login, a race...), nothing is written and the service
checks the same conditions on the returned context, which raise the right error or take the general
path. So a scan costs one round trip whatever its outcome.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.sessions import hash_token, plausible_token
from servicebank.checkins import repository as repo
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.checkins.self_scan import (
    APPROVED_AT_ONCE_SQL,
    APPROVED_EVENT,
    AUTO_APPROVE_REASON,
    SELF_CHECK_IN,
    SELF_CHECK_OUT,
    sql_where,
)
from servicebank.kernel import direct
from servicebank.kernel.dialect import is_asyncpg
from servicebank.kernel.events import publish_after_commit

# The columns of a self check-in that come from the context row: everything else is a parameter, from
# repository.fresh_attendance like the general path's insert.
_FROM_CONTEXT = {
    "id": "nextval('attendance_id_seq')",
    "volunteer_id": "ctx.volunteer_id",
    "community_id": "ctx.community_id",
    # The local day the activity starts on, as rules.service_date computes it.
    "service_date": "(ctx.starts_at AT TIME ZONE :timezone)::date",
}


def _columns() -> list[Any]:
    return list(Attendance.__table__.c)


@lru_cache(maxsize=1)
def _statement() -> tuple[str, tuple[str, ...]]:
    """The statement in asyncpg's numbered-parameter form, and the parameter names in order."""
    dialect = postgresql.dialect(paramstyle="named")
    values = [_FROM_CONTEXT.get(c.name) or f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)})"
              for c in _columns()]
    # The context is the same SELECT the general path runs, compiled once to PostgreSQL text.
    context = repo.self_scan_statement().compile(dialect=dialect).string
    sql = (
        f"WITH ctx AS MATERIALIZED ({context}),"
        f" new_attendance AS (INSERT INTO attendance ({', '.join(c.name for c in _columns())})"
        f" SELECT {', '.join(values)} FROM ctx WHERE {sql_where(SELF_CHECK_IN)}"
        " ON CONFLICT (activity_id, volunteer_id) DO NOTHING"
        " RETURNING id, service_date)"
        " SELECT ctx.*, new_attendance.id AS new_attendance_id, new_attendance.service_date AS new_service_date"
        " FROM ctx LEFT JOIN new_attendance ON true"
    )
    return direct.numbered(sql)


async def _fetch(session: AsyncSession, statement: Any, values: dict[str, Any]) -> SimpleNamespace | None:
    """One statement straight through asyncpg (in the session's transaction if one is open, else its own)."""
    found = await direct.fetch_mapping(session, statement, values)
    return None if found is None else SimpleNamespace(**found)


# Served minutes as rules.served_minutes counts them: whole minutes inside the activity window, never below 0.
_SERVED_MINUTES = ("GREATEST(0, floor(extract(epoch FROM LEAST(:at, ctx.ends_at)"
                   " - GREATEST(ctx.attendance_checked_in_at, ctx.starts_at)) / 60))::integer")
_CLOSED = "closed_"


def _iso(column: str) -> str:
    """A UTC time as JSON text exactly as Python's isoformat() writes it (service.snapshot_times): microseconds
    only when there are any, and `+00:00`, so the history row matches the general path's to the character."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', {utc})::bigint"
            f" % 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || '+00:00'")


# What service.check_out writes for an own check-out approved at once, besides the closed record: its history row
# and the ledger's cue. Only for a record the statement approved; no actor is named (the system decided).
_AUTO_APPROVED_HISTORY = (
    "INSERT INTO attendance_adjustment (id, attendance_id, at, action, reason, before, after, revision)"
    " SELECT nextval('attendance_adjustment_id_seq'), closed.id, :now, 'auto_approve', :auto_approve_reason, NULL,"
    " jsonb_build_object('status', closed.status, 'served_minutes', closed.served_minutes,"
    f" 'checked_in_at', {_iso('closed.checked_in_at')}, 'checked_out_at', {_iso('closed.checked_out_at')}),"
    f" closed.revision FROM closed WHERE closed.status = '{AttendanceStatus.APPROVED}'"
)
_AUTO_APPROVED_EVENT = (
    "INSERT INTO outbox_event (id, type, payload, created_at, attempts, dead)"
    f" SELECT nextval('outbox_event_id_seq'), '{APPROVED_EVENT}',"
    " jsonb_build_object('attendance_id', closed.id, 'revision', closed.revision), :now, 0, false"
    f" FROM closed WHERE closed.status = '{AttendanceStatus.APPROVED}' RETURNING id"
)


@lru_cache(maxsize=1)
def _check_out_statement() -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The one-statement check-out, its parameter names in order, and the values its context carries itself.

    Writes what service.check_out writes for an own scan: the time, the served minutes and the closed status
    (repository.CLOSING_COLUMNS; the flags stay as they are and no proxy is named); when the kind approves at
    once (self_scan.approved_at_once), the approved status, the next revision and the decision time instead,
    with the history row and the `attendance.approved` event, all or nothing as one statement."""
    context, carried, _done = direct.named(repo.self_check_out_statement())
    returning = ", ".join(f"attendance.{c.name} AS {_CLOSED}{c.name}" for c in _columns())
    approve = APPROVED_AT_ONCE_SQL
    sql = (
        f"WITH ctx AS MATERIALIZED ({context}),"
        f" closed AS (UPDATE attendance SET checked_out_at = :at, served_minutes = {_SERVED_MINUTES},"
        f" checkout_proxy_by_user_id = NULL,"
        f" status = CASE WHEN {approve} THEN '{AttendanceStatus.APPROVED}' ELSE '{AttendanceStatus.CHECKED_OUT}' END,"
        f" revision = CASE WHEN {approve} THEN attendance.revision + 1 ELSE attendance.revision END,"
        f" decided_at = CASE WHEN {approve} THEN :now ELSE attendance.decided_at END"
        # The record is still open: the context says so (SELF_CHECK_OUT), and comparing the row's status with the
        # context's makes PostgreSQL check it again on the row it updates (a check-out that closed it meanwhile
        # wins). IS NOT DISTINCT FROM, not `=`: from `status = 'checked_in'`, or an `=` it could chain to the
        # context's test, the plan walked every open record through the status index instead of taking the row by
        # its key (the statistics, taken when few were open, said one; 1,181 in the festival's wave, 4-15 ms).
        f" FROM ctx WHERE attendance.id = ctx.attendance_id"
        " AND attendance.status IS NOT DISTINCT FROM ctx.attendance_status"
        f" AND {sql_where(SELF_CHECK_OUT)} RETURNING attendance.*),"
        f" history AS ({_AUTO_APPROVED_HISTORY}),"
        f" approved_event AS ({_AUTO_APPROVED_EVENT})"
        f" SELECT ctx.*, {returning.replace('attendance.', 'closed.')}, approved_event.id AS approved_event_id"
        " FROM ctx LEFT JOIN closed ON true LEFT JOIN approved_event ON true"
    )
    numbered, names = direct.numbered(sql)
    return numbered, names, {**carried, "auto_approve_reason": AUTO_APPROVE_REASON}


async def self_check_out(session: AsyncSession, *, bearer: str, activity_id: int,
                         now: dt.datetime) -> tuple[SimpleNamespace, SimpleNamespace | None] | None:
    """An own check-out in one round trip: the scan context, and the closed record when the statement closed it
    (every condition of self_scan.SELF_CHECK_OUT held), approved when its kind approves at once. None when the
    bearer matches no open login.

    Like the check-in, it runs in the session's transaction when one is open, otherwise as its own: the record,
    its history row and its event are written by this one statement. The event is sent once the session commits,
    like any recorded event.
    """
    if not plausible_token(bearer):
        return None
    sql, names, carried = _check_out_statement()
    given = {**carried, "activity_id": activity_id, "token_hash": hash_token(bearer), "now": now, "at": now}
    connection = await (await session.connection()).get_raw_connection()
    record = await direct.driver(connection).fetchrow(sql, *(given[n] for n in names))
    if record is None:
        return None
    row = dict(record.items())
    event_id = row.pop("approved_event_id")
    if event_id is not None:
        publish_after_commit(session, event_id)
    closed = {name[len(_CLOSED):]: row.pop(name) for name in list(row) if name.startswith(_CLOSED)}
    return SimpleNamespace(**row), SimpleNamespace(**closed) if closed.get("id") is not None else None


def available(session: AsyncSession) -> bool:
    """The one-statement scan needs PostgreSQL's data-modifying CTEs, sent straight through asyncpg."""
    return is_asyncpg(session)


async def self_check_in(session: AsyncSession, *, bearer: str, activity_id: int, now: dt.datetime,
                        timezone: str, values: dict[str, Any]) -> SimpleNamespace | None:
    """The scan context, with `new_attendance_id` set when the check-in was recorded by this statement.

    `values`: repository.fresh_attendance for this scan; the context's columns (_FROM_CONTEXT) replace
    its placeholders. None when the bearer matches no open login (as repository.self_scan_context).

    The statement goes to asyncpg directly: SQLAlchemy's statement and result handling cost more CPU
    than the rest of the request. It runs in the session's transaction when one is open; otherwise it
    is a transaction of its own, which is enough: the attendance is written by this one statement, and
    nothing else in a plain scan writes.
    """
    if not plausible_token(bearer):
        return None
    sql, names = _statement()
    given = {"activity_id": activity_id, "token_hash": hash_token(bearer), "now": now, "at": now,
             "timezone": timezone}
    parameters = [direct.parameter(values[n]) if n in values and n not in given else given[n] for n in names]
    connection = await (await session.connection()).get_raw_connection()
    record = await direct.driver(connection).fetchrow(sql, *parameters)
    return None if record is None else SimpleNamespace(**dict(record.items()))
