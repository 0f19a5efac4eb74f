"""A kiosk scan remembered through the login that follows it (issue 17).

An elderly volunteer may need minutes to log in after scanning, while the kiosk code rotates every
`qr_rotation_seconds`. When /c/<token> is opened with a code valid at that moment, the page leaves a
pass in an HttpOnly cookie: purpose, activity and scan time, signed with the install's key together
with a random id of this browser kept in a second cookie (not the CSRF token: that one rotates at the
login the pass must outlive), so the pass alone is worth nothing in another browser. The check-in posted within
`scan_pass_seconds` of the scan is then checked against the scan time and records it; the pass is
dropped once used.
"""

from __future__ import annotations

import datetime as dt
import secrets

from litestar import Request
from litestar.datastructures import Cookie

from servicebank.checkins import tokens
from servicebank.config import Settings

COOKIE = "sb_scan"
BROWSER_COOKIE = "sb_browser"
PATH = "/c/"


def remembered_scan(request: Request, token: str, *, settings: Settings, now: dt.datetime) -> dt.datetime | None:
    """When this browser scanned this code, if within the allowed time: the pass must be of the token's activity
    and purpose, and the token valid at the scan time (a later scan of a newer code is a scan of its own)."""
    target = tokens.kiosk_token_target(token)
    value, browser = request.cookies.get(COOKIE), request.cookies.get(BROWSER_COOKIE)
    if target is None or not value or not browser:
        return None
    scanned_at = tokens.verify_scan_pass(value, secret_key=settings.signing_keys(now), purpose=target[0],
                                         activity_id=target[1], browser=browser, now=now,
                                         max_age=dt.timedelta(seconds=settings.scan_pass_seconds))
    if scanned_at is None:
        return None
    try:
        tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(now), purpose=target[0],
                                  rotation_seconds=settings.qr_rotation_seconds, now=scanned_at)
    except tokens.TokenError:
        return None
    return scanned_at


def new_pass(request: Request, token: str, *, settings: Settings, now: dt.datetime) -> list[Cookie]:
    """The cookies remembering this scan (the pass and the browser id it is bound to), when the code is valid
    right now; none otherwise."""
    target = tokens.kiosk_token_target(token)
    if target is None:
        return []
    try:
        activity_id = tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(now), purpose=target[0],
                                                rotation_seconds=settings.qr_rotation_seconds, now=now)
    except tokens.TokenError:
        return []
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(16)
    value = tokens.issue_scan_pass(secret_key=settings.secret_key, purpose=target[0], activity_id=activity_id,
                                   scanned_at=now, browser=browser)
    return [Cookie(key=key, value=content, max_age=settings.scan_pass_seconds, path=PATH, httponly=True,
                   samesite="lax", secure=settings.secure_cookies)
            for key, content in ((COOKIE, value), (BROWSER_COOKIE, browser))]


def used_pass(settings: Settings) -> Cookie:
    """Forget the pass: a check-in or check-out was recorded with it."""
    return Cookie(key=COOKIE, value="", max_age=0, path=PATH, httponly=True, samesite="lax",
                  secure=settings.secure_cookies)
