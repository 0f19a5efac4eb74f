"""Signed tokens: rotating activity QR codes and personal volunteer cards (the images: servicebank.kernel.qr).

A kiosk token is `<purpose>.<activity id>.<window>.<signature>`: the window is the number of
`qr_rotation_seconds` periods since the epoch and the signature is an HMAC over purpose, activity
and window. Only the current and the previous window are accepted, so a photo of the code sent to
someone at home stops working within one rotation. A card token `v.<volunteer id>.<card version>.
<signature>` never expires; bumping Volunteer.card_version revokes every printed card at once.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from servicebank.kernel.errors import DomainError
from servicebank.keyring import signed_by_any

CHECK_IN = "check-in"
CHECK_OUT = "check-out"
PURPOSES = (CHECK_IN, CHECK_OUT)
_PURPOSE_CODES = {CHECK_IN: "i", CHECK_OUT: "o"}
_CODE_PURPOSES = {v: k for k, v in _PURPOSE_CODES.items()}
_CARD_PREFIX = "v"
_MAX_TOKEN_LENGTH = 128


class TokenError(DomainError):
    """A scanned code that cannot be used."""

    status_code = 400
    code = "qr_token_invalid"


@lru_cache(maxsize=8)
def _key(secret_key: str, purpose: str) -> bytes:
    # A separate key per use, so a card signature can never pass as a kiosk signature or vice versa.
    return hmac.new(secret_key.encode(), f"servicebank/checkins/{purpose}".encode(), hashlib.sha256).digest()


def _sign(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signature(secret_key: str, purpose: str, body: str) -> str:
    """A short HMAC of `body` under the key of `purpose` (another domain's printed code signs with its own purpose)."""
    return _sign(_key(secret_key, purpose), body)


def current_window(now: dt.datetime, rotation_seconds: int) -> int:
    """The rotation window `now` falls in."""
    return int(now.timestamp()) // rotation_seconds


@dataclasses.dataclass(frozen=True)
class KioskToken:
    token: str
    purpose: str
    activity_id: int
    window: int
    refresh_at: dt.datetime  # when the kiosk shows the next code
    expires_at: dt.datetime  # when this code stops being accepted


def issue_kiosk_token(*, secret_key: str, rotation_seconds: int, activity_id: int, purpose: str,
                      now: dt.datetime) -> KioskToken:
    """The code the kiosk shows right now for this activity and purpose."""
    window = current_window(now, rotation_seconds)
    code = _PURPOSE_CODES[purpose]
    body = f"{code}.{activity_id}.{window}"
    token = f"{body}.{_sign(_key(secret_key, 'kiosk'), body)}"
    return KioskToken(
        token=token, purpose=purpose, activity_id=activity_id, window=window,
        refresh_at=dt.datetime.fromtimestamp((window + 1) * rotation_seconds, dt.UTC),
        expires_at=dt.datetime.fromtimestamp((window + 2) * rotation_seconds, dt.UTC),
    )


def verify_kiosk_token(token: str, *, secret_key: str | Sequence[str], rotation_seconds: int, purpose: str,
                       now: dt.datetime) -> int:
    """The activity id of a genuine, fresh kiosk token for `purpose` signed with one of the accepted keys
    (`Settings.signing_keys`); raises TokenError otherwise."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise _invalid()
    parts = token.split(".")
    if len(parts) != 4 or parts[0] not in _CODE_PURPOSES or not parts[1].isdigit() or not parts[2].isdigit():
        raise _invalid()
    body = token.rpartition(".")[0]
    if not signed_by_any(parts[3], secret_key, lambda key: _sign(_key(key, "kiosk"), body)):
        raise _invalid()
    token_purpose = _CODE_PURPOSES[parts[0]]
    if token_purpose != purpose:
        other = "check-out" if purpose == CHECK_IN else "check-in"
        raise TokenError(f"This is the {other} code. Please scan the {purpose} code shown at the venue.",
                         code="qr_token_wrong_purpose")
    window = int(parts[2])
    current = current_window(now, rotation_seconds)
    if window < current - 1:
        raise TokenError("This code has expired. Please scan the code currently shown at the venue.",
                         code="qr_token_expired")
    if window > current:
        raise _invalid()
    return int(parts[1])


def _invalid() -> TokenError:
    return TokenError("This is not a valid Service Bank check-in code. Please scan the code shown at the venue.",
                      code="qr_token_invalid")


def kiosk_token_target(token: str) -> tuple[str, int] | None:
    """(purpose, activity id) a kiosk token names, unverified: only to match it with a remembered scan."""
    parts = token.split(".") if token and len(token) <= _MAX_TOKEN_LENGTH else []
    if len(parts) != 4 or parts[0] not in _CODE_PURPOSES or not parts[1].isdigit():
        return None
    return _CODE_PURPOSES[parts[0]], int(parts[1])


def _scan_pass_signature(key: str, body: str, browser: str) -> str:
    # The browser secret (the page's CSRF cookie) is signed but never stored in the pass itself.
    return _sign(_key(key, "scan-pass"), f"{body}|{hashlib.sha256(browser.encode()).hexdigest()}")


def issue_scan_pass(*, secret_key: str, purpose: str, activity_id: int, scanned_at: dt.datetime, browser: str) -> str:
    """A pass saying this browser scanned a valid code of the activity at `scanned_at`.

    The scan page keeps it in a cookie so that the check-in after a slow login is accepted although the
    kiosk code has rotated meanwhile; `browser` is a secret only that browser holds."""
    body = f"{_PURPOSE_CODES[purpose]}.{activity_id}.{int(scanned_at.timestamp())}"
    return f"{body}.{_scan_pass_signature(secret_key, body, browser)}"


def verify_scan_pass(value: str, *, secret_key: str | Sequence[str], purpose: str, activity_id: int, browser: str,
                     now: dt.datetime, max_age: dt.timedelta) -> dt.datetime | None:
    """When the scan happened, for a genuine pass of this browser, activity and purpose no older than `max_age`;
    None for anything else (the kiosk code must then be fresh on its own)."""
    parts = value.split(".") if value and len(value) <= _MAX_TOKEN_LENGTH and browser else []
    if len(parts) != 4 or parts[0] != _PURPOSE_CODES.get(purpose) or parts[1] != str(activity_id) \
            or not parts[2].isdigit():
        return None
    body = value.rpartition(".")[0]
    if not signed_by_any(parts[3], secret_key, lambda key: _scan_pass_signature(key, body, browser)):
        return None
    scanned_at = dt.datetime.fromtimestamp(int(parts[2]), dt.UTC)
    if not now - max_age <= scanned_at <= now:
        return None
    return scanned_at


def issue_card_token(*, secret_key: str, volunteer_id: int, card_version: int) -> str:
    """The token printed on a volunteer's personal QR card."""
    body = f"{_CARD_PREFIX}.{volunteer_id}.{card_version}"
    return f"{body}.{_sign(_key(secret_key, 'card'), body)}"


def verify_card_token(token: str, *, secret_key: str | Sequence[str]) -> tuple[int, int]:
    """(volunteer id, card version) of a card token signed with an accepted key; raises TokenError otherwise."""
    parts = token.split(".") if token and len(token) <= _MAX_TOKEN_LENGTH else []
    if len(parts) != 4 or parts[0] != _CARD_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise TokenError("This is not a Service Bank volunteer card.", code="card_invalid")
    body = token.rpartition(".")[0]
    if not signed_by_any(parts[3], secret_key, lambda key: _sign(_key(key, "card"), body)):
        raise TokenError("This is not a Service Bank volunteer card.", code="card_invalid")
    return int(parts[1]), int(parts[2])


def scan_url(public_url: str, token: str) -> str:
    """The address a phone opens when it scans a kiosk code."""
    return f"{public_url.rstrip('/')}/c/{token}"

