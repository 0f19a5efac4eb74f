"""Request and response shapes of the records API (no-shows, qualifications)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class ExcuseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class NoShowOut(msgspec.Struct):
    id: int
    activity_id: int
    activity_title: str
    volunteer_id: int
    activity_ended_at: dt.datetime
    excused_at: dt.datetime | None
    excuse_reason: str | None


class StandingOut(msgspec.Struct):
    """A volunteer's no-show standing: counted in the window, and the hold with its code and reason."""

    volunteer_id: int
    counted: int
    window_days: int
    held_until: dt.datetime | None
    hold_code: str | None
    hold_message: str | None
    no_shows: list[NoShowOut]


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool = True
    threshold: int = 3
    window_days: int = 90
    approval_days: int = 30


class PolicyOut(msgspec.Struct):
    community_id: int
    enabled: bool
    threshold: int
    window_days: int
    approval_days: int


class QualificationTypeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str


class QualificationTypeOut(msgspec.Struct):
    code: str
    name: str
    custom: bool


class RequirementIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    qualification_code: str
    required: bool = True


class RequirementOut(msgspec.Struct):
    kind: str
    qualification_code: str


class QualificationIn(msgspec.Struct, forbid_unknown_fields=True):
    qualification_code: str
    issuer: str
    # The full number is read once, masked, and never stored.
    number: str
    valid_until: dt.date


class QualificationOut(msgspec.Struct):
    id: int
    volunteer_id: int
    qualification_code: str
    name: str
    issuer: str
    number_masked: str
    valid_until: dt.date
    verified_at: dt.datetime | None
    verified_by_user_id: int | None
    # "valid" | "expiring" (within 30 days) | "expired" | "unchecked" (waiting for an organiser)
    state: str


class ClaimIn(msgspec.Struct, forbid_unknown_fields=True):
    """A late claim: one of our activities (activity_id) or a service elsewhere under a community we know
    (organisation_id, with place); the times it took and what was done."""

    started_at: dt.datetime
    ended_at: dt.datetime
    content: str
    activity_id: int | None = None
    organisation_id: int | None = None
    place: str = ""


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""


class ClaimPhotoOut(msgspec.Struct):
    position: int
    url: str
    media_type: str
    size_bytes: int


class ClaimOut(msgspec.Struct):
    id: int
    volunteer_id: int
    volunteer_name: str
    community_id: int
    community_name: str
    activity_id: int | None
    activity_title: str | None
    place: str
    content: str
    started_at: dt.datetime
    ended_at: dt.datetime
    service_date: dt.date
    served_minutes: int
    status: str
    decided_by_user_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    transaction_id: int | None
    posted_minutes: int
    posted_points: int
    created_at: dt.datetime
    photos: list[ClaimPhotoOut]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A correction request: the record (attendance_id or claim_id), the times it should have, the right activity
    if it was another one, and why."""

    started_at: dt.datetime
    ended_at: dt.datetime
    reason: str
    attendance_id: int | None = None
    claim_id: int | None = None
    activity_id: int | None = None


class CorrectionOut(msgspec.Struct):
    id: int
    volunteer_id: int
    volunteer_name: str
    community_id: int
    attendance_id: int | None
    claim_id: int | None
    record_title: str
    activity_id: int | None
    activity_title: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    reason: str
    status: str
    decided_by_user_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    reversal_transaction_id: int | None
    posting_transaction_id: int | None
    new_attendance_id: int | None
    created_at: dt.datetime


class TrainingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A course taken: category general | professional | pre_service (通用/专业/岗前), title, day, minutes."""

    category: str
    title: str
    trained_on: dt.date
    minutes: int
    provider: str = ""


class TrainingOut(msgspec.Struct):
    id: int
    volunteer_id: int
    category: str
    title: str
    provider: str
    trained_on: dt.date
    minutes: int
    # The organiser who recorded a course by hand; None for a training activity attended (`activity_id`).
    recorded_by_user_id: int | None
    created_at: dt.datetime
    activity_id: int | None = None
    # Points the community's training rule gave (0 while it is off).
    points: int = 0


class TrainingRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    earns_points: bool


class TrainingRuleOut(msgspec.Struct):
    """Whether attending a training activity earns points in the community (the kind's hours rule gives how many)."""

    community_id: int
    earns_points: bool


class TrainingSummaryOut(msgspec.Struct):
    """培训情况: minutes per category and in all (never counted as service), and the courses, newest first."""

    volunteer_id: int
    minutes_by_category: dict[str, int]
    total_minutes: int
    trainings: list[TrainingOut]


class TrainingRequirementIn(msgspec.Struct, forbid_unknown_fields=True):
    """One of `kind` (an activity kind code) and `request_category_id`; the training `category` (general,
    professional, pre_service); `within_months` (1-120) if it must be recent, null for ever; `required: false` lifts
    it."""

    category: str
    kind: str | None = None
    request_category_id: int | None = None
    within_months: int | None = None
    required: bool = True


class TrainingRequirementOut(msgspec.Struct):
    kind: str | None
    request_category_id: int | None
    category: str
    # null: a training of the category ever taken counts.
    within_months: int | None
