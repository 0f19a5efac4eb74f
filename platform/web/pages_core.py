"""Login, logout, language and text-size preferences, the landing page and the scan (/c/{token}) page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import token_from_request
from servicebank.accounts.principal import Principal
from servicebank.accounts.service import authenticate
from servicebank.accounts.sessions import (
    expired_session_cookie,
    load_principal,
    revoke_session,
    session_cookie,
)
from servicebank.checkins import tokens
from servicebank.checkins.service import check_in, check_out
from servicebank.clientip import client_ip
from servicebank.errors import DomainError, TooManyRequests, Unauthenticated
from servicebank.events import utcnow
from servicebank.web import forms, friendly, i18n, public_data, scan_pass
from servicebank.web.guard import LoginRequired, on_login_required, require_login, safe_next
from servicebank.web.home import home_for
from servicebank.web.render import BIG_TEXT_COOKIE, lang_of, redirect, render, rotate_csrf

YEAR = 365 * 24 * 3600


def _position(form: dict[str, Any]) -> tuple[float | None, float | None]:
    """Latitude and longitude as the browser gave them; a missing, partial or impossible pair counts as none,
    so the geofence's own rule for a scan without a position decides (flag it, or refuse in words)."""
    try:
        latitude, longitude = float(forms.text(form, "latitude")), float(forms.text(form, "longitude"))
    except ValueError:
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # also refuses nan
        return None, None
    return latitude, longitude


def _purpose(token: str) -> str | None:
    return {"i": tokens.CHECK_IN, "o": tokens.CHECK_OUT}.get(token.split(".", 1)[0])


class CorePages(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def landing(self, request: Request, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Send people where they belong by role; visitors see the public start page."""
        if optional_principal is not None:
            return redirect(request, home_for(optional_principal))
        _ = i18n.translator(lang_of(request))
        communities = await public_data.communities(db_session)
        return render(request, "landing.html", None, title=_("Welcome"), communities=communities)

    @get("/login")
    async def login_form(self, request: Request, optional_principal: Principal | None,
                         next_: str | None = QueryParameter(name="next", default=None)) -> Response:
        """The login form; `next` is where to go afterwards."""
        _ = i18n.translator(lang_of(request))
        if optional_principal is not None:
            return redirect(request, safe_next(next_, home_for(optional_principal)))
        return render(request, "login.html", None, title=_("Log in"), next=safe_next(next_, ""), login="",
                      error=None)

    @post("/login")
    async def login(self, request: Request, db_session: AsyncSession) -> Response:
        """Check the password, set the session cookie, go back where the person came from."""
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
        next_url = safe_next(str(form.get("next", "")), "")
        try:
            user, token = await authenticate(db_session, login=login, password=password,
                                             client_ip=client_ip(request))
        except (Unauthenticated, TooManyRequests) as exc:
            await db_session.commit()  # the failed attempt must count towards the rate limit
            response = render(request, "login.html", None, status_code=exc.status_code, title=_("Log in"),
                              next=next_url, login=login, error=friendly.explain(exc, _))
            if "retry_after" in exc.extra:
                response.headers["Retry-After"] = str(exc.extra["retry_after"])
            return response
        principal = await load_principal(db_session, user)
        cookie = session_cookie(token, secure=request.app.state.settings.secure_cookies)
        rotate_csrf(request, token)
        return redirect(request, next_url or home_for(principal), cookies=[cookie])

    @post("/logout")
    async def logout(self, request: Request, db_session: AsyncSession) -> Response:
        """End the session and forget the cookie."""
        token = token_from_request(request)
        if token:
            await revoke_session(db_session, token=token)
        return redirect(request, "/", cookies=[expired_session_cookie(
            secure=request.app.state.settings.secure_cookies)])

    @post("/prefs")
    async def prefs(self, request: Request) -> Response:
        """Switch the language or the large-text mode (remembered in cookies for a year)."""
        form = await request.form()
        cookies = []
        secure = request.app.state.settings.secure_cookies
        if form.get("lang") in i18n.LANGS:
            cookies.append(Cookie(key=i18n.LANG_COOKIE, value=str(form["lang"]), max_age=YEAR, path="/",
                                  samesite="lax", secure=secure))
        if form.get("big") in {"0", "1"}:
            cookies.append(Cookie(key=BIG_TEXT_COOKIE, value=str(form["big"]), max_age=YEAR, path="/",
                                  samesite="lax", secure=secure))
        return redirect(request, safe_next(str(form.get("next", "")), "/"), cookies=cookies)

    @get("/c/{token:str}")
    async def scan_page(self, request: Request, token: str, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """What a phone opens after scanning the kiosk code: one big button. A code valid now is remembered in
        this browser through the login that may follow (scan_pass.py); the first scan's time is kept."""
        settings = request.app.state.settings
        now = utcnow()
        scanned_at = scan_pass.remembered_scan(request, token, settings=settings, now=now)
        cookies = [] if scanned_at else scan_pass.new_pass(request, token, settings=settings, now=now)
        if optional_principal is None:
            response = on_login_required(request, LoginRequired())
        else:
            response = await _scan_form(request, token, db_session, optional_principal, at=scanned_at or now)
        for cookie in cookies:
            response.set_cookie(cookie)
        return response

    @post("/c/{token:str}")
    async def scan(self, request: Request, token: str, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """Check in or out with the code (at the remembered scan time, if any), then say plainly what happened."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        settings = request.app.state.settings
        purpose = _purpose(token)
        title = _("Check in") if purpose == tokens.CHECK_IN else _("Check out")
        values: dict[str, Any] = {"token": token, "purpose": purpose, "activity": None, "result": None,
                                  "error": None}
        now = utcnow()
        scanned_at = scan_pass.remembered_scan(request, token, settings=settings, now=now)
        try:
            # The API's own call: a volunteer's own scan resolves the login (here the session cookie) in the
            # scan's one statement, and checks the position the page's script asked the browser for (position.js).
            if purpose == tokens.CHECK_OUT:
                result = await check_out(db_session, settings=settings, token=token, now=now,
                                         bearer=token_from_request(request), scanned_at=scanned_at)
            else:
                latitude, longitude = _position(forms.values(await request.form()))
                result = await check_in(db_session, settings=settings, token=token, now=now,
                                        bearer=token_from_request(request), scanned_at=scanned_at,
                                        latitude=latitude, longitude=longitude)
            values["activity"] = result.activity  # the scan's context: title and times
            values["result"] = {"created": result.created, "message": _(result.message),
                                "at": result.attendance.checked_out_at if purpose == tokens.CHECK_OUT
                                else result.attendance.checked_in_at,
                                "minutes": result.attendance.served_minutes}
        except DomainError as exc:
            await db_session.rollback()
            values["error"] = friendly.explain(exc, _)
        response = render(request, "scan.html", principal, status_code=200 if values["error"] is None else 409,
                          title=title, **values)
        if values["error"] is None and scanned_at is not None:
            response.set_cookie(scan_pass.used_pass(settings))  # one check-in or check-out per remembered scan
        return response


async def _scan_form(request: Request, token: str, db_session: AsyncSession, principal: Principal, *,
                     at: dt.datetime) -> Response:
    """The big button, or why this code cannot be used (checked at the time of the scan)."""
    _ = i18n.translator(lang_of(request))
    purpose = _purpose(token)
    settings = request.app.state.settings
    activity = None
    error = None
    try:
        if purpose is None:
            raise tokens.TokenError("invalid", code="qr_token_invalid")
        activity_id = tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(), purpose=purpose,
                                                rotation_seconds=settings.qr_rotation_seconds, now=at)
        activity = await public_data.activity(db_session, activity_id)
        if principal.volunteer_id is None:
            raise DomainError("not a volunteer", code="volunteer_required", status_code=403)
    except DomainError as exc:
        error = friendly.explain(exc, _)
    title = _("Check in") if purpose == tokens.CHECK_IN else _("Check out")
    return render(request, "scan.html", principal, title=title, token=token, purpose=purpose,
                  activity=activity, error=error, result=None)
