"""Users, role grants with their scope, and login sessions."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Role:
    PLATFORM_ADMIN = "platform_admin"
    STREET_ADMIN = "street_admin"
    ORGANISER = "organiser"
    TEAM_LEADER = "team_leader"
    VOLUNTEER = "volunteer"
    STORE_CLERK = "store_clerk"

    ALL = (PLATFORM_ADMIN, STREET_ADMIN, ORGANISER, TEAM_LEADER, VOLUNTEER, STORE_CLERK)


class User(Base):
    """Someone who logs in: by username or phone, with an argon2 password hash."""

    __tablename__ = "app_user"

    username: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), unique=True, default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class RoleGrant(Base):
    """A role held within a scope: a street, a community, a team or a store (none for platform admin)."""

    __tablename__ = "role_grant"
    __table_args__ = (Index("ix_role_grant_user", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(32))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), default=None)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), default=None, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), default=None)
    # Store ids are plain integers here: the stores domain owns that table.
    store_id: Mapped[int | None] = mapped_column(default=None)


class AuthSession(PlainBase):
    """A login: the sha256 of its bearer/cookie token, so a stolen database row is no credential."""

    __tablename__ = "auth_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class LoginThrottle(PlainBase):
    """Failed logins of one login name or one client address, and until when the next try must wait.

    One row per key, changed under a row lock (see accounts/ratelimit.py), so many simultaneous
    tries cannot all read the same count. In the database, so every API process sees it.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "login:<name>" or "address:<ip>"
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class OneTimeCode(Base):
    """A 6-digit code texted to a phone for one purpose (login, register, spend); only its HMAC is kept.

    Only the newest code of a phone and purpose counts; it is used once, expires, and dies after a few wrong
    tries (accounts/one_time_codes.py)."""

    __tablename__ = "one_time_code"
    __table_args__ = (Index("ix_one_time_code_phone", "phone", "purpose", "id"),)

    purpose: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(20))
    # A spend code confirms one volunteer's card: it is bound to that volunteer.
    volunteer_id: Mapped[int | None] = mapped_column(default=None)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
