"""Input and output of the requests API."""

from __future__ import annotations

import datetime as dt

import msgspec


class WindowIn(msgspec.Struct, forbid_unknown_fields=True):
    start: dt.datetime
    end: dt.datetime


class HouseholdIn(msgspec.Struct, forbid_unknown_fields=True):
    community_id: int
    grid_id: int
    building: str
    name: str
    unit: str = ""
    phone: str | None = None
    volunteer_id: int | None = None


class HouseholdOut(msgspec.Struct):
    id: int
    community_id: int
    grid_id: int
    building: str
    unit: str
    name: str
    phone: str | None
    volunteer_id: int | None


class CategoryOut(msgspec.Struct):
    id: int
    name: str


class RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    household_id: int
    category_id: int
    description: str
    windows: list[WindowIn]
    urgency: int = 0
    payer: str = "none"
    payer_volunteer_id: int | None = None
    estimated_minutes: int = 60


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    reason: str | None = None


class DispatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """Assign to a volunteer (`volunteer_id`) or open to the 接单大厅 (`open_to_hall`: true)."""

    volunteer_id: int | None = None
    open_to_hall: bool = False


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    stars: int
    tags: list[str] = msgspec.field(default_factory=list)
    comment: str = ""


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    escalate_after_minutes: int = 120
    pool_monthly_limit: int = 240
    contact_days_after: int = 3


class RatingOut(msgspec.Struct):
    stars: int
    tags: list[str]
    comment: str
    on_behalf: bool
    review_open: bool


class RequestOut(msgspec.Struct):
    id: int
    community_id: int
    grid_id: int
    grid_name: str
    household_id: int
    category: str
    description: str
    urgency: int
    windows: list[list[str]]
    status: str
    payer: str
    estimated_minutes: int
    created_at: dt.datetime
    on_behalf: bool
    # The resident's name is masked (王*英) unless the caller may see the contact; building always shown.
    resident: str
    building: str
    # Only for staff, the resident, and the assigned volunteer from acceptance until a few days after.
    address: str | None = None
    phone: str | None = None
    volunteer_id: int | None = None
    decline_reason: str | None = None
    cancel_reason: str | None = None
    accepted_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    posted_minutes: int = 0
    posted_points: int = 0
    paid_by_payer: int = 0
    rating: RatingOut | None = None
