"""Redemption codes a volunteer's phone shows at the till: short-lived, signed, spent once.

The phone now shows a short code (short_codes.py: 6 digits, stored server-side); the long signed
code below is still accepted from API clients that ask for it.

A code is `r.<volunteer id>.<expires, unix seconds>.<nonce>.<signature>`, the signature an HMAC
(key derived from settings.secret_key for this purpose only) over everything before it. The clerk's
scan only reads it; the redemption spends it by storing its nonce, so a photo or a replay of a
code that was already used is refused even before it expires. A printed personal card (the check-in
domain's `v.` token) is accepted too, for volunteers without a smartphone.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins import tokens as card_tokens
from servicebank.config import Settings
from servicebank.kernel.dialect import upsert
from servicebank.kernel.errors import DomainError
from servicebank.keyring import signed_by_any
from servicebank.stores import short_codes
from servicebank.stores.models import UsedRedemptionCode
from servicebank.volunteers.models import Volunteer

CODE_PREFIX = "r"
CODE_LIFETIME = dt.timedelta(minutes=2)
_MAX_LENGTH = 160


class CodeError(DomainError):
    """A scanned redemption code or card that cannot be used."""

    status_code = 400
    code = "redemption_code_invalid"


@dataclasses.dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ScannedCode:
    """Who a code or card names; `nonce` is None for a card (it is reusable by design)."""

    volunteer_id: int
    method: str  # "code" or "card"
    nonce: str | None = None
    expires_at: dt.datetime | None = None
    short_code_id: int | None = None  # a short code's row (short_codes.py), spent by a guarded UPDATE


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"servicebank/stores/redemption-code", hashlib.sha256).digest()


def _sign(secret_key: str, body: str) -> str:
    digest = hmac.new(_key(secret_key), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_code(*, secret_key: str, volunteer_id: int, now: dt.datetime,
               lifetime: dt.timedelta = CODE_LIFETIME) -> IssuedCode:
    """A fresh code for the volunteer's phone."""
    expires = int((now + lifetime).timestamp())
    nonce = secrets.token_urlsafe(12)
    body = f"{CODE_PREFIX}.{volunteer_id}.{expires}.{nonce}"
    return IssuedCode(code=f"{body}.{_sign(secret_key, body)}", expires_at=dt.datetime.fromtimestamp(expires, dt.UTC))


def _invalid() -> CodeError:
    return CodeError("This is not a valid Service Bank redemption code. Ask the volunteer to open a fresh code "
                     "on the phone, or scan the personal card.", code="redemption_code_invalid")


def verify_code(code: str, *, secret_key: str | Sequence[str], now: dt.datetime) -> ScannedCode:
    """The volunteer a genuine (signed with an accepted key), unexpired phone code names (spent or not)."""
    parts = code.split(".") if code and len(code) <= _MAX_LENGTH else []
    if len(parts) != 5 or parts[0] != CODE_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise _invalid()
    body = code.rpartition(".")[0]
    if not signed_by_any(parts[4], secret_key, lambda key: _sign(key, body)):
        raise _invalid()
    expires_at = dt.datetime.fromtimestamp(int(parts[2]), dt.UTC)
    if expires_at <= now:
        raise CodeError("This redemption code has expired. Ask the volunteer to refresh the code on the phone.",
                        code="redemption_code_expired")
    return ScannedCode(volunteer_id=int(parts[1]), method="code", nonce=parts[3], expires_at=expires_at)


@dataclasses.dataclass(frozen=True)
class Till:
    """Where a code is entered: short codes are looked up in the store's community, guesses counted per clerk
    and address."""

    settings: Settings
    community_id: int
    clerk_user_id: int | None
    client_address: str | None


async def resolve(session: AsyncSession, code: str, *, secret_key: str | Sequence[str],
                  now: dt.datetime, till: Till | None = None) -> ScannedCode:
    """A short or long phone code or a personal card, checked; a card must be the volunteer's current one."""
    code = (code or "").strip()
    digits = short_codes.as_short_code(code)
    if digits is not None and till is not None:
        code_id, volunteer_id, expires_at = await short_codes.resolve(
            session, digits, settings=till.settings, community_id=till.community_id,
            clerk_user_id=till.clerk_user_id, client_address=till.client_address, now=now)
        return ScannedCode(volunteer_id=volunteer_id, method="code", expires_at=expires_at, short_code_id=code_id)
    if code.startswith(f"{CODE_PREFIX}."):
        return verify_code(code, secret_key=secret_key, now=now)
    if code.startswith("v."):
        try:
            volunteer_id, version = card_tokens.verify_card_token(code, secret_key=secret_key)
        except card_tokens.TokenError as exc:
            raise CodeError("This is not a valid Service Bank volunteer card.", code="card_invalid") from exc
        volunteer = await session.get(Volunteer, volunteer_id)
        if volunteer is None or volunteer.card_version != version:
            raise CodeError("This card has been replaced by a newer one; please use the current card or the "
                            "phone code.", code="card_revoked")
        return ScannedCode(volunteer_id=volunteer_id, method="card")
    raise _invalid()


async def refuse_if_spent(session: AsyncSession, scanned: ScannedCode) -> None:
    """At the scan: a phone code already spent is refused there, not only when the cart is confirmed."""
    if scanned.nonce is not None and await session.get(UsedRedemptionCode, scanned.nonce) is not None:
        raise _used()


def _used() -> CodeError:
    return CodeError("This redemption code has already been used. Ask the volunteer to refresh the code.",
                     code="redemption_code_used", status_code=409)


async def spend_code(session: AsyncSession, scanned: ScannedCode, *, now: dt.datetime) -> None:
    """Mark a phone code used; a second use (even concurrently) is refused with `redemption_code_used`."""
    if scanned.short_code_id is not None:
        await short_codes.spend(session, scanned.short_code_id, now=now)
        return
    if scanned.nonce is None:
        return
    # ON CONFLICT DO NOTHING: a concurrent use of the same code waits for the first one and then inserts
    # nothing, so exactly one redemption can spend it; no savepoint is needed.
    stmt = upsert(session, UsedRedemptionCode).values(
        nonce=scanned.nonce, volunteer_id=scanned.volunteer_id, used_at=now, expires_at=scanned.expires_at or now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["nonce"]).returning(UsedRedemptionCode.nonce)
    if (await session.execute(stmt)).first() is None:
        raise _used()
