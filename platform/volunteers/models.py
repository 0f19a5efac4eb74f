"""Volunteers, teams and team membership."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class VolunteerStatus:
    PENDING = "pending"  # self-registered, waiting for an organiser
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"


class Volunteer(Base):
    """志愿者. Personal data is the minimum the service record and certificate need."""

    __tablename__ = "volunteer"
    __table_args__ = (
        UniqueConstraint("community_id", "phone"),
        UniqueConstraint("community_id", "id_number_digest"),
        # created_at too: the 台账 counts a community's registered volunteers from the index alone.
        Index("ix_volunteer_community_status_created", "community_id", "status", "created_at"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), default=None, index=True)
    # Human-readable and unique across the platform, e.g. "HXL-000123".
    number: Mapped[str] = mapped_column(String(32), unique=True)
    real_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))
    id_type: Mapped[str | None] = mapped_column(String(16), default=None)  # 居民身份证, 护照, ...
    # Encrypted at rest (see servicebank.volunteers.identity); never returned unmasked.
    id_number_encrypted: Mapped[str | None] = mapped_column(String(512), default=None)
    # Keyed hash to find duplicates without decrypting; unique per community.
    id_number_digest: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    id_number_last4: Mapped[str | None] = mapped_column(String(4), default=None)
    # The only form ever shown: 110***********1234.
    id_number_masked: Mapped[str | None] = mapped_column(String(32), default=None)
    gender: Mapped[str | None] = mapped_column(String(8), default=None)
    birth_year: Mapped[int | None] = mapped_column(default=None)
    # 退休 / 在职 / 流动 / 学生 ... used in reports
    party_class: Mapped[str | None] = mapped_column(String(32), default=None)
    political_status: Mapped[str | None] = mapped_column(String(32), default=None)  # 党员, 团员, 群众
    skill_tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    status: Mapped[str] = mapped_column(String(16), default=VolunteerStatus.ACTIVE)
    # Paid or obligatory service (公益性岗位, 低保 labour): recorded, earns no points by default.
    paid_service: Mapped[bool] = mapped_column(default=False)
    # Bumped to revoke a printed QR card; the card token carries the version it was issued with.
    card_version: Mapped[int] = mapped_column(default=1)
    # What the volunteer agreed to show on public pages (honour list, certificate verification).
    public_consent: Mapped[bool] = mapped_column(default=True)
    # Why an organiser suspended the volunteer (shown to organisers only).
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class Team(Base):
    """志愿服务队."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # 党员, 团员/青年, 巾帼, 居民, 文艺, 治安巡逻, 共建单位 or a custom kind
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class TeamMember(PlainBase):
    """A volunteer's membership in a team."""

    __tablename__ = "team_member"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), primary_key=True, index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class VolunteerNumberCounter(PlainBase):
    """The last sequence number handed out per community; bumped with one atomic UPDATE."""

    __tablename__ = "volunteer_number_counter"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class LoginClaimStatus:
    PENDING = "pending"  # waits for an organiser of the volunteer's community
    APPROVED = "approved"  # the login was created with the claimant's password
    DECLINED = "declined"  # an organiser said no, or another claim for the same volunteer was approved

    ALL = (PENDING, APPROVED, DECLINED)


class LoginClaim(Base):
    """Someone who signed up with a phone the platform already knows asks for the login of a volunteer record.

    Self-registration never hands out a login for such a phone by itself: an organiser of the volunteer's community
    checks (by calling the phone on file, in person) and approves. The password the claimant chose waits here as an
    argon2 hash and is cleared once the claim is decided.
    """

    __tablename__ = "volunteer_login_claim"
    __table_args__ = (Index("ix_volunteer_login_claim_community_status", "community_id", "status", "id"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    # The name the claimant typed, shown next to the record's for the organiser to compare.
    claimed_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(256), default=None)
    status: Mapped[str] = mapped_column(String(16), default=LoginClaimStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class VolunteerCardPin(PlainBase):
    """The PIN that makes a printed card spend points at a store till (a card alone only signs someone in).

    Hashed like a password. `failures` counts wrong PINs in a row: at MAX_PIN_FAILURES the card stops
    spending until the volunteer or an organiser sets a new PIN (see servicebank.volunteers.card_pin).
    """

    __tablename__ = "volunteer_card_pin"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), primary_key=True)
    pin_hash: Mapped[str] = mapped_column(String(256))
    failures: Mapped[int] = mapped_column(default=0)
    set_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # An organiser who set or reset it at the desk; None when the volunteer set it themself.
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
