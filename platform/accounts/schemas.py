"""Login request and response shapes."""

from __future__ import annotations

import msgspec


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    login: str = msgspec.field()  # username or phone
    password: str = msgspec.field()


class CodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    purpose: str = "login"  # login | register


class CodeSentOut(msgspec.Struct):
    sent: bool
    expires_in_seconds: int


class CodeLoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    code: str


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
    # pending / active / suspended / left; None for a staff-only login. What each may do: docs/security.md.
    volunteer_status: str | None = None


class LoginOut(msgspec.Struct):
    token: str
    token_type: str
    me: MeOut


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: str
    new_password: str


class StaffCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A staff login with its first role (street admin, organiser, store clerk, platform admin)."""

    display_name: str
    password: str
    role: str
    username: str | None = None
    phone: str | None = None
    street_id: int | None = None
    community_id: int | None = None
    store_id: int | None = None


class GrantCreate(msgspec.Struct, forbid_unknown_fields=True):
    role: str
    street_id: int | None = None
    community_id: int | None = None
    team_id: int | None = None
    store_id: int | None = None


class GrantRow(msgspec.Struct):
    id: int
    role: str
    street_id: int | None
    community_id: int | None
    team_id: int | None
    store_id: int | None


class UserOut(msgspec.Struct):
    id: int
    username: str | None
    phone: str | None
    display_name: str
    volunteer_id: int | None
    is_active: bool
    grants: list[GrantRow]


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    """A new first password for a staff login, set from above and told to the person."""

    new_password: str


class DisableIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None
