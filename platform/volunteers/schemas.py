"""Request and response shapes for volunteers, teams and roster imports."""

from __future__ import annotations

import datetime as dt

import msgspec
from msgspec import UNSET, UnsetType


class VolunteerCreate(msgspec.Struct, forbid_unknown_fields=True):
    community_id: int
    real_name: str
    phone: str
    grid_id: int | None = None
    id_type: str | None = None  # defaults to 居民身份证 when an id_number is given
    id_number: str | None = None
    number: str | None = None  # kept when the community already numbered its volunteers; else allocated
    gender: str | None = None
    birth_year: int | None = None
    party_class: str | None = None
    political_status: str | None = None
    skill_tags: list[str] = msgspec.field(default_factory=list)
    paid_service: bool = False
    public_consent: bool = True
    team_ids: list[int] = msgspec.field(default_factory=list)
    # Gives the volunteer a login (by phone) with this first password.
    initial_password: str | None = None


class VolunteerPatch(msgspec.Struct, forbid_unknown_fields=True):
    real_name: str | UnsetType = UNSET
    phone: str | UnsetType = UNSET
    grid_id: int | None | UnsetType = UNSET
    id_type: str | None | UnsetType = UNSET
    id_number: str | None | UnsetType = UNSET
    gender: str | None | UnsetType = UNSET
    birth_year: int | None | UnsetType = UNSET
    party_class: str | None | UnsetType = UNSET
    political_status: str | None | UnsetType = UNSET
    skill_tags: list[str] | UnsetType = UNSET
    paid_service: bool | UnsetType = UNSET
    public_consent: bool | UnsetType = UNSET


class SelfRegistration(msgspec.Struct, forbid_unknown_fields=True):
    community_id: int
    real_name: str
    phone: str
    password: str
    grid_id: int | None = None
    id_type: str | None = None
    id_number: str | None = None
    skill_tags: list[str] = msgspec.field(default_factory=list)
    public_consent: bool = True
    # The code texted to `phone` (POST /api/auth/codes, purpose register); required where texts reach people.
    sms_code: str | None = None


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None


class VolunteerOut(msgspec.Struct):
    id: int
    community_id: int
    grid_id: int | None
    number: str
    real_name: str
    phone: str
    id_type: str | None
    id_number_masked: str | None
    gender: str | None
    birth_year: int | None
    party_class: str | None
    political_status: str | None
    skill_tags: list[str]
    status: str
    status_reason: str | None
    paid_service: bool
    public_consent: bool
    card_version: int
    team_ids: list[int]
    has_account: bool
    created_at: dt.datetime
    approved_at: dt.datetime | None


class VolunteerPage(msgspec.Struct):
    items: list[VolunteerOut]
    total: int
    limit: int
    offset: int


class RegistrationOut(msgspec.Struct):
    """The one answer to every well-formed sign-up, whoever the phone belongs to."""

    status: str  # always "submitted"
    message: str


class LoginClaimOut(msgspec.Struct):
    """A sign-up that asked for the login of a volunteer record, with the record to compare it with."""

    id: int
    community_id: int
    volunteer_id: int
    volunteer_number: str
    volunteer_name: str  # the record's name
    volunteer_status: str
    phone: str
    claimed_name: str  # the name the claimant typed
    status: str  # pending, approved, declined
    created_at: dt.datetime
    decided_at: dt.datetime | None


class TeamCreate(msgspec.Struct, forbid_unknown_fields=True):
    community_id: int
    name: str
    kind: str
    description: str | None = None


class TeamPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    kind: str | UnsetType = UNSET
    description: str | None | UnsetType = UNSET


class TeamOut(msgspec.Struct):
    id: int
    community_id: int
    name: str
    kind: str
    description: str | None
    member_count: int
    leader_user_ids: list[int]
    created_at: dt.datetime


class MembersChange(msgspec.Struct, forbid_unknown_fields=True):
    volunteer_ids: list[int]


class LeaderAssign(msgspec.Struct, forbid_unknown_fields=True):
    volunteer_id: int


class TeamMemberOut(msgspec.Struct):
    volunteer_id: int
    number: str
    real_name: str
    phone: str
    status: str
    is_leader: bool
    joined_at: dt.datetime


class LeaderOut(msgspec.Struct):
    user_id: int
    display_name: str
    volunteer_id: int | None


class RowProblem(msgspec.Struct):
    code: str
    field: str
    message: str


class RowReport(msgspec.Struct):
    row: int  # the spreadsheet's own row number (header row included)
    errors: list[RowProblem]


class ImportReport(msgspec.Struct):
    dry_run: bool
    community_id: int
    total_rows: int
    valid_rows: int
    created: int
    skipped: int
    skipped_rows: list[RowReport]
    skipped_rows_truncated: bool
    columns: dict[str, str]  # our field -> the header found in the file
    seconds: float


class CardPinSet(msgspec.Struct, forbid_unknown_fields=True):
    """The volunteer's own card PIN, confirmed with their login password."""

    password: str
    pin: str


class CardPinReset(msgspec.Struct, forbid_unknown_fields=True):
    """An organiser's reset: a new PIN the volunteer typed at the desk, or none (cleared)."""

    reason: str
    pin: str | None = None


class CardPinOut(msgspec.Struct):
    volunteer_id: int
    pin_set: bool
