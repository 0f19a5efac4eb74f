"""What a scan must satisfy, declared once: each condition as Python (the general path) and as SQL (fast_scan).

A condition reads the scan context (repository.self_scan_statement's row, `ctx`). When it does not hold,
`refuse` builds the refusal; a condition without one is not a refusal on its own: the service's full
checks decide what happens (an existing record is returned, a walk-in is admitted or refused, the
geofence checks the position). The one-statement check-in (fast_scan.py) writes only when every
condition of SELF_CHECK_IN holds, and the service checks the same list in the same order, so a
condition added here is checked on both paths, and one added elsewhere in the service cannot be
skipped by the statement without failing the parity test (tests/checkins/test_scan_parity.py).

In the SQL, `:now` is the time of the request (the login must be open now) and `:at` the time of the
scan (the window must be open then); they differ only for a remembered scan, which takes the
general path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from servicebank.activities.models import ActivityStatus, SignupStatus
from servicebank.checkins.models import DEFAULT_OPENS_MINUTES_BEFORE, AttendanceFlag, AttendanceStatus
from servicebank.checkins.rules import aware
from servicebank.kernel.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated
from servicebank.volunteers.models import VolunteerStatus

NOT_YET_OPEN = (ActivityStatus.DRAFT, ActivityStatus.PENDING_APPROVAL)


@dataclasses.dataclass(frozen=True)
class Condition:
    name: str
    holds: Callable[[Any, dt.datetime, dt.datetime], bool]  # (ctx, now, at)
    sql: str  # the same test on the context row `ctx`
    refuse: Callable[[Any, dt.datetime], DomainError] | None = None  # (ctx, at); None: the full checks decide
    # The refusal codes that may follow when it does not hold (its own, or those of the full checks).
    codes: tuple[str, ...] = ()


def opens_at(ctx: Any) -> dt.datetime:
    """When check-in opens: the policy's minutes (or the default) before the start."""
    before = ctx.opens_minutes_before if ctx.opens_minutes_before is not None else DEFAULT_OPENS_MINUTES_BEFORE
    return aware(ctx.starts_at) - dt.timedelta(minutes=before)


def _not_open(ctx: Any, _at: dt.datetime) -> DomainError:
    before = ctx.opens_minutes_before if ctx.opens_minutes_before is not None else DEFAULT_OPENS_MINUTES_BEFORE
    return Conflict(f"Check-in opens {before} minutes before the start.", code="checkin_not_open",
                    opens_at=opens_at(ctx).isoformat())


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# A volunteer's own login: open now, and the account is a volunteer's. (A proxy scan has staff instead.)
LOGIN = (
    Condition("open_login",
              lambda ctx, now, _at: ctx is not None and bool(ctx.is_active) and aware(ctx.expires_at) > now,
              "ctx.is_active AND ctx.expires_at > :now",
              lambda _ctx, _at: Unauthenticated("Please log in first (your session is missing or has expired)."),
              ("not_authenticated",)),
    Condition("volunteer_account", lambda ctx, _now, _at: ctx.volunteer_id is not None,
              "ctx.volunteer_id IS NOT NULL",
              lambda _ctx, _at: Forbidden("This account is not a volunteer. To sign someone in, scan their card "
                                          "(send volunteer_card).", code="volunteer_required"),
              ("volunteer_required",)),
)

ACTIVITY = (
    Condition("activity_exists", lambda ctx, _now, _at: ctx is not None and ctx.id is not None, "ctx.id IS NOT NULL",
              lambda _ctx, _at: NotFound("This activity no longer exists.", code="activity_not_found"),
              ("activity_not_found",)),
    Condition("not_cancelled", lambda ctx, _now, _at: ctx.status != ActivityStatus.CANCELLED,
              f"ctx.status <> '{ActivityStatus.CANCELLED}'",
              lambda _ctx, _at: Conflict("This activity was cancelled; there is nothing to check in to.",
                                         code="activity_cancelled"),
              ("activity_cancelled",)),
    Condition("published", lambda ctx, _now, _at: ctx.status not in NOT_YET_OPEN,
              f"ctx.status NOT IN ({_quoted(NOT_YET_OPEN)})",
              lambda _ctx, _at: Conflict("This activity is not published yet.", code="activity_not_published"),
              ("activity_not_published",)),
)

VOLUNTEER = (
    Condition("volunteer_active", lambda ctx, _now, _at: ctx.volunteer_status == VolunteerStatus.ACTIVE,
              f"ctx.volunteer_status = '{VolunteerStatus.ACTIVE}'",
              lambda _ctx, _at: Forbidden("This volunteer account is not active; please ask the community "
                                          "organiser.", code="volunteer_not_active"),
              ("volunteer_not_active",)),
)

# Not a refusal: a second scan is answered with the record of the first.
FIRST_SCAN = Condition("not_checked_in", lambda ctx, _now, _at: ctx.attendance_id is None,
                       "ctx.attendance_id IS NULL")

WINDOW = (
    Condition("window_opened", lambda ctx, _now, at: at >= opens_at(ctx),
              f":at >= ctx.starts_at - make_interval(mins => COALESCE(ctx.opens_minutes_before, "
              f"{DEFAULT_OPENS_MINUTES_BEFORE}))",
              _not_open, ("checkin_not_open",)),
    Condition("window_not_ended", lambda ctx, _now, at: at < aware(ctx.ends_at), ":at < ctx.ends_at",
              lambda _ctx, _at: Conflict("This activity has ended; check-in is closed. Ask the organiser to "
                                         "record your time.", code="activity_ended"),
              ("activity_ended",)),
)

# The plain case the statement records by itself; otherwise the service's admission and geofence checks decide.
PLAIN = (
    Condition("confirmed_place", lambda ctx, _now, _at: ctx.signup_status == SignupStatus.CONFIRMED,
              f"ctx.signup_status = '{SignupStatus.CONFIRMED}'",
              codes=("volunteer_other_community", "walk_in_not_allowed", "activity_full")),
    Condition("no_geofence",
              lambda ctx, _now, _at: not ctx.radius_m or ctx.latitude is None or ctx.longitude is None,
              "(COALESCE(ctx.radius_m, 0) = 0 OR ctx.latitude IS NULL OR ctx.longitude IS NULL)",
              codes=("location_required", "outside_geofence")),
)

# After the scanner's conditions (LOGIN for an own scan, ACTIVITY, VOLUNTEER), a check-in's own.
CHECK_IN = (FIRST_SCAN, *WINDOW)
SELF_CHECK_IN = (*LOGIN, *ACTIVITY, *VOLUNTEER, *CHECK_IN, *PLAIN)

# The check-out the one statement closes by itself (repository.self_check_out_statement's row): an open record.
# Otherwise the service decides: nothing to close, or closed already (a second scan, a race).
PLAIN_CHECK_OUT = (
    Condition("record_open", lambda ctx, _now, _at: ctx.attendance_status == AttendanceStatus.CHECKED_IN,
              f"ctx.attendance_status = '{AttendanceStatus.CHECKED_IN}'", codes=("not_checked_in",)),
)
SELF_CHECK_OUT = (*LOGIN, *ACTIVITY, *VOLUNTEER, *PLAIN_CHECK_OUT)


def approved_at_once(*, kind_auto_approves: bool | None, flags: Sequence[str] | None) -> bool:
    """Whether a check-out is approved without review: the activity's kind auto-approves, and the record carries
    no flag an organiser must look at first (AttendanceFlag.NEEDS_REVIEW)."""
    return bool(kind_auto_approves) and not AttendanceFlag.NEEDS_REVIEW.intersection(flags or [])


# What an approval at check-out records, on either path: the history row's reason and the ledger's cue.
AUTO_APPROVE_REASON = "The activity kind is approved automatically."
APPROVED_EVENT = "attendance.approved"

# approved_at_once in SQL, for the record being closed (`attendance`) in the context `ctx`: both paths of a check-out
# decide with it (tests/checkins/test_fast_check_out.py compares them).
APPROVED_AT_ONCE_SQL = (
    "(COALESCE(ctx.kind_auto_approves, false)"
    f" AND NOT (COALESCE(attendance.flags, '[]'::jsonb) ?| ARRAY[{_quoted(sorted(AttendanceFlag.NEEDS_REVIEW))}]))"
)


def enforce(conditions: Sequence[Condition], ctx: Any, *, now: dt.datetime, at: dt.datetime) -> Condition | None:
    """Raise the refusal of the first condition that does not hold; a failing condition without a refusal
    ends the walk and is returned (the caller's full checks take over). None when all hold."""
    for condition in conditions:
        if not condition.holds(ctx, now, at):
            if condition.refuse is not None:
                raise condition.refuse(ctx, at)
            return condition
    return None


def sql_where(conditions: Sequence[Condition]) -> str:
    """The conditions as one SQL predicate over `ctx`."""
    return " AND ".join(f"({c.sql})" for c in conditions)
