"""Request and response shapes of the activities API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

AwareDateTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class ActivityFields(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What an organiser describes; shared by one-off activities and series templates."""

    kind: str
    title: Title
    description: str = ""
    beneficiary_groups: list[str] = []
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    team_ids: list[int] = []
    required_skill: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    hours_rule_override: dict[str, Any] | None = None
    beneficiaries_count: Annotated[int, msgspec.Meta(ge=0)] = 0


class ActivityCreate(ActivityFields, kw_only=True):
    community_id: int
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    # None: as the kind says. True: a 项目申请 must be approved before publishing.
    needs_approval: bool | None = None
    publish: bool = False


class ActivityPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only the fields given change."""

    kind: str | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    description: str | UnsetType = UNSET
    beneficiary_groups: list[str] | UnsetType = UNSET
    address: Annotated[str, msgspec.Meta(max_length=300)] | UnsetType = UNSET
    latitude: float | None | UnsetType = UNSET
    longitude: float | None | UnsetType = UNSET
    starts_at: AwareDateTime | UnsetType = UNSET
    ends_at: AwareDateTime | UnsetType = UNSET
    capacity: int | None | UnsetType = UNSET
    team_ids: list[int] | UnsetType = UNSET
    required_skill: Annotated[str, msgspec.Meta(max_length=32)] | None | UnsetType = UNSET
    hours_rule_override: dict[str, Any] | None | UnsetType = UNSET
    beneficiaries_count: Annotated[int, msgspec.Meta(ge=0)] | UnsetType = UNSET

    def changes(self) -> dict[str, Any]:
        """The fields that were given."""
        return {f: getattr(self, f) for f in self.__struct_fields__ if getattr(self, f) is not UNSET}


class ActivityOut(msgspec.Struct):
    id: int
    community_id: int
    kind: str
    title: str
    description: str
    beneficiary_groups: list[str]
    address: str
    latitude: float | None
    longitude: float | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int | None
    status: str
    team_ids: list[int]
    required_skill: str | None
    hours_rule_override: dict[str, Any] | None
    beneficiaries_count: int
    needs_approval: bool
    series_id: int | None
    detached_from_series: bool
    cancel_reason: str | None
    confirmed_count: int
    waitlist_count: int
    # The caller's own signup, when they are a volunteer with one.
    my_signup_status: str | None = None
    my_waitlist_position: int | None = None
    # For volunteers: may the caller sign up right now (eligible, open, not yet signed up).
    can_sign_up: bool | None = None


class ActivityPage(msgspec.Struct):
    items: list[ActivityOut]
    total: int


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class ProposalIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    goals: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    budget_fen: Annotated[int, msgspec.Meta(ge=0)] = 0
    expected_participants: Annotated[int, msgspec.Meta(ge=0)] = 0
    schedule: Annotated[str, msgspec.Meta(max_length=5000)] = ""


class ProposalOut(msgspec.Struct):
    activity_id: int
    goals: str
    budget_fen: int
    expected_participants: int
    schedule: str
    status: str
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None


class SignupOut(msgspec.Struct):
    id: int
    activity_id: int
    volunteer_id: int
    status: str
    position: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    volunteer_name: str | None = None
    volunteer_number: str | None = None
    # A sign-up waiting for the organiser: why (stable code, e.g. "no_show_limit") and the sentence that says so.
    hold_code: str | None = None
    hold_message: str | None = None
    # Staff lists: the volunteer's counted no-shows (爽约) in the community's policy window.
    no_show_count: int | None = None


class MyActivityOut(msgspec.Struct):
    signup: SignupOut
    activity: ActivityOut


class KindOut(msgspec.Struct):
    id: int
    code: str
    name: str
    community_id: int | None
    needs_approval: bool
    auto_approve: bool


class KindCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    community_id: int
    code: str
    name: str
    needs_approval: bool = False
    auto_approve: bool = False


class SeriesCreate(ActivityFields, kw_only=True):
    community_id: int
    # RFC 5545 RRULE, e.g. "FREQ=WEEKLY;BYDAY=SA" (an optional "RRULE:" prefix is accepted).
    rrule: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    # The first occurrence; its local time of day and length repeat.
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    publish: bool = True


class SeriesPatch(ActivityPatch, kw_only=True):
    rrule: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | UnsetType = UNSET


class SeriesOut(msgspec.Struct):
    id: int
    community_id: int
    rrule: str
    first_starts_at: dt.datetime
    duration_minutes: int
    timezone: str
    status: str
    publish_occurrences: bool
    template: dict[str, Any]
    materialised_until: dt.datetime | None
    cancel_reason: str | None
    upcoming: list[ActivityOut] = []


class CalendarLinkOut(msgspec.Struct):
    url: str
    community_url: str | None = None
