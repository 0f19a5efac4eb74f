"""Activities (服务项目) and their kinds. The activities domain extends this module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ActivityStatus:
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"  # 项目申请 waiting for the street admin
    PUBLISHED = "published"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ActivityKind(Base):
    """A kind of activity: the built-in ones (community_id NULL) and a community's custom kinds."""

    __tablename__ = "activity_kind"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), default=None, index=True)
    code: Mapped[str] = mapped_column(String(32))  # e.g. "cultural_show", "cleanup", "patrol"
    name: Mapped[str] = mapped_column(String(64))  # e.g. 文艺演出
    needs_approval: Mapped[bool] = mapped_column(default=False)
    # Attendance of this kind is approved without an organiser's review.
    auto_approve: Mapped[bool] = mapped_column(default=False)


class Activity(Base):
    """One activity, or one occurrence of a recurring series."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_community_start", "community_id", "starts_at"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind: Mapped[str] = mapped_column(String(32))  # ActivityKind.code
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    beneficiary_groups: Mapped[list[str]] = mapped_column(JsonB, default=list)
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    capacity: Mapped[int | None] = mapped_column(default=None)  # None: unlimited
    status: Mapped[str] = mapped_column(String(20), default=ActivityStatus.DRAFT)
    # Who may join: everyone in the community, or members of these teams, or holders of a skill tag.
    team_ids: Mapped[list[int]] = mapped_column(JsonB, default=list)
    required_skill: Mapped[str | None] = mapped_column(String(32), default=None)
    # Overrides the hours rule of the kind: {"multiplier_permille": 1500, "rounding_minutes": 15,
    # "rounding": "nearest"|"down"|"up", "daily_cap_minutes": 480, "earns_points": true}
    hours_rule_override: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    # Estimated number of people served (受益人次), filled by the organiser for the 台账.
    beneficiaries_count: Mapped[int] = mapped_column(default=0)
    series_id: Mapped[int | None] = mapped_column(default=None, index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # Added by the activities domain: approval, recurrence, reminders and bookkeeping.
    needs_approval: Mapped[bool] = mapped_column(default=False)
    # The start this occurrence had in its series' schedule; identifies it when the series is re-expanded.
    occurrence_start: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Edited or cancelled on its own: later edits of the series leave it alone.
    detached_from_series: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    hour_reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


Index("ix_activity_status_start", Activity.status, Activity.starts_at)
Index("uq_activity_series_occurrence", Activity.series_id, Activity.occurrence_start, unique=True)


class SeriesStatus:
    ACTIVE = "active"
    CANCELLED = "cancelled"


class ActivitySeries(Base):
    """A recurring activity (weekly patrol, monthly cleanup): an RRULE and the template of its occurrences."""

    __tablename__ = "activity_series"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    # RFC 5545 RRULE body, e.g. "FREQ=WEEKLY;BYDAY=TU,TH"; expanded in `timezone` so 19:00 stays 19:00.
    rrule: Mapped[str] = mapped_column(String(500))
    first_starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    duration_minutes: Mapped[int] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=SeriesStatus.ACTIVE)
    # Occurrences are published as they are materialised (False: created as drafts).
    publish_occurrences: Mapped[bool] = mapped_column(default=True)
    # Template copied into every occurrence.
    template: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    # Occurrences exist up to here; the periodic job moves it forward.
    materialised_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class ProposalStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ActivityProposal(Base):
    """项目申请: the proposal a street admin approves before the activity may be published."""

    __tablename__ = "activity_proposal"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), unique=True)
    goals: Mapped[str] = mapped_column(Text)
    # In fen (1/100 yuan): money is an integer.
    budget_fen: Mapped[int] = mapped_column(default=0)
    expected_participants: Mapped[int] = mapped_column(default=0)
    schedule: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.PENDING)
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class SignupStatus:
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"  # by the volunteer
    CANCELLED = "cancelled"  # the activity was cancelled
    # Held for the organiser (the community's no-show policy, docs/records.md): no place until approved.
    PENDING_APPROVAL = "pending_approval"
    DECLINED = "declined"  # a held sign-up the organiser turned down

    ACTIVE = (CONFIRMED, WAITLISTED)


class Signup(Base):
    """A volunteer's place at an activity: confirmed, or waiting in line at `position` (1 = next)."""

    __tablename__ = "signup"
    __table_args__ = (
        UniqueConstraint("activity_id", "volunteer_id"),
        Index("ix_signup_activity_status", "activity_id", "status", "position"),
    )

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    position: Mapped[int | None] = mapped_column(default=None)
    # Why the sign-up waits for the organiser (a stable code, e.g. "no_show_limit"); kept after the decision.
    hold_code: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
