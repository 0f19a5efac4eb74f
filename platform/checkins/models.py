"""Attendance records (one per volunteer per activity), their review history, and per-activity check-in rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AttendanceStatus:
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    AUTO_CLOSED = "auto_closed"  # not checked out; closed at the end plus grace by the scheduler
    APPROVED = "approved"
    DECLINED = "declined"
    NO_SHOW = "no_show"

    ALL = (CHECKED_IN, CHECKED_OUT, AUTO_CLOSED, APPROVED, DECLINED, NO_SHOW)
    # Closed but not yet decided by an organiser.
    AWAITING_REVIEW = (CHECKED_OUT, AUTO_CLOSED)


class AttendanceFlag:
    AUTO_CLOSED = "auto_closed"
    OUTSIDE_GEOFENCE = "outside_geofence"
    NO_LOCATION = "no_location"
    PROXY_CHECK_IN = "proxy_check_in"
    PROXY_CHECK_OUT = "proxy_check_out"
    WALK_IN = "walk_in"
    ACTIVITY_CANCELLED = "activity_cancelled"
    MANUAL = "manual"
    # A walk-in an organiser signed in (代签) although the activity was full, by an explicit choice.
    OVER_CAPACITY = "over_capacity"

    # Flags that keep a record out of automatic and bulk approval: an organiser looks first.
    NEEDS_REVIEW = frozenset({AUTO_CLOSED, OUTSIDE_GEOFENCE, NO_LOCATION, ACTIVITY_CANCELLED})


class Attendance(Base):
    """A volunteer's attendance at one activity: scans, the minutes that count, and the review decision."""

    __tablename__ = "attendance"
    __table_args__ = (
        # One record per volunteer per activity: double scans and races resolve to this row.
        UniqueConstraint("activity_id", "volunteer_id", name="uq_attendance_activity_volunteer"),
        Index("ix_attendance_activity_status", "activity_id", "status"),
        Index("ix_attendance_volunteer_date", "volunteer_id", "service_date"),
        # The 台账 reads a community's approved attendance of a period from this index alone (PostgreSQL: an
        # index-only scan); its rows are scattered over the table, one heap page each otherwise.
        Index("ix_attendance_community_date", "community_id", "service_date",
              postgresql_include=["status", "activity_id", "volunteer_id", "id"]),
        Index("ix_attendance_status", "status"),
    )

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # NULL only for a no-show recorded without any scan.
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    status: Mapped[str] = mapped_column(String(16), default=AttendanceStatus.CHECKED_IN)
    # The minutes that count: scans clamped to the activity window, or the organiser's adjusted times.
    served_minutes: Mapped[int] = mapped_column(default=0)
    # Local (settings.timezone) date of the activity's start: the day the service is reported under.
    service_date: Mapped[dt.date] = mapped_column(Date)
    # +1 at every review decision; the ledger keys its entries on (attendance_id, revision).
    revision: Mapped[int] = mapped_column(default=0)
    # The staff member who scanned the volunteer's card (代签) at check-in, if any.
    proxy_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    checkout_proxy_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    flags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # Distance from the venue at check-in, when the browser sent a position.
    distance_m: Mapped[int | None] = mapped_column(default=None)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class AttendanceAdjustment(Base):
    """One change to an attendance after the scans: who, when, why, and the record before and after."""

    __tablename__ = "attendance_adjustment"
    __table_args__ = (Index("ix_attendance_adjustment_attendance", "attendance_id", "id"),)

    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendance.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # NULL for the system (auto-close, auto-approval, cancelled activity).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    actor_name: Mapped[str | None] = mapped_column(String(64), default=None)
    # approve, adjust, decline, no_show, auto_close, auto_approve, activity_cancelled, manual_record
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    after: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    revision: Mapped[int] = mapped_column(default=0)


class GeofenceMode:
    REFUSE = "refuse"
    FLAG = "flag"


class CheckinPolicy(PlainBase):
    """An activity's check-in rules; an activity without a row uses the defaults below."""

    __tablename__ = "checkin_policy"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), primary_key=True)
    # Geofence around the activity's latitude/longitude; NULL: no geofence.
    radius_m: Mapped[int | None] = mapped_column(default=None)
    geofence_mode: Mapped[str] = mapped_column(String(8), default=GeofenceMode.FLAG)
    opens_minutes_before: Mapped[int] = mapped_column(default=30)
    grace_minutes_after_end: Mapped[int] = mapped_column(default=60)
    # NULL: walk-ins allowed when the activity has no capacity or is not full.
    allow_walk_ins: Mapped[bool | None] = mapped_column(default=None)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


DEFAULT_OPENS_MINUTES_BEFORE = 30
DEFAULT_GRACE_MINUTES_AFTER_END = 60
