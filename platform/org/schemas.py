"""Request and response shapes for districts, streets, communities and grids."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class DistrictIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class DistrictOut(msgspec.Struct):
    id: int
    name: str


class StreetIn(msgspec.Struct, forbid_unknown_fields=True):
    district_id: int
    name: str


class StreetOut(msgspec.Struct):
    id: int
    district_id: int
    name: str


class CommunityIn(msgspec.Struct, forbid_unknown_fields=True):
    district_id: int
    name: str
    code: str  # 2-16 letters/digits, used in volunteer and certificate numbers
    street_id: int | None = None
    contact_phone: str | None = None


class CommunityPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    contact_phone: str | None | UnsetType = UNSET


class CommunityOut(msgspec.Struct):
    id: int
    district_id: int
    street_id: int | None
    name: str
    code: str
    contact_phone: str | None


class PublicCommunityOut(msgspec.Struct):
    """What anyone may see, to pick their community when signing up."""

    id: int
    name: str
    district: str
    street: str | None


class GridIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class GridOut(msgspec.Struct):
    id: int
    community_id: int
    name: str
