"""Input and output of the requests API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


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
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class HouseholdOut(msgspec.Struct):
    id: int
    community_id: int
    grid_id: int
    building: str
    unit: str
    name: str
    phone: str | None
    volunteer_id: int | None
    latitude: float | None = None
    longitude: float | None = None


class PositionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Where the phone is (the browser's position), for the community's geofence; both or neither."""

    latitude: Latitude | None = None
    longitude: Longitude | None = None

    def pair(self) -> tuple[float, float] | None:
        return None if self.latitude is None or self.longitude is None else (self.latitude, self.longitude)


class ScanIn(PositionIn, forbid_unknown_fields=True):
    """A scan at the resident's door: the household's 门牌码 (by the volunteer), or the volunteer's card (by the
    网格员, with `household_id` when the volunteer has tasks at several homes)."""

    door_code: str | None = None
    card: str | None = None
    household_id: int | None = None


class DoorCodeOut(msgspec.Struct):
    household_id: int
    version: int
    token: str
    url: str


class RatingSummaryOut(msgspec.Struct):
    """评价情况: how many ratings, the average stars, the tags most given ([tag, times], most first)."""

    count: int
    average: float
    tags: list[tuple[str, int]]


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
    team_id: int | None = None  # open to one team of the community: any member may accept


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
    geofence_metres: int = 0  # 0: off; else 20 to 5000 m around a household with a position


class CandidateOut(msgspec.Struct):
    """A volunteer the 派单台 offers: skill tags, open tasks (accepted or in service), average stars, and how far
    they live from the request in grids (`same_grid`, `same_community`, `other`; null without a request)."""

    volunteer_id: int
    name: str
    skills: list[str]
    load: int
    rating: float | None
    ratings: int
    distance: str | None = None
    grid_id: int | None = None  # where the volunteer lives (a 网格 of the org hierarchy)


class TeamCandidateOut(msgspec.Struct):
    """A team the 派单台 offers: active members, how many live in the request's grid, their open tasks together,
    and their members' average stars."""

    team_id: int
    name: str
    members: int
    same_grid_members: int
    load: int
    rating: float | None
    ratings: int


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
    team_id: int | None = None  # dispatched to this team: only its members see it in the hall and may accept


class ScanOut(msgspec.Struct):
    step: str  # "started" or "finished"
    request: RequestOut
