"""Monthly honour lists (月度光荣榜) with their frozen entries and objections, star awards, certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Scope:
    COMMUNITY = "community"
    STREET = "street"

    ALL = (COMMUNITY, STREET)


class ListStatus:
    DRAFT = "draft"
    PUBLISHED = "published"  # in its notice period (公示) until notice_ends_at, then final

    ALL = (DRAFT, PUBLISHED)


class Section:
    TOP_VOLUNTEERS = "top_volunteers"
    NEW_STARS = "new_stars"
    TOP_TEAMS = "top_teams"

    ALL = (TOP_VOLUNTEERS, NEW_STARS, TOP_TEAMS)


class HonourList(Base):
    """One scope's honour list for one month; its entries are a snapshot, never recomputed once published."""

    __tablename__ = "honour_list"
    __table_args__ = (UniqueConstraint("scope_kind", "scope_id", "month"),)

    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[str] = mapped_column(String(7))  # local "2026-10"
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ListStatus.DRAFT)
    top_n: Mapped[int] = mapped_column(default=10)
    # The figures count ledger credits posted in [period_start, period_end) (UTC bounds of the local month).
    period_start: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    period_end: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    generated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    generated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    notice_days: Mapped[int] = mapped_column(default=7)
    notice_ends_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # sha256 of the entries: identical figures give an identical digest, whatever the time of generation.
    digest: Mapped[str] = mapped_column(String(64), default="")
    top_teams: Mapped[int] = mapped_column(default=3, server_default="3")
    # 1 when first published; each correction (更正并重新公示) regenerates the entries and adds one.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class HonourEntry(Base):
    """One line of a list: a volunteer by hours, a volunteer's new star level, or a team."""

    __tablename__ = "honour_entry"
    __table_args__ = (Index("ix_honour_entry_list", "list_id", "section", "position"),)

    list_id: Mapped[int] = mapped_column(ForeignKey("honour_list.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column()  # order inside the section, 1-based, unique
    rank: Mapped[int] = mapped_column()  # equal figures share a rank (并列)
    volunteer_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    team_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    community_id: Mapped[int] = mapped_column(BigInteger)
    # Snapshot at generation: the full name for organisers, and what the public page may show.
    name: Mapped[str] = mapped_column(String(100))
    public_name: Mapped[str | None] = mapped_column(String(100), default=None)  # None: no consent
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    star_level: Mapped[int | None] = mapped_column(default=None)
    member_count: Mapped[int | None] = mapped_column(default=None)


class ObjectionStatus:
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    RESOLUTIONS = (UPHELD, DISMISSED)


class HonourObjection(Base):
    """A resident's objection (异议) raised during the notice period, and the organiser's resolution."""

    __tablename__ = "honour_objection"
    __table_args__ = (Index("ix_honour_objection_list", "list_id", "status"),
                      Index("ix_honour_objection_client", "client_key", "created_at"))

    list_id: Mapped[int] = mapped_column(ForeignKey("honour_list.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    text: Mapped[str] = mapped_column(Text)
    # A keyed hash of the client address: enough for the rate limit, not the address itself.
    client_key: Mapped[str] = mapped_column(String(64))
    # The list's version the resident saw: objections to an earlier version stay readable after a correction.
    list_version: Mapped[int] = mapped_column(default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(16), default=ObjectionStatus.OPEN)
    resolution_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class StarAward(Base):
    """A star level the ledger announced (ledger.star_level_reached), kept for the month's list."""

    __tablename__ = "honour_star_award"
    __table_args__ = (UniqueConstraint("source_event_id"), Index("ix_honour_star_award_at", "reached_at"))

    source_event_id: Mapped[int] = mapped_column(BigInteger)
    volunteer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    level: Mapped[int] = mapped_column()
    reached_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class CertificateStatus:
    REQUESTED = "requested"
    ISSUED = "issued"
    REVOKED = "revoked"
    REJECTED = "rejected"


class Certificate(Base):
    """志愿服务证明: the figures and fields as they were at issue; re-rendered as PDF on download."""

    __tablename__ = "honour_certificate"
    __table_args__ = (Index("ix_honour_certificate_volunteer", "volunteer_id", "id"),
                      Index("ix_honour_certificate_community", "community_id", "status"))

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    status: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)  # ZYFW-HXL-2026-00001
    verification_code: Mapped[str | None] = mapped_column(String(16), default=None)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    purpose: Mapped[str | None] = mapped_column(String(200), default=None)
    # Snapshot at issue (the rules require these fields on the certificate).
    volunteer_name: Mapped[str | None] = mapped_column(String(64), default=None)
    id_type: Mapped[str | None] = mapped_column(String(32), default=None)
    id_number_masked: Mapped[str | None] = mapped_column(String(32), default=None)
    volunteer_number: Mapped[str | None] = mapped_column(String(32), default=None)
    total_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    attendance_count: Mapped[int] = mapped_column(default=0)
    # [{"kind": "patrol", "name": "治安巡逻", "count": 3, "minutes": 540}, ...]
    content: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # 评价情况: the residents' ratings of the volunteer's request services in the period, frozen at issue
    # ({"count", "average", "tags": [[tag, times], ...]}); None when nobody rated them.
    rating_summary: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    issuer_name: Mapped[str | None] = mapped_column(String(100), default=None)
    person_in_charge: Mapped[str | None] = mapped_column(String(64), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    public_consent: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    issue_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class CertificateCounter(PlainBase):
    """The last certificate sequence per community and year; bumped with one UPDATE under the row lock."""

    __tablename__ = "honour_certificate_counter"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
