"""Input and output structs of the checkins API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Reason = Annotated[str, msgspec.Meta(min_length=2, max_length=500)]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A scanned kiosk code; with `volunteer_card` a staff member signs that volunteer in or out (代签)."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    volunteer_card: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    # 代签 of a volunteer found by the lookup (no card at hand); the same rules as a card.
    volunteer_id: int | None = None
    # An organiser's explicit choice to sign a walk-in in although the activity is full (代签 only).
    over_capacity: bool = False
    # The activity the scanning page expects, when it knows one: a code of another activity is refused.
    activity_id: int | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class AttendanceOut(msgspec.Struct):
    id: int
    activity_id: int
    volunteer_id: int
    community_id: int
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    served_minutes: int
    service_date: dt.date
    revision: int
    proxy_by_user_id: int | None
    checkout_proxy_by_user_id: int | None
    flags: list[str]
    distance_m: int | None
    decided_by_user_id: int | None
    decided_at: dt.datetime | None
    volunteer_name: str | None = None
    volunteer_number: str | None = None
    activity_title: str | None = None


class ScanOut(msgspec.Struct):
    """The attendance after a scan; `created` is false when the scan found an existing record."""

    attendance: AttendanceOut
    created: bool
    message: str


class KioskCodeOut(msgspec.Struct):
    activity_id: int
    purpose: str
    token: str
    url: str
    refresh_at: dt.datetime
    expires_at: dt.datetime
    rotation_seconds: int


class LiveCountOut(msgspec.Struct):
    activity_id: int
    checked_in: int  # on site now
    checked_out: int  # came and left (including closed and reviewed records)
    expected: int  # confirmed sign-ups
    at: dt.datetime


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    radius_m: Annotated[int, msgspec.Meta(ge=10, le=50_000)] | None = None
    geofence_mode: Literal["refuse", "flag"] = "flag"
    opens_minutes_before: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] = 30
    grace_minutes_after_end: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] = 60
    allow_walk_ins: bool | None = None


class PolicyOut(msgspec.Struct):
    activity_id: int
    radius_m: int | None
    geofence_mode: str
    opens_minutes_before: int
    grace_minutes_after_end: int
    allow_walk_ins: bool | None
    geofence_active: bool  # a radius is set and the activity has a position


class CardOut(msgspec.Struct):
    volunteer_id: int
    volunteer_number: str
    volunteer_name: str
    card_version: int
    token: str


class CardReissueIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class DeclineIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class AdjustIn(msgspec.Struct, forbid_unknown_fields=True):
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime
    reason: Reason


class NoShowIn(msgspec.Struct, forbid_unknown_fields=True):
    volunteer_id: int
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ManualRecordIn(msgspec.Struct, forbid_unknown_fields=True):
    """补录: an organiser records attendance of someone who could not scan at all."""

    volunteer_id: int
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime
    reason: Reason


class BulkApproveIn(msgspec.Struct, forbid_unknown_fields=True):
    # Only these records; all awaiting review when omitted.
    attendance_ids: list[int] | None = None
    # Also approve flagged records (auto-closed, outside the geofence): the organiser checked them.
    include_flagged: bool = False


class BulkApproveOut(msgspec.Struct):
    approved: list[int]
    skipped: list[dict[str, Any]]


class AdjustmentOut(msgspec.Struct):
    id: int
    attendance_id: int
    at: dt.datetime
    actor_user_id: int | None
    actor_name: str | None
    action: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any]
    revision: int
