"""Input and output of the ledger API: accounts, transfers, limits and hours rules."""

from __future__ import annotations

import datetime as dt

import msgspec


class EntryOut(msgspec.Struct):
    transaction_id: int
    kind: str
    amount: int
    # The ledger's own note, for auditors; people are shown the fields below.
    memo: str
    created_at: dt.datetime
    reverses_id: int | None = None
    # Service entries: the activity and the minutes this entry credited (negative when it takes some back).
    activity_title: str | None = None
    service_minutes: int | None = None


class AccountOut(msgspec.Struct):
    volunteer_id: int
    account_id: int
    balance: int
    service_minutes: int
    service_hours: float
    points_earned: int
    star_level: int
    next_star_level_minutes: int | None
    recent_entries: list[EntryOut]


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    """Give points to a family member (to_volunteer_id) or donate them to a community pool.

    A gift needs a confirmed family link; its relation comes from the link. `relation` may be left out; when
    given it must match the link's (what the receiver is to you).
    """

    amount: int
    idempotency_key: str
    to_volunteer_id: int | None = None
    relation: str | None = None
    to_pool_community_id: int | None = None
    memo: str = ""


class TransferOut(msgspec.Struct):
    transaction_id: int
    kind: str
    amount: int
    balance: int
    transferred_this_month: int


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    max_transfer_per_month: int | None = None
    min_service_minutes_to_spend: int = 0
    allow_family_transfers: bool = True
    allow_pool_donations: bool = True


class PolicyOut(msgspec.Struct):
    community_id: int
    max_transfer_per_month: int | None
    min_service_minutes_to_spend: int
    allow_family_transfers: bool
    allow_pool_donations: bool


class HoursRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new version of the rule for an activity kind ("*" for every kind); no community_id: platform default."""

    kind: str
    community_id: int | None = None
    multiplier_permille: int = 1000
    rounding_minutes: int = 15
    rounding: str = "nearest"
    daily_cap_minutes: int | None = 720
    earns_points: bool = True
    paid_service_earns_points: bool = False


class HoursRuleOut(msgspec.Struct):
    id: int
    kind: str
    community_id: int | None
    version: int
    multiplier_permille: int
    rounding_minutes: int
    rounding: str
    daily_cap_minutes: int | None
    earns_points: bool
    paid_service_earns_points: bool
    created_at: dt.datetime
