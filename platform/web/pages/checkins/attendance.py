"""Attendance review beyond one record: approve everything closed at once, mark no-shows, and 代签 — staff
check a volunteer in or out by their personal card (pasted or typed from a scanner) on the activity or kiosk page,
or by picking them from the lookup in the 代签 box (name, phone ending, volunteer number)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.checkins import access as checkins_access
from servicebank.checkins import kiosk, records, review, tokens
from servicebank.checkins.proxy_lookup import MAX_QUERY_LENGTH, find_for_proxy
from servicebank.checkins.service import Scanner, check_in, check_out, scanner_for_card, scanner_for_volunteer
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect


def _back(activity_id: int, *, kiosk_page: bool, purpose: str, **query: object) -> str:
    if kiosk_page:
        return f"/manage/activities/{activity_id}/kiosk?" + urlencode({"purpose": purpose, **query})
    return f"/manage/activities/{activity_id}?" + urlencode(query) + "#proxy-box"


class AttendancePages(Controller):
    path = "/manage/activities/{activity_id:int}"
    include_in_schema = False

    @post("/approve-all")
    async def approve_all(self, request: Request, activity_id: int, db_session: AsyncSession,
                          optional_principal: Principal | None) -> Response:
        """Approve every closed record; flagged ones (outside the area, closed by the clock...) only when ticked."""
        principal = require_login(optional_principal)
        form = await request.form()
        approved, skipped = await review.bulk_approve(
            db_session, activity_id=activity_id, principal=principal, now=utcnow(),
            include_flagged=form.get("include_flagged") == "1")
        return redirect(request, f"/manage/activities/{activity_id}?done=bulk&approved={len(approved)}"
                                 f"&skipped={len(skipped)}")

    @post("/no-show")
    async def no_show(self, request: Request, activity_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Record that a confirmed volunteer did not come."""
        principal = require_login(optional_principal)
        form = await request.form()
        try:
            volunteer_id = int(str(form.get("volunteer_id", "")))
        except ValueError:
            raise InvalidInput("Choose a volunteer.", code="invalid_input") from None
        await review.mark_no_show(db_session, activity_id=activity_id, volunteer_id=volunteer_id,
                                  principal=principal, reason=str(form.get("reason", "")).strip() or None, now=utcnow())
        return redirect(request, f"/manage/activities/{activity_id}?done=no_show")

    @post("/proxy")
    async def proxy(self, request: Request, activity_id: int, db_session: AsyncSession,
                    optional_principal: Principal | None) -> Response:
        """代签: check the card's volunteer in or out now, recorded as done by this staff member (flagged)."""
        principal = require_login(optional_principal)
        form = await request.form()
        settings = request.app.state.settings
        card = _card_token(str(form.get("card", "")))

        async def scanner() -> Scanner:
            return await scanner_for_card(db_session, settings=settings, card=card, staff=principal)

        return await _proxy_scan(request, db_session, principal, activity_id=activity_id, form=form, scanner=scanner,
                                 back_query={})

    @post("/proxy-volunteer")
    async def proxy_volunteer(self, request: Request, activity_id: int, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """代签 of a volunteer picked from the lookup (no card); the same rules, flags and audit as a card.
        An organiser may tick "over the limit" for a walk-in at a full activity."""
        principal = require_login(optional_principal)
        form = await request.form()
        try:
            volunteer_id = int(str(form.get("volunteer_id", "")))
        except ValueError:
            raise InvalidInput("Choose a volunteer.", code="invalid_input") from None

        async def scanner() -> Scanner:
            return await scanner_for_volunteer(db_session, volunteer_id=volunteer_id, staff=principal,
                                               over_capacity=form.get("over_capacity") == "1")

        find = str(form.get("find", "")).strip()[:MAX_QUERY_LENGTH]
        return await _proxy_scan(request, db_session, principal, activity_id=activity_id, form=form, scanner=scanner,
                                 back_query={"find": find} if find else {})


async def _proxy_scan(request: Request, session: AsyncSession, principal: Principal, *, activity_id: int, form: Any,
                      scanner: Callable[[], Awaitable[Scanner]], back_query: dict[str, object]) -> Response:
    """Check the scanner's volunteer in or out with this page's kiosk code, then back to the page with the outcome."""
    purpose = tokens.CHECK_OUT if form.get("purpose") == tokens.CHECK_OUT else tokens.CHECK_IN
    kiosk_page = form.get("back") == "kiosk"
    settings = request.app.state.settings
    now = utcnow()
    query: dict[str, object] = dict(back_query)
    scanned: Scanner | None = None
    try:
        # The kiosk code first: it refuses someone who is not staff here before any volunteer is looked at.
        code = await kiosk.kiosk_code(session, settings=settings, activity_id=activity_id, purpose=purpose,
                                      principal=principal, now=now)
        scanned = await scanner()
        action = check_out if purpose == tokens.CHECK_OUT else check_in
        result = await action(session, settings=settings, token=code.token, scanner=scanned, now=now,
                              expected_activity_id=activity_id)
        # Only known outcomes travel in the address, so nobody can put words on the organiser's page.
        query.update(proxy=PROXY_RESULTS.get(result.message, "done"), att=result.attendance.id)
    except DomainError as exc:
        await session.rollback()
        query["proxy_error"] = exc.code
        if exc.code == "activity_full" and scanned is not None:
            # The organiser's page offers "sign in anyway" for this volunteer; a number, not words.
            query["vol"] = scanned.volunteer_id
    return redirect(request, _back(activity_id, kiosk_page=kiosk_page, purpose=purpose, **query))


PROXY_RESULTS = {"Checked in.": "in", "Already checked in.": "already_in", "Checked out.": "out",
                 "Already checked out.": "already_out", "Checked out and approved.": "out_approved"}
PROXY_FLASHES = {"in": i18n.N_("%(name)s: checked in."), "already_in": i18n.N_("%(name)s was already checked in."),
                 "out": i18n.N_("%(name)s: checked out."), "already_out": i18n.N_("%(name)s was already checked out."),
                 "out_approved": i18n.N_("%(name)s: checked out and approved."), "done": i18n.N_("%(name)s: done.")}


async def proxy_flash(session: AsyncSession, request: Request, *, activity_id: int,
                      principal: Principal | None = None) -> tuple[str, str] | None:
    """(message, kind) for the page after a 代签, from the outcome in the address."""
    _ = i18n.translator(lang_of(request))
    error = request.query_params.get("proxy_error")
    if error:
        known = friendly.MESSAGES.get(error)
        message = _(known) if known else _("The card could not be used (%(code)s).", code=error)
        if error == "activity_full" and principal is not None:
            activity = await checkins_access.staff_activity(session, activity_id=activity_id, principal=principal)
            message += " " + (_(OVER_CAPACITY_OFFER) if principal.manages(activity.community_id)
                              else _(ASK_THE_ORGANISER))
        return message, "bad"
    outcome, att_id = request.query_params.get("proxy"), request.query_params.get("att", "")
    if outcome not in PROXY_FLASHES or not att_id.isdigit():
        return None
    name = await records.attendee_name(session, activity_id=activity_id, attendance_id=int(att_id))
    return (_(PROXY_FLASHES[outcome], name=name), "ok") if name else None


OVER_CAPACITY_OFFER = i18n.N_("As the organiser you may still sign them in over the limit.")
ASK_THE_ORGANISER = i18n.N_("Only the community's organiser can sign someone in over the limit; please ask them.")


async def proxy_box(session: AsyncSession, request: Request, principal: Principal, *,
                    activity_id: int) -> dict[str, Any]:
    """What the 代签 box shows besides the card field: the lookup's results, and for an organiser after a
    refusal for a full activity, the volunteer to sign in over the limit."""
    find = request.query_params.get("find", "").strip()[:MAX_QUERY_LENGTH]
    found = await find_for_proxy(session, activity_id=activity_id, principal=principal, query=find) if find else None
    over = None
    vol = request.query_params.get("vol", "")
    if request.query_params.get("proxy_error") == "activity_full" and vol.isdigit():
        activity = await checkins_access.staff_activity(session, activity_id=activity_id, principal=principal)
        if principal.manages(activity.community_id):
            matches = await find_for_proxy(session, activity_id=activity_id, principal=principal,
                                           volunteer_id=int(vol))
            over = matches[0] if matches else None
    return {"find": find, "found": found, "over_capacity_for": over}


def _card_token(raw: str) -> str:
    """What a scanner types: the card token, sometimes inside a URL or with spaces around it."""
    text = raw.strip()
    return text.rsplit("/", 1)[-1].rsplit("=", 1)[-1] if "/" in text or "=" in text else text
