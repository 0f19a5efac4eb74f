"""Attendance review beyond one record: approve everything closed at once, mark no-shows, and 代签 — staff
check a volunteer in or out by their personal card (pasted or typed from a scanner) on the activity or kiosk page."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Signup, SignupStatus
from servicebank.checkins import kiosk, review, tokens
from servicebank.checkins.models import Attendance
from servicebank.checkins.service import check_in, check_out, scanner_for_card
from servicebank.errors import DomainError, InvalidInput
from servicebank.events import utcnow
from servicebank.volunteers.models import Volunteer
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect


async def no_show_candidates(session: AsyncSession, *, activity_id: int) -> list[tuple[int, str, str]]:
    """(volunteer id, name, number) of those confirmed who have no attendance record at all."""
    recorded = select(Attendance.volunteer_id).where(Attendance.activity_id == activity_id)
    rows = await session.execute(
        select(Volunteer.id, Volunteer.real_name, Volunteer.number).join(Signup, Signup.volunteer_id == Volunteer.id)
        .where(Signup.activity_id == activity_id, Signup.status == SignupStatus.CONFIRMED,
               Volunteer.id.notin_(recorded)).order_by(Volunteer.real_name))
    return [(int(i), str(n), str(num)) for i, n, num in rows.all()]


def _back(activity_id: int, *, kiosk_page: bool, purpose: str, **query: object) -> str:
    if kiosk_page:
        return f"/manage/activities/{activity_id}/kiosk?" + urlencode({"purpose": purpose, **query})
    return f"/manage/activities/{activity_id}?" + urlencode(query)


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
        purpose = tokens.CHECK_OUT if form.get("purpose") == tokens.CHECK_OUT else tokens.CHECK_IN
        kiosk_page = form.get("back") == "kiosk"
        settings = request.app.state.settings
        card = _card_token(str(form.get("card", "")))
        now = utcnow()
        try:
            code = await kiosk.kiosk_code(db_session, settings=settings, activity_id=activity_id, purpose=purpose,
                                          principal=principal, now=now)
            scanner = await scanner_for_card(db_session, settings=settings, card=card, staff=principal)
            action = check_out if purpose == tokens.CHECK_OUT else check_in
            result = await action(db_session, settings=settings, token=code.token, scanner=scanner, now=now,
                                  expected_activity_id=activity_id)
            # Only known outcomes travel in the address, so nobody can put words on the organiser's page.
            query: dict[str, object] = {"proxy": PROXY_RESULTS.get(result.message, "done"),
                                        "att": result.attendance.id}
        except DomainError as exc:
            await db_session.rollback()
            query = {"proxy_error": exc.code}
        return redirect(request, _back(activity_id, kiosk_page=kiosk_page, purpose=purpose, **query))


PROXY_RESULTS = {"Checked in.": "in", "Already checked in.": "already_in", "Checked out.": "out",
                 "Already checked out.": "already_out", "Checked out and approved.": "out_approved"}
PROXY_FLASHES = {"in": i18n.N_("%(name)s: checked in."), "already_in": i18n.N_("%(name)s was already checked in."),
                 "out": i18n.N_("%(name)s: checked out."), "already_out": i18n.N_("%(name)s was already checked out."),
                 "out_approved": i18n.N_("%(name)s: checked out and approved."), "done": i18n.N_("%(name)s: done.")}


async def proxy_flash(session: AsyncSession, request: Request, *, activity_id: int) -> tuple[str, str] | None:
    """(message, kind) for the page after a 代签, from the outcome in the address."""
    _ = i18n.translator(lang_of(request))
    error = request.query_params.get("proxy_error")
    if error:
        known = friendly.MESSAGES.get(error)
        return (_(known) if known else _("The card could not be used (%(code)s).", code=error)), "bad"
    outcome, att_id = request.query_params.get("proxy"), request.query_params.get("att", "")
    if outcome not in PROXY_FLASHES or not att_id.isdigit():
        return None
    name = await session.scalar(select(Volunteer.real_name).join(Attendance, Attendance.volunteer_id == Volunteer.id)
                                .where(Attendance.id == int(att_id), Attendance.activity_id == activity_id))
    return (_(PROXY_FLASHES[outcome], name=name), "ok") if name else None


def _card_token(raw: str) -> str:
    """What a scanner types: the card token, sometimes inside a URL or with spaces around it."""
    text = raw.strip()
    return text.rsplit("/", 1)[-1].rsplit("=", 1)[-1] if "/" in text or "=" in text else text
