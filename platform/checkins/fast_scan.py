"""A volunteer's own check-in in one statement on PostgreSQL: the common case of the busiest request we serve.

The statement reads the scan context (login, volunteer, activity, policy, sign-up, existing record),
inserts the attendance and its outbox event when the context plainly allows it, and returns the
context either way. The fast conditions are a strict subset of what the service's checks accept:
whenever one of them does not hold (walk-in, geofence, not yet open, unknown login, a race...),
nothing is written and the service runs its full checks on the returned context, which raise the
right error or take the general path. So a scan costs one round trip whatever its outcome.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.sessions import hash_token
from servicebank.activities.models import ActivityStatus
from servicebank.checkins import repository as repo
from servicebank.checkins.models import (
    DEFAULT_OPENS_MINUTES_BEFORE,
    Attendance,
    AttendanceStatus,
)
from servicebank.events import publish_after_commit
from servicebank.volunteers.models import VolunteerStatus

CHECKED_IN_EVENT = "attendance.checked_in"

# What a fresh self check-in writes, column by column (ctx is the context row). Every column of the
# table must be listed: a new column makes `_statement` fail at first use instead of writing a
# default the service would not have chosen.
_ATTENDANCE_VALUES = {
    "id": "nextval('attendance_id_seq')",
    "activity_id": "ctx.id",
    "volunteer_id": "ctx.volunteer_id",
    "community_id": "ctx.community_id",
    "checked_in_at": ":now",
    "checked_out_at": "NULL",
    "status": f"'{AttendanceStatus.CHECKED_IN}'",
    "served_minutes": "0",
    # The local day the activity starts on, as rules.service_date computes it.
    "service_date": "(ctx.starts_at AT TIME ZONE :timezone)::date",
    "revision": "0",
    "proxy_by_user_id": "NULL",
    "checkout_proxy_by_user_id": "NULL",
    "flags": "'[]'::jsonb",
    "distance_m": "NULL",
    "decided_by_user_id": "NULL",
    "decided_at": "NULL",
    "created_at": ":now",
}

# Each condition mirrors one check of service.check_in for a volunteer's own scan.
_FAST_CONDITIONS = (
    "ctx.is_active AND ctx.expires_at > :now",  # an open login
    f"ctx.volunteer_id IS NOT NULL AND ctx.volunteer_status = '{VolunteerStatus.ACTIVE}'",
    f"ctx.id IS NOT NULL AND ctx.status IN ('{ActivityStatus.PUBLISHED}', '{ActivityStatus.IN_PROGRESS}')",
    "ctx.attendance_id IS NULL",  # not checked in yet
    f":now >= ctx.starts_at - make_interval(mins => COALESCE(ctx.opens_minutes_before, "
    f"{DEFAULT_OPENS_MINUTES_BEFORE}))",
    ":now < ctx.ends_at",
    f"ctx.signup_status = '{repo.CONFIRMED}'",  # a confirmed place: no walk-in or capacity question
    "(COALESCE(ctx.radius_m, 0) = 0 OR ctx.latitude IS NULL OR ctx.longitude IS NULL)",  # no geofence
)


@lru_cache(maxsize=1)
def _statement() -> tuple[str, tuple[str, ...]]:
    """The statement in asyncpg's numbered-parameter form, and the parameter names in order."""
    columns = [c.name for c in Attendance.__table__.c]
    if set(columns) != set(_ATTENDANCE_VALUES):
        raise RuntimeError(f"fast_scan lists attendance columns {sorted(_ATTENDANCE_VALUES)}, the table has "
                           f"{sorted(columns)}: say what a fresh check-in writes in each")
    # The context is the same SELECT the general path runs, compiled once to PostgreSQL text.
    context = repo.self_scan_statement().compile(dialect=postgresql.dialect(paramstyle="named")).string
    sql = (
        f"WITH ctx AS MATERIALIZED ({context}),"
        f" new_attendance AS (INSERT INTO attendance ({', '.join(columns)})"
        f" SELECT {', '.join(_ATTENDANCE_VALUES[c] for c in columns)} FROM ctx"
        f" WHERE {' AND '.join(f'({c})' for c in _FAST_CONDITIONS)}"
        " ON CONFLICT (activity_id, volunteer_id) DO NOTHING"
        " RETURNING id, activity_id, volunteer_id, service_date),"
        " new_event AS (INSERT INTO outbox_event (id, type, payload, created_at, attempts, dead, processed_at,"
        " last_error) SELECT nextval('outbox_event_id_seq'), :event_type, jsonb_build_object('attendance_id', id,"
        " 'activity_id', activity_id, 'volunteer_id', volunteer_id), :now, 0, false, NULL, NULL"
        " FROM new_attendance RETURNING id)"
        " SELECT ctx.*, new_attendance.id AS new_attendance_id, new_attendance.service_date AS new_service_date,"
        " new_event.id AS event_id"
        " FROM ctx LEFT JOIN new_attendance ON true LEFT JOIN new_event ON true"
    )
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    # ":name" but not the "::type" of a cast.
    return re.sub(r"(?<!:):([a-z_]+)", number, sql), tuple(names)


def available(session: AsyncSession) -> bool:
    """The one-statement scan needs PostgreSQL's data-modifying CTEs, sent straight through asyncpg."""
    bind = session.bind
    return bind is not None and bind.dialect.name == "postgresql" and bind.dialect.driver == "asyncpg"


async def self_check_in(session: AsyncSession, *, bearer: str, activity_id: int, now: dt.datetime,
                        timezone: str) -> SimpleNamespace | None:
    """The scan context, with `new_attendance_id` set when the check-in was recorded by this statement.

    None when the bearer matches no open login (as repository.self_scan_context).

    The statement goes to asyncpg directly: SQLAlchemy's statement and result handling cost more CPU
    than the rest of the request. It runs in the session's transaction when one is open; otherwise it
    is a transaction of its own, which is enough: the attendance and its outbox event are written by
    this one statement, together or not at all, and nothing else in a plain scan writes.
    """
    if not repo.plausible_bearer(bearer):
        return None
    sql, names = _statement()
    values = {"activity_id": activity_id, "token_hash": hash_token(bearer), "now": now, "timezone": timezone,
              "event_type": CHECKED_IN_EVENT}
    connection = await (await session.connection()).get_raw_connection()
    record = await connection.driver_connection.fetchrow(sql, *(values[n] for n in names))
    if record is None:
        return None
    if record["event_id"] is not None:
        publish_after_commit(session, record["event_id"])
    return SimpleNamespace(**dict(record.items()))
