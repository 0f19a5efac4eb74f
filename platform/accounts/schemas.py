"""Login request and response shapes."""

from __future__ import annotations

import msgspec


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    login: str = msgspec.field()  # username or phone
    password: str = msgspec.field()


class GrantOut(msgspec.Struct):
    role: str
    street_id: int | None = None
    community_id: int | None = None
    team_id: int | None = None
    store_id: int | None = None


class MeOut(msgspec.Struct):
    user_id: int
    display_name: str
    volunteer_id: int | None
    volunteer_community_id: int | None
    roles: list[str]
    grants: list[GrantOut]


class LoginOut(msgspec.Struct):
    token: str
    token_type: str
    me: MeOut
