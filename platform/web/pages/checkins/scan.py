"""The scan page (/c/{token}): what a phone opens after scanning the kiosk code, and the check-in or -out it sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import provide_optional_principal, token_from_request
from servicebank.accounts.principal import Principal
from servicebank.accounts.sessions import principal_without_grants
from servicebank.activities import browse
from servicebank.checkins import tokens
from servicebank.checkins.routes import SCAN_LIMIT
from servicebank.checkins.service import check_in, check_out
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, Unauthenticated
from servicebank.web import forms, friendly, i18n, scan_pass
from servicebank.web.guard import LoginRequired, on_login_required, require_login
from servicebank.web.pages.checkins import scan_answer
from servicebank.web.render import lang_of, render


def _purpose(token: str) -> str | None:
    return {"i": tokens.CHECK_IN, "o": tokens.CHECK_OUT}.get(token.split(".", 1)[0])


class ScanPages(Controller):
    path = "/"
    include_in_schema = False

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

    # The API's scan limit, per login: the page posts the same scan, so a script cannot hammer it here instead.
    @post("/c/{token:str}", guards=[SCAN_LIMIT])
    async def scan(self, request: Request, token: str, db_session: AsyncSession) -> Response:
        """Check in or out with the code (at the remembered scan time, if any), then say plainly what happened.

        The login is read by the scan's own statement, not before it (the volunteers' busiest page costs what
        the API's check-in does, issue 18): a login that holds no role is named and given its menu from that
        row (_who); an expired or revoked one is sent to log in, as every page does."""
        bearer = token_from_request(request)
        if not bearer:
            raise LoginRequired()
        _ = i18n.translator(lang_of(request))
        settings = request.app.state.settings
        purpose = _purpose(token)
        title = _("Check in") if purpose == tokens.CHECK_IN else _("Check out")
        values: dict[str, Any] = {"token": token, "purpose": purpose, "activity": None, "result": None,
                                  "error": None}
        code = None
        now = utcnow()
        scanned_at = scan_pass.remembered_scan(request, token, settings=settings, now=now)
        try:
            # The API's own call: a volunteer's own scan resolves the login (here the session cookie) in the
            # scan's one statement, and checks the position the page's script asked the browser for (position.js).
            if purpose == tokens.CHECK_OUT:
                result = await check_out(db_session, settings=settings, token=token, now=now, bearer=bearer,
                                         scanned_at=scanned_at)
            else:
                latitude, longitude = forms.position(await forms.posted(request)) or (None, None)
                result = await check_in(db_session, settings=settings, token=token, now=now, bearer=bearer,
                                        scanned_at=scanned_at, latitude=latitude, longitude=longitude)
            values["activity"] = result.activity  # the scan's context: title and times
            values["result"] = {"created": result.created, "message": _(result.message),
                                "at": result.attendance.checked_out_at if purpose == tokens.CHECK_OUT
                                else result.attendance.checked_in_at,
                                "minutes": result.attendance.served_minutes}
        except Unauthenticated:
            raise LoginRequired() from None
        except DomainError as exc:
            await db_session.rollback()
            values["error"], code = friendly.explain(exc, _), exc.code
        meta = scan_answer.meta_line(request, values["activity"])
        details = scan_answer.details(request, _, purpose=purpose, result=values["result"])
        if scan_answer.wants_answer(request):  # the page's script: the answer's words, no page around them
            response = scan_answer.answer(request, _, title=title, purpose=purpose, meta=meta, details=details,
                                          result=values["result"], error=values["error"], code=code)
        else:
            principal = await _who(request, db_session, values["activity"])
            response = render(request, "checkins/scan.html", principal,
                              status_code=200 if values["error"] is None else 409, title=title, meta=meta,
                              details=details, **values)
        if values["error"] is None and scanned_at is not None:
            response.set_cookie(scan_pass.used_pass(settings))  # one check-in or check-out per remembered scan
        return response


async def _who(request: Request, db_session: AsyncSession, ctx: Any) -> Principal:
    """The person the result page names and builds its menu for. The scan's context carries their login; only
    a login holding roles (staff scanning for themselves), or a refused scan, which returns no context, has
    its principal loaded as any page does."""
    if ctx is not None and getattr(ctx, "user_has_grants", True) is False:
        return principal_without_grants(user_id=ctx.user_id, display_name=ctx.user_display_name,
                                        volunteer_id=ctx.volunteer_id,
                                        volunteer_community_id=ctx.volunteer_community_id,
                                        volunteer_status=ctx.volunteer_status)
    return require_login(await provide_optional_principal(request, db_session))


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
        activity = await browse.get_activity(db_session, activity_id)
        if principal.volunteer_id is None:
            raise DomainError("not a volunteer", code="volunteer_required", status_code=403)
    except DomainError as exc:
        error = friendly.explain(exc, _)
    title = _("Check in") if purpose == tokens.CHECK_IN else _("Check out")
    return render(request, "checkins/scan.html", principal, title=title, token=token, purpose=purpose,
                  activity=activity, meta=scan_answer.meta_line(request, activity), details=[], error=error,
                  result=None)
