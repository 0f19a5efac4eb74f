"""Stores that take points (爱心超市, partner shops, service providers), their catalogues and receipts."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StoreKind:
    CHARITY_SUPERMARKET = "charity_supermarket"  # the community's own 爱心超市
    PARTNER_SHOP = "partner_shop"  # a merchant that accepts points (合作商户)
    SERVICE_PROVIDER = "service_provider"  # barber, repairs, clinic ...

    ALL = (CHARITY_SUPERMARKET, PARTNER_SHOP, SERVICE_PROVIDER)


class ItemKind:
    GOODS = "goods"
    SERVICE = "service"

    ALL = (GOODS, SERVICE)


class RedemptionStatus:
    COMPLETED = "completed"
    REFUNDED = "refunded"


class Store(Base):
    """A place in a community where volunteers spend points."""

    __tablename__ = "store"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24), default=StoreKind.CHARITY_SUPERMARKET)
    address: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    opening_hours: Mapped[str | None] = mapped_column(String(100), default=None)
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    # A whole receipt may be refunded within this many days of the redemption.
    refund_days: Mapped[int] = mapped_column(default=7)
    # Service minutes a volunteer must have served to redeem anything here (items may ask for more).
    min_service_minutes: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class StoreItem(Base):
    """One line of a store's catalogue: goods or a service at a price in points."""

    __tablename__ = "store_item"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default=ItemKind.GOODS)
    unit: Mapped[str] = mapped_column(String(16), default="件")
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    price_points: Mapped[int] = mapped_column()
    # None: unlimited (services, donated goods counted elsewhere); never below zero otherwise.
    stock: Mapped[int | None] = mapped_column(default=None)
    # Most units one volunteer may redeem per local calendar month; None: no limit.
    monthly_limit: Mapped[int | None] = mapped_column(default=None)
    # Service minutes needed for this item, on top of the store's own threshold.
    min_service_minutes: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class Redemption(Base):
    """A receipt: points a volunteer paid a store for goods or services, in one ledger transaction."""

    __tablename__ = "redemption"
    __table_args__ = (
        Index("ix_redemption_store_created", "store_id", "created_at"),
        Index("ix_redemption_store_refunded", "store_id", "refunded_at"),
        Index("ix_redemption_volunteer_created", "volunteer_id", "created_at"),
    )

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    # Set right after the row gets its id: "<store>-<local yyyymmdd>-<id>".
    receipt_no: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    total_points: Mapped[int] = mapped_column(BigInteger)
    # Local "2026-11": the month monthly limits count this receipt in.
    month: Mapped[str] = mapped_column(String(7))
    method: Mapped[str] = mapped_column(String(8))  # "code" (phone) or "card" (printed QR card)
    status: Mapped[str] = mapped_column(String(16), default=RedemptionStatus.COMPLETED)
    clerk_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    refunded_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    refunded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    refund_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    refund_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None)


class RedemptionLine(Base):
    """One item on a receipt, with the name and price as they were at the till."""

    __tablename__ = "redemption_line"

    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("store_item.id"), index=True)
    item_name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(16))
    unit_points: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    points: Mapped[int] = mapped_column(BigInteger)


class MonthlyItemUsage(PlainBase):
    """Units of an item a volunteer redeemed in a local month; moved by one guarded upsert (limits)."""

    __tablename__ = "store_monthly_usage"

    item_id: Mapped[int] = mapped_column(ForeignKey("store_item.id"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    quantity: Mapped[int] = mapped_column(default=0)


class UsedRedemptionCode(PlainBase):
    """The nonce of a phone redemption code that was spent: a replay of the same code is refused."""

    __tablename__ = "store_used_code"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # When the code stopped being valid anyway; rows older than this can be pruned.
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


class RedemptionCode(Base):
    """A short code (6 digits) issued to a volunteer's phone: only its keyed hash is kept, spent once.

    Live codes (neither used nor cancelled) are unique; an expired one is cancelled when its digits are drawn
    again, and a new code cancels the volunteer's previous unused one."""

    __tablename__ = "store_redemption_code"
    __table_args__ = (
        Index("uq_store_redemption_code_live_hash", "code_hash", unique=True,
              postgresql_where=text("used_at IS NULL AND cancelled_at IS NULL"),
              sqlite_where=text("used_at IS NULL AND cancelled_at IS NULL")),
        Index("ix_store_redemption_code_volunteer", "volunteer_id"),
        Index("ix_store_redemption_code_expires", "expires_at"),
    )

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    # HMAC-SHA256 of the digits with a key derived from the signing key: a database copy does not give them away.
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
