"""Input and output of the stores API."""

from __future__ import annotations

import datetime as dt

import msgspec

Text100 = msgspec.Meta(min_length=1, max_length=100)


class StoreIn(msgspec.Struct, forbid_unknown_fields=True):
    community_id: int
    name: str
    kind: str = "charity_supermarket"
    address: str | None = None
    contact_phone: str | None = None
    opening_hours: str | None = None
    description: str | None = None
    refund_days: int = 7
    min_service_minutes: int = 0


class StorePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    kind: str | msgspec.UnsetType = msgspec.UNSET
    address: str | None | msgspec.UnsetType = msgspec.UNSET
    contact_phone: str | None | msgspec.UnsetType = msgspec.UNSET
    opening_hours: str | None | msgspec.UnsetType = msgspec.UNSET
    description: str | None | msgspec.UnsetType = msgspec.UNSET
    refund_days: int | msgspec.UnsetType = msgspec.UNSET
    min_service_minutes: int | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class StoreOut(msgspec.Struct):
    id: int
    community_id: int
    name: str
    kind: str
    address: str | None
    contact_phone: str | None
    opening_hours: str | None
    description: str | None
    refund_days: int
    min_service_minutes: int
    is_active: bool


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    price_points: int
    kind: str = "goods"
    unit: str = "件"
    description: str | None = None
    stock: int | None = None
    monthly_limit: int | None = None
    min_service_minutes: int = 0
    sort_order: int = 0


class ItemPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    price_points: int | msgspec.UnsetType = msgspec.UNSET
    kind: str | msgspec.UnsetType = msgspec.UNSET
    unit: str | msgspec.UnsetType = msgspec.UNSET
    description: str | None | msgspec.UnsetType = msgspec.UNSET
    # Absolute stock after a stocktake (null: unlimited) ...
    stock: int | None | msgspec.UnsetType = msgspec.UNSET
    # ... or units added to (negative: removed from) the current stock, applied atomically.
    restock: int | msgspec.UnsetType = msgspec.UNSET
    monthly_limit: int | None | msgspec.UnsetType = msgspec.UNSET
    min_service_minutes: int | msgspec.UnsetType = msgspec.UNSET
    sort_order: int | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class ItemOut(msgspec.Struct):
    id: int
    store_id: int
    name: str
    kind: str
    unit: str
    description: str | None
    price_points: int
    stock: int | None
    monthly_limit: int | None
    min_service_minutes: int
    sort_order: int
    is_active: bool


class ClerkAdd(msgspec.Struct, forbid_unknown_fields=True):
    """Either `user_id` of an existing login, or the details of a new clerk login."""

    user_id: int | None = None
    display_name: str | None = None
    username: str | None = None
    phone: str | None = None
    password: str | None = None


class ClerkOut(msgspec.Struct):
    user_id: int
    grant_id: int
    display_name: str
    username: str | None
    phone: str | None


class CodeOut(msgspec.Struct):
    code: str
    expires_at: dt.datetime
    qr_png_url: str
    qr_svg_url: str


class ShortCodeOut(msgspec.Struct):
    """A short redemption code: `code` is what the QR carries and the clerk types, `display` how it is read."""

    code: str
    display: str
    expires_at: dt.datetime
    qr_png_url: str
    qr_svg_url: str


class ScanIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class ItemEligibility(msgspec.Struct):
    item_id: int
    name: str
    price_points: int
    stock: int | None
    remaining_this_month: int | None
    eligible: bool
    reason: str | None


class ScanOut(msgspec.Struct):
    volunteer_id: int
    volunteer_name: str  # masked: 王*英
    volunteer_number: str
    method: str
    code_expires_at: dt.datetime | None
    balance: int
    service_minutes: int
    eligible: bool
    reason: str | None
    items: list[ItemEligibility]
    # A printed card: the volunteer confirms the spend, with their card PIN (RedeemIn.pin) or a code texted to
    # their phone (RedeemIn.sms_code, asked for with POST /api/stores/{id}/card-codes).
    pin_required: bool = False
    # How this card's spend can be confirmed: "pin" (set and not locked), "sms_code" (a mobile number on the
    # record). Empty for a phone's code, which is the volunteer's consent already.
    confirm_with: list[str] = msgspec.field(default_factory=list)


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    item_id: int
    quantity: int = 1


class RedeemIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    lines: list[LineIn]
    # Required with a printed card (its `v.` token): the volunteer's 6-digit card PIN, or instead the code texted to
    # their phone (POST /api/stores/{id}/card-codes).
    pin: str | None = None
    sms_code: str | None = None


class CardCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str  # the printed card's `v.` token


class CardCodeOut(msgspec.Struct):
    sent: bool
    phone: str  # masked, e.g. 139****0001: the clerk tells the volunteer where to look
    expires_in_seconds: int


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None


class LineOut(msgspec.Struct):
    item_id: int
    item_name: str
    unit: str
    unit_points: int
    quantity: int
    points: int


class RedemptionOut(msgspec.Struct):
    id: int
    receipt_no: str
    store_id: int
    store_name: str
    volunteer_id: int
    volunteer_name: str
    total_points: int
    method: str
    status: str
    created_at: dt.datetime
    refundable_until: dt.datetime
    refunded_at: dt.datetime | None
    refund_reason: str | None
    lines: list[LineOut]


class SettlementItem(msgspec.Struct):
    item_id: int
    item_name: str
    unit: str
    quantity: int
    points: int
    refunded_quantity: int
    refunded_points: int
    net_quantity: int
    net_points: int


class SettlementOut(msgspec.Struct):
    store_id: int
    store_name: str
    community_id: int
    month: str
    redemptions: int
    volunteers: int
    points_received: int
    refunds: int
    points_refunded: int
    net_points: int
    items: list[SettlementItem]
