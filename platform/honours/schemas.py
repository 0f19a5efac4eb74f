"""Input and output of the honour list and certificate API."""

from __future__ import annotations

import datetime as dt

import msgspec

from servicebank.requests.schemas import RatingSummaryOut


class GenerateIn(msgspec.Struct, kw_only=True):
    month: str
    community_id: int | None = None
    street_id: int | None = None
    top_n: int = 10
    top_teams: int = 3


class GenerateOut(msgspec.Struct, kw_only=True):
    month: str
    created: int
    replaced: int
    unchanged: int
    kept_published: int
    list_ids: list[int]


class EntryOut(msgspec.Struct, kw_only=True):
    section: str
    position: int
    rank: int
    name: str
    public_name: str | None
    minutes: int
    hours: float
    volunteer_id: int | None = None
    team_id: int | None = None
    community_id: int
    star_level: int | None = None
    member_count: int | None = None


class ListOut(msgspec.Struct, kw_only=True):
    id: int
    scope_kind: str
    scope_id: int
    month: str
    title: str
    status: str
    state: str
    top_n: int
    generated_at: dt.datetime
    published_at: dt.datetime | None
    notice_ends_at: dt.datetime | None
    digest: str
    open_objections: int = 0
    version: int = 1
    top_teams: int = 3
    correctable: bool = False  # 更正并重新公示 is allowed now
    entries: list[EntryOut] = []


class PublishIn(msgspec.Struct, kw_only=True):
    notice_days: int = 7


class CorrectIn(msgspec.Struct, kw_only=True):
    notice_days: int = 7
    reason: str | None = None


class PublicEntryOut(msgspec.Struct, kw_only=True):
    rank: int
    name: str
    hours: float | None = None
    star_level: int | None = None
    member_count: int | None = None


class PublicListOut(msgspec.Struct, kw_only=True):
    id: int
    title: str
    scope_name: str
    month: str
    state: str
    published_at: dt.datetime | None
    notice_ends_at: dt.datetime | None
    objections_open: bool
    version: int
    top_volunteers: list[PublicEntryOut]
    new_stars: list[PublicEntryOut]
    top_teams: list[PublicEntryOut]


class ObjectionIn(msgspec.Struct, kw_only=True):
    name: str
    text: str
    phone: str | None = None


class ObjectionReceipt(msgspec.Struct, kw_only=True):
    id: int
    status: str
    message: str


class ObjectionOut(msgspec.Struct, kw_only=True):
    id: int
    list_id: int
    name: str
    phone: str | None
    text: str
    status: str
    resolution_note: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    list_version: int = 1


class ResolveIn(msgspec.Struct, kw_only=True):
    resolution: str
    note: str


class CertificateIssueIn(msgspec.Struct, kw_only=True):
    volunteer_id: int
    period_start: dt.date
    period_end: dt.date
    person_in_charge: str | None = None
    contact_phone: str | None = None
    purpose: str | None = None


class CertificateRequestIn(msgspec.Struct, kw_only=True):
    period_start: dt.date
    period_end: dt.date
    purpose: str | None = None


class CertificateApproveIn(msgspec.Struct, kw_only=True):
    person_in_charge: str | None = None
    contact_phone: str | None = None


class ReasonIn(msgspec.Struct, kw_only=True):
    reason: str


class ContentOut(msgspec.Struct, kw_only=True):
    kind: str
    name: str
    count: int
    minutes: int


class CertificateOut(msgspec.Struct, kw_only=True):
    id: int
    community_id: int
    volunteer_id: int
    status: str
    number: str | None
    verification_code: str | None
    period_start: dt.date
    period_end: dt.date
    purpose: str | None
    volunteer_name: str | None
    id_type: str | None
    id_number_masked: str | None
    volunteer_number: str | None
    total_minutes: int
    attendance_count: int
    content: list[ContentOut]
    issuer_name: str | None
    person_in_charge: str | None
    contact_phone: str | None
    issue_date: dt.date | None
    status_reason: str | None
    verification_url: str | None
    rating: RatingSummaryOut | None = None  # 评价情况 of the period, frozen at issue


class CertificateCheckOut(msgspec.Struct, kw_only=True):
    genuine: bool
    status: str
    number: str
    issuer_name: str | None
    issue_date: dt.date | None
    message: str
    # Shown only when the volunteer consents to public display.
    volunteer_name: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    total_minutes: int | None = None
    content: list[ContentOut] | None = None
