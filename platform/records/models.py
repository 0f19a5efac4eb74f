"""No-shows (爽约), the community's no-show policy, qualification types and volunteers' qualifications, late claims
(补录) with their evidence photos, corrections, training (培训情况), insurance cover (保险) and the trainings kinds
and request categories require."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class NoShow(Base):
    """A confirmed place at an activity that ended without the volunteer checking in (one per sign-up)."""

    __tablename__ = "no_show"
    __table_args__ = (Index("ix_no_show_volunteer_ended", "volunteer_id", "activity_ended_at"),)

    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id"), unique=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # The policy's window counts from the end of the activity, not from when the job noticed it.
    activity_ended_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # Excused (illness, a family emergency): kept, never deleted, but no longer counted.
    excused_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    excused_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    excuse_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class NoShowPolicy(PlainBase):
    """A community's rule: `threshold` no-shows within `window_days` → sign-ups need approval for `approval_days`."""

    __tablename__ = "no_show_policy"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    threshold: Mapped[int] = mapped_column(default=3)
    window_days: Mapped[int] = mapped_column(default=90)
    approval_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class QualificationType(Base):
    """A community's own kind of certificate, or its own name for a default one (qualifications.DEFAULT_TYPES)."""

    __tablename__ = "qualification_type"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))


class KindQualification(Base):
    """An activity kind of a community that needs a qualification: sign-up is refused without a valid one."""

    __tablename__ = "kind_qualification"
    __table_args__ = (UniqueConstraint("community_id", "kind_code", "qualification_code"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind_code: Mapped[str] = mapped_column(String(32))
    qualification_code: Mapped[str] = mapped_column(String(32))


class VolunteerQualification(Base):
    """A certificate a volunteer holds; counts only while valid and checked by an organiser."""

    __tablename__ = "volunteer_qualification"
    __table_args__ = (Index("ix_volunteer_qualification_valid", "valid_until"),)

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    qualification_code: Mapped[str] = mapped_column(String(32))
    issuer: Mapped[str] = mapped_column(String(100))
    # Only the masked number is kept (like ID numbers on display): enough to recognise the card, useless to copy.
    number_masked: Mapped[str] = mapped_column(String(40))
    valid_until: Mapped[dt.date] = mapped_column(Date)
    verified_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The valid-until the expiry reminder was sent for: a renewal (new date) gets its own reminder.
    reminded_for: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class ClaimStatus:
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ServiceClaim(Base):
    """补录: a volunteer's claim of a past service the scans missed, with evidence; an organiser decides it.

    `community_id` is where the service happened and who confirms it (谁记录谁证明): the activity's community, or
    the organisation named for a service elsewhere. Approval posts the hours once (`transaction_id`, source key
    `claim:{id}:service`); `posted_minutes` and `posted_points` are what the ledger counts for it now.
    """

    __tablename__ = "service_claim"
    __table_args__ = (
        Index("ix_service_claim_community_status", "community_id", "status"),
        # One live claim per volunteer and activity: a second one is refused (a declined one may be claimed again).
        Index("uq_service_claim_live_activity", "volunteer_id", "activity_id", unique=True,
              postgresql_where=text("status <> 'declined' AND activity_id IS NOT NULL"),
              sqlite_where=text("status <> 'declined' AND activity_id IS NOT NULL")),
    )

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # One of ours the volunteer attended without scanning; NULL for a service elsewhere (`place` says where).
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), default=None)
    place: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    # The local day the service counts under (the activity's day for one of ours).
    service_date: Mapped[dt.date] = mapped_column(Date)
    served_minutes: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.PENDING)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None)
    posted_minutes: Mapped[int] = mapped_column(default=0)
    posted_points: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class ClaimPhoto(Base):
    """One evidence photo of a claim: the file is kept by its content hash (records/evidence.py), never public."""

    __tablename__ = "service_claim_photo"
    __table_args__ = (UniqueConstraint("claim_id", "position"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("service_claim.id"))
    position: Mapped[int] = mapped_column()  # 1 to 3, in the order sent
    stored_name: Mapped[str] = mapped_column(String(80))
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column()


class CorrectionStatus:
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ServiceCorrection(Base):
    """A volunteer's request to correct a record (an attendance or a late claim): other times, another activity.

    Nothing is edited or deleted in the ledger: an accepted correction reverses what the record counted and posts
    the corrected figures anew (for a claim here: `reversal_transaction_id`, `posting_transaction_id`; for an
    attendance through the attendance's own history and the tally). The request, the decision and who made it stay.
    """

    __tablename__ = "service_correction"
    __table_args__ = (
        Index("ix_service_correction_community_status", "community_id", "status"),
        # One open request per record: a second one waits until the first is decided.
        Index("uq_service_correction_pending_attendance", "attendance_id", unique=True,
              postgresql_where=text("status = 'pending' AND attendance_id IS NOT NULL"),
              sqlite_where=text("status = 'pending' AND attendance_id IS NOT NULL")),
        Index("uq_service_correction_pending_claim", "claim_id", unique=True,
              postgresql_where=text("status = 'pending' AND claim_id IS NOT NULL"),
              sqlite_where=text("status = 'pending' AND claim_id IS NOT NULL")),
    )

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    # The community whose organisers decide: the record's.
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendance.id"), default=None)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("service_claim.id"), default=None)
    # The record as the volunteer says it should be: the right activity (None: the same) and times.
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), default=None)
    started_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=CorrectionStatus.PENDING)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # A claim's correction: the day its corrected figures count under, and the two postings.
    service_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    reversal_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None)
    posting_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None)
    # An attendance moved to another activity: the new record made for it.
    new_attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendance.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class TrainingCategory:
    """培训情况 as the regulation's record lists it: general (通用), professional (专业), pre-service (岗前)."""

    GENERAL = "general"
    PROFESSIONAL = "professional"
    PRE_SERVICE = "pre_service"

    ALL = (GENERAL, PROFESSIONAL, PRE_SERVICE)


class TrainingRecord(Base):
    """A course a volunteer took, recorded by an organiser of their community; its hours are training, not service.

    Kept apart from the ledger on purpose: training minutes never reach service time, stars or leaderboards.
    """

    __tablename__ = "training_record"
    __table_args__ = (Index("ix_training_record_volunteer_day", "volunteer_id", "trained_on"),)

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    # Who gave it (a Red Cross instructor, the street's social work station…).
    provider: Mapped[str] = mapped_column(String(100), default="")
    trained_on: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column()
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # A training activity attended (records/training_activities.py): one record per attendance, whose approval
    # made it; None for a course an organiser recorded by hand (then `recorded_by_user_id` says who).
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendance.id"), unique=True, default=None)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), default=None)
    # Points the community's training rule gave for it, as posted in the ledger (0 while the rule is off).
    posted_points: Mapped[int] = mapped_column(default=0)


class TrainingRule(PlainBase):
    """A community's rule for training: whether attending a training activity earns points (default: it does not)."""

    __tablename__ = "training_rule"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    earns_points: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class InsuranceCover(Base):
    """保险: a policy covering one volunteer (their own accident cover) or everyone at one activity (a group policy).

    Exactly one of `volunteer_id` and `activity_id` is set (records/insurance.py checks it). Valid from `valid_from`
    to `valid_until`, both inclusive, local days. Only the masked policy number is kept, like certificate numbers.
    """

    __tablename__ = "insurance_cover"
    __table_args__ = (Index("ix_insurance_cover_volunteer_until", "volunteer_id", "valid_until"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), default=None)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), index=True, default=None)
    insurer: Mapped[str] = mapped_column(String(100))
    policy_number_masked: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    recorded_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class CoverRequirement(Base):
    """An activity kind or a resident-request category of a community whose volunteers must be insured on the day.

    Exactly one of `kind_code` and `request_category_id` is set."""

    __tablename__ = "cover_requirement"
    __table_args__ = (UniqueConstraint("community_id", "kind_code"),
                      UniqueConstraint("community_id", "request_category_id"))

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind_code: Mapped[str | None] = mapped_column(String(32), default=None)
    request_category_id: Mapped[int | None] = mapped_column(ForeignKey("request_category.id"), default=None)


class TrainingRequirement(Base):
    """An activity kind or a resident-request category of a community whose volunteers must have had a training of
    `category` (通用/专业/岗前): within the last `within_months` months of the service's day, or ever (None).

    Exactly one of `kind_code` and `request_category_id` is set; one row per target and category."""

    __tablename__ = "training_requirement"
    # Named by hand: the convention's name for the second one is longer than PostgreSQL's 63 characters.
    __table_args__ = (UniqueConstraint("community_id", "kind_code", "category", name="uq_training_requirement_kind"),
                      UniqueConstraint("community_id", "request_category_id", "category",
                                       name="uq_training_requirement_request_category"))

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind_code: Mapped[str | None] = mapped_column(String(32), default=None)
    request_category_id: Mapped[int | None] = mapped_column(ForeignKey("request_category.id"), default=None)
    category: Mapped[str] = mapped_column(String(16))
    within_months: Mapped[int | None] = mapped_column(default=None)
