"""The service bank's tables: a double-entry points ledger, service-minute credits, kept totals and rules."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase
from servicebank.kernel.partitions import month_partitioned


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AccountKind:
    VOLUNTEER = "volunteer"  # a volunteer's time-bank account
    COMMUNITY = "community"  # a community's issuing account: credits for service come from here
    STORE = "store"  # an 爱心超市 or merchant that takes points
    POOL = "pool"  # a community's donation pool (公益池)

    ALL = (VOLUNTEER, COMMUNITY, STORE, POOL)


class Account(Base):
    """One account of the ledger; `balance` is kept equal to the sum of its entries (O(1) reads)."""

    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("kind", "owner_id"),)

    kind: Mapped[str] = mapped_column(String(16))
    # volunteer id, community id or store id, by kind
    owner_id: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class Transaction(Base):
    """A balanced set of entries; `source_key` names what caused it, so a re-delivery posts nothing.

    Not partitioned: it is the ledger's exactly-once register. PostgreSQL keeps a unique index of a
    partitioned table per partition only, so `source_key` stays unique here across every month, and
    every table that names a transaction keeps its foreign key to `id`. Its lines (entries, service
    credits) are the partitioned tables, by this row's `created_at` month (kernel/partitions.py).
    """

    __tablename__ = "ledger_transaction"

    source_key: Mapped[str] = mapped_column(String(160), unique=True)
    # service, service_adjustment, service_reversal, transfer, donation, redemption, refund, reversal, ...
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(String(500), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None, index=True)
    # Indexed: monthly honour lists select the transactions posted in a month.
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now, index=True)


class Entry(Base):
    """One immutable line of a transaction: a signed whole number of points on one account.

    `created_at` is the transaction's, so the line lives in its transaction's month partition.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_account", "account_id", "id"), month_partitioned("created_at"))

    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class ServiceCredit(Base):
    """Service minutes (and the points they earned) a transaction adds to or takes from one volunteer.

    Partitioned by the transaction's month (`created_at`), not by `service_date`: a late claim or a
    correction for March posted in December is a December line, so a closed month never changes and its
    stored checksum stays true (ledger/months.py).
    """

    __tablename__ = "ledger_service_credit"
    __table_args__ = (Index("ix_ledger_service_credit_volunteer", "volunteer_id", "service_date"),
                      month_partitioned("created_at"))

    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(BigInteger)
    service_date: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    attendance_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    # A late claim's postings (records/claim_posting.py) name the claim, as an attendance's name the attendance.
    claim_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    # Which hours rule (and version) turned the attendance into these figures.
    rule_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rule_version: Mapped[int | None] = mapped_column(default=None)
    rule_source: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class MonthChecksum(PlainBase):
    """What a closed month's ledger lines added up to when it was closed: later verifies compare against it.

    A month is closed once it is over (UTC, with a day's grace): no posting writes into it any more.
    """

    __tablename__ = "ledger_month_checksum"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    transactions: Mapped[int] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(BigInteger)
    # Sum of the entries' absolute amounts: the plain sum of a balanced month is always zero.
    entry_points: Mapped[int] = mapped_column(BigInteger)
    credits: Mapped[int] = mapped_column(BigInteger)
    credit_minutes: Mapped[int] = mapped_column(BigInteger)
    credit_points: Mapped[int] = mapped_column(BigInteger)
    # sha256 of every line of the month in id order: what the sums cannot see (an amount moved between accounts).
    digest: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class DetachedYear(PlainBase):
    """A year whose month partitions were detached (PostgreSQL): its lines sit in `*_detached` tables for the
    operator to archive, and what they added up to is kept in `YearCarry` (ledger/detach.py)."""

    __tablename__ = "ledger_detached_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entries: Mapped[int] = mapped_column(BigInteger)
    credits: Mapped[int] = mapped_column(BigInteger)
    detached_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class YearCarry(PlainBase):
    """What a detached year's lines contributed to a whole-history figure, which verify and the totals rebuild add
    to the lines still attached. `kind` says which figure and what `subject_id` is (ledger/carry.py)."""

    __tablename__ = "ledger_year_carry"
    # One record's carry (a correction of a claim posted in a detached year) without reading every year's rows.
    __table_args__ = (Index("ix_ledger_year_carry_subject", "kind", "subject_id"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The service month of a volunteer's minutes and points ("2026-11"); "" for the other kinds.
    period: Mapped[str] = mapped_column(String(7), primary_key=True, default="")
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class VolunteerStanding(PlainBase):
    """A volunteer's kept totals: service minutes, points earned by service, star level."""

    __tablename__ = "ledger_volunteer_standing"

    volunteer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    star_level: Mapped[int] = mapped_column(default=0)
    # The highest level ever announced: a correction that drops below a threshold never re-announces it.
    highest_star_level: Mapped[int] = mapped_column(default=0)


class PeriodTotal(PlainBase):
    """Per (volunteer, period) totals the leaderboards rank; period is "2026-11", "2026" or "all"."""

    __tablename__ = "ledger_period_total"
    __table_args__ = (Index("ix_ledger_period_total_rank", "period", "minutes", "volunteer_id"),)

    volunteer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bumped on every change; Redis keeps the version it last wrote so a late push never wins.
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CommunityPeriodTotal(PlainBase):
    """Per (community, period) sums of the period totals of the community's volunteers.

    The organiser's dashboard reads these instead of adding up thousands of volunteers' totals on every
    request. Moved by the same postings, in the same transaction, as the period totals
    (ledger/community_totals.py); `volunteers` counts the community's volunteers whose minutes in the
    period are above zero. `ledger verify` re-derives them from the ledger lines.
    """

    __tablename__ = "ledger_community_period_total"

    community_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    volunteers: Mapped[int] = mapped_column(BigInteger, default=0)


class AttendancePosting(PlainBase):
    """What the ledger has posted so far for one attendance: later events post only the difference."""

    __tablename__ = "ledger_attendance_posting"
    # The 台账 reads a scope's postings of a period as one range (index only: minutes included).
    # The tally reads a volunteer's postings of the days it posts for (the daily cap): by day, not the
    # volunteer's whole history, which grows with every attendance.
    __table_args__ = (Index("ix_ledger_attendance_posting_scope", "community_id", "service_date", "attendance_id",
                            "minutes"),
                      Index("ix_ledger_attendance_posting_volunteer_day", "volunteer_id", "service_date"))

    attendance_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(BigInteger)
    community_id: Mapped[int] = mapped_column(BigInteger)
    service_date: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    first_transaction_id: Mapped[int] = mapped_column(BigInteger)
    last_transaction_id: Mapped[int] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(default=0)


class Rounding:
    NEAREST = "nearest"
    DOWN = "down"
    UP = "up"

    ALL = (NEAREST, DOWN, UP)


class HoursRule(Base):
    """How an activity kind turns served time into service minutes and points; never edited, only versioned.

    community_id NULL is the platform-wide default for the kind; a community's own rule wins over it, and
    an activity's `hours_rule_override` wins over both.
    """

    __tablename__ = "ledger_hours_rule"
    __table_args__ = (UniqueConstraint("community_id", "kind", "version"),)

    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), default=None, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # ActivityKind.code, or "*" for every kind
    version: Mapped[int] = mapped_column(default=1)
    multiplier_permille: Mapped[int] = mapped_column(default=1000)
    rounding_minutes: Mapped[int] = mapped_column(default=15)
    rounding: Mapped[str] = mapped_column(String(8), default=Rounding.NEAREST)
    daily_cap_minutes: Mapped[int | None] = mapped_column(default=None)
    earns_points: Mapped[bool] = mapped_column(default=True)
    # Paid or obligatory service (公益性岗位) earns points only when a rule says so explicitly.
    paid_service_earns_points: Mapped[bool] = mapped_column(default=False)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class CommunityLedgerPolicy(PlainBase):
    """A community's limits on spending and giving points (time-bank rules such as Nanjing's 20 h)."""

    __tablename__ = "ledger_community_policy"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    # Points a volunteer may transfer or donate per local calendar month; None: no limit.
    max_transfer_per_month: Mapped[int | None] = mapped_column(default=None)
    # Service minutes a volunteer must have served before spending or transferring points.
    min_service_minutes_to_spend: Mapped[int] = mapped_column(default=0)
    allow_family_transfers: Mapped[bool] = mapped_column(default=True)
    allow_pool_donations: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class TransferRecord(Base):
    """A volunteer's gift to a family member or donation to a pool, for monthly limits and history."""

    __tablename__ = "ledger_transfer"
    __table_args__ = (Index("ix_ledger_transfer_sender_month", "from_volunteer_id", "month"),)

    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), unique=True)
    from_volunteer_id: Mapped[int] = mapped_column(BigInteger)
    to_volunteer_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    to_pool_community_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    amount: Mapped[int] = mapped_column(BigInteger)
    relation: Mapped[str | None] = mapped_column(String(32), default=None)
    month: Mapped[str] = mapped_column(String(7))  # local "2026-11"
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
