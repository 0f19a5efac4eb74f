"""A kiosk scan remembered through the login that follows it (issue 17).

An elderly volunteer may need minutes to log in after scanning, while the kiosk code rotates every
`qr_rotation_seconds`. When /c/<token> is opened with a code valid at that moment, the page leaves a
pass in an HttpOnly cookie: purpose, activity and scan time, signed with the install's key together
with this browser's CSRF secret, so it is worth nothing in another browser. The check-in posted within
`scan_pass_seconds` of the scan is then checked against the scan time and records it; the pass is
dropped once used.
"""

from __future__ import annotations

import datetime as dt

from litestar import Request
from litestar.datastructures import Cookie

from servicebank.checkins import tokens
from servicebank.config import Settings
from servicebank.web.render import csrf_token

COOKIE = "sb_scan"
PATH = "/c/"


def remembered_scan(request: Request, token: str, *, settings: Settings, now: dt.datetime) -> dt.datetime | None:
    """When this browser scanned this code, if within the allowed time: the pass must be of the token's activity
    and purpose, and the token valid at the scan time (a later scan of a newer code is a scan of its own)."""
    target = tokens.kiosk_token_target(token)
    value = request.cookies.get(COOKIE)
    if target is None or not value:
        return None
    scanned_at = tokens.verify_scan_pass(value, secret_key=settings.signing_keys(now), purpose=target[0],
                                         activity_id=target[1], browser=csrf_token(request), now=now,
                                         max_age=dt.timedelta(seconds=settings.scan_pass_seconds))
    if scanned_at is None:
        return None
    try:
        tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(now), purpose=target[0],
                                  rotation_seconds=settings.qr_rotation_seconds, now=scanned_at)
    except tokens.TokenError:
        return None
    return scanned_at


def new_pass(request: Request, token: str, *, settings: Settings, now: dt.datetime) -> Cookie | None:
    """The cookie remembering this scan, when the code is valid right now."""
    target = tokens.kiosk_token_target(token)
    if target is None:
        return None
    try:
        activity_id = tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(now), purpose=target[0],
                                                rotation_seconds=settings.qr_rotation_seconds, now=now)
    except tokens.TokenError:
        return None
    value = tokens.issue_scan_pass(secret_key=settings.secret_key, purpose=target[0], activity_id=activity_id,
                                   scanned_at=now, browser=csrf_token(request))
    return Cookie(key=COOKIE, value=value, max_age=settings.scan_pass_seconds, path=PATH, httponly=True,
                  samesite="lax", secure=settings.secure_cookies)


def used_pass(settings: Settings) -> Cookie:
    """Forget the pass: a check-in or check-out was recorded with it."""
    return Cookie(key=COOKIE, value="", max_age=0, path=PATH, httponly=True, samesite="lax",
                  secure=settings.secure_cookies)
