"""The volunteer's pages: my page (hours, points, stars, rank, sign-ups), browse and sign up, my card, my code."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import browse, signups
from servicebank.activities.browse import list_activities
from servicebank.checkins import kiosk
from servicebank.family import service as family
from servicebank.honours import certificates
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.kernel.qr import qr_data_uri
from servicebank.leaderboards.service import leaderboard_view
from servicebank.ledger.service import account_view
from servicebank.records import views as record_views
from servicebank.requests import ratings
from servicebank.stores import service as stores
from servicebank.volunteers import card_pin
from servicebank.web import charts, forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages import notifications as pages_notices
from servicebank.web.pages.family import links as pages_family
from servicebank.web.pages.ledger import gifts as pages_gifts
from servicebank.web.pages.records import corrections as pages_corrections
from servicebank.web.pages.records import insurance as pages_insurance
from servicebank.web.pages.records import qualifications as pages_qualifications
from servicebank.web.pages.records import trainings as pages_trainings
from servicebank.web.pages.volunteers import sections
from servicebank.web.render import lang_of, redirect, render


class VolunteerPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/me")
    async def my_page(self, request: Request, db_session: AsyncSession,
                      optional_principal: Principal | None, done: str | None = None,
                      family_error: str | None = None, pin_error: str | None = None,
                      gift_error: str | None = None) -> Response:
        """Hours, points, star level and rank; upcoming sign-ups; recent attendance; hours per month; family."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        volunteer_id = principal.require_volunteer()
        account = await account_view(db_session, principal=principal, volunteer_id=volunteer_id, recent=10)
        home = principal.volunteer_community_id  # None while pending or suspended: they see the public city board
        board = await leaderboard_view(db_session, scope=f"community:{home}" if home else "city",
                                       period="all", by="hours", limit=1, volunteer_id=volunteer_id,
                                       viewer_volunteer_id=volunteer_id, viewer_name=principal.volunteer_name,
                                       keep_top=True)
        today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
        months = await sections.month_hours(db_session, volunteer_id=volunteer_id, today=today)
        signup_rows = await sections.my_signups(db_session, principal=principal)
        links = await family.my_links(db_session, principal=principal)  # read once: family and gift sections
        no_shows = await record_views.standing_out(db_session, principal=principal, volunteer_id=volunteer_id)
        return render(request, "volunteers/me.html", principal, title=_("My page"), account=account,
                      rank=board.me.rank if board.me else None,
                      signup_groups=await sections.group_by_series(db_session, signup_rows, _=_),
                      attendance=await sections.my_attendance(db_session, volunteer_id=volunteer_id),
                      rating=await ratings.of_volunteer(db_session, principal=principal, volunteer_id=volunteer_id),
                      now=dt.datetime.now(dt.UTC), chart=charts.bar_chart(months, label=_("Hours per month")),
                      flash=_(_FLASHES[done]) if done in _FLASHES else None, no_shows=no_shows,
                      **await pages_qualifications.section(db_session, principal, volunteer_id=volunteer_id,
                                                           community_id=principal.volunteer_community_id or 0),
                      card_pin_set=await card_pin.has_pin(db_session, volunteer_id),
                      pin_error=_(friendly.MESSAGES[pin_error]) if pin_error in friendly.MESSAGES else None,
                      **await pages_family.family_section(db_session, principal, family_error, links=links),
                      **await pages_gifts.gift_section(db_session, principal, error_code=gift_error, links=links,
                                                       timezone=request.app.state.settings.timezone),
                      **await pages_notices.notices_section(db_session, principal, request),
                      **await pages_corrections.section(db_session, request, principal),
                      **await pages_trainings.section(db_session, principal, volunteer_id=volunteer_id,
                                                      form_action=None),
                      **await pages_insurance.section(db_session, principal, volunteer_id=volunteer_id))

    @get("/activities")
    async def browse(self, request: Request, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Activities the volunteer may sign up for now, soonest first."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        principal.require_volunteer()
        items, _total = await list_activities(db_session, principal=principal, joinable=True, limit=50)
        mine = await sections.my_signups(db_session, principal=principal)
        return render(request, "activities/activities.html", principal, title=_("Activities"), items=items, mine=mine,
                      kinds=await browse.kind_names(db_session), error=None,
                      **await pages_trainings.needs_section(db_session, items))

    @post("/activities/{activity_id:int}/signup")
    async def sign_up(self, request: Request, activity_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Take a place (or a waitlist place) on the activity."""
        return await _change_signup(request, db_session, optional_principal, activity_id, withdraw=False)

    @post("/activities/{activity_id:int}/withdraw")
    async def withdraw(self, request: Request, activity_id: int, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """Give the place back."""
        return await _change_signup(request, db_session, optional_principal, activity_id, withdraw=True)

    @get("/me/card")
    async def card(self, request: Request, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """The printable personal QR card (staff scan it to check someone in who has no phone)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        card = await kiosk.get_card(db_session, settings=request.app.state.settings,
                                    volunteer_id=principal.require_volunteer(), principal=principal)
        return render(request, "volunteers/card.html", principal, title=_("My QR card"), card=card,
                      qr=qr_data_uri(card.token))

    @get("/me/code")
    async def redemption_code(self, request: Request, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """A fresh one-time 6-digit code for the store clerk to scan or type (it replaces the previous one)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        issued = await stores.issue_short_code(db_session, settings=request.app.state.settings,
                                         volunteer_id=principal.require_active_volunteer(), now=utcnow())
        return render(request, "stores/code.html", principal, title=_("My redemption code"), code=issued.display,
                      expires_at=issued.expires_at, qr=qr_data_uri(issued.code))

    @post("/me/card-pin")
    async def set_card_pin(self, request: Request, db_session: AsyncSession,
                           optional_principal: Principal | None) -> Response:
        """Set or change the PIN the store till asks for when the printed card pays."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        try:
            await card_pin.set_own_pin(db_session, principal=principal, password=str(form.get("password", "")),
                                       pin=str(form.get("pin", "")))
        except DomainError as exc:
            await db_session.rollback()
            if exc.code in friendly.MESSAGES:  # a known code only: the address never carries free text
                return redirect(request, f"/me?pin_error={exc.code}#card-pin")
            return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                          message=friendly.explain(exc, _))
        return redirect(request, "/me?done=pin_set#card-pin")

    @get("/me/certificates")
    async def my_certificates(self, request: Request, db_session: AsyncSession,
                              optional_principal: Principal | None, done: str | None = None) -> Response:
        """The volunteer's service certificates, each with its PDF and verification code; the request form."""
        principal = require_login(optional_principal)
        return await _certificates_page(request, db_session, principal, form={}, error=None,
                                        flash=_CERTIFICATE_FLASHES.get(done or ""))

    @post("/me/certificates/request")
    async def request_certificate(self, request: Request, db_session: AsyncSession,
                                  optional_principal: Principal | None) -> Response:
        """申请服务证明: ask the community for a certificate of a period; an organiser issues it."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        try:
            await certificates.request(db_session, principal=principal, period_start=_day(form, "period_start"),
                                       period_end=_day(form, "period_end"), purpose=forms.text(form, "purpose"),
                                       timezone=request.app.state.settings.timezone)
        except DomainError as exc:
            await db_session.rollback()
            return await _certificates_page(request, db_session, principal, form=form, error=exc, flash=None)
        return redirect(request, "/me/certificates?done=requested#certificates")


_CERTIFICATE_FLASHES = {"requested": i18n.N_("Your request is sent. Your community's organiser issues the certificate; it appears here with its PDF.")}  # noqa: E501 - one literal for the catalogue
# A request's refusals in the words of a request (the shared catalogue speaks to organisers for these codes).
_CERTIFICATE_ERRORS = {
    "invalid_period": i18n.N_("Choose a period that starts before it ends and ends today at the latest."),
    "certificate_request_pending": i18n.N_("You already have a request waiting for your organiser."),
    "volunteer_not_active": i18n.N_("Your volunteer account is not active, so you cannot ask for a certificate."),
}


def _day(form: dict, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(forms.text(form, name))
    except ValueError:
        raise InvalidInput("Choose the first and last day of the period.", code="invalid_period") from None


async def _certificates_page(request: Request, db_session: AsyncSession, principal: Principal, *, form: dict,
                             error: DomainError | None, flash: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    rows = await certificates.list_certificates(db_session, principal=principal, community_id=None, status=None)
    message = None
    if error is not None:
        known = _CERTIFICATE_ERRORS.get(error.code)
        message = _(known) if known else friendly.explain(error, _)
    return render(request, "honours/certificates.html", principal, status_code=error.status_code if error else 200,
                  title=_("My certificates"), rows=rows, form=form, error=message,
                  flash=_(flash) if flash else None,
                  waiting=any(c.status == "requested" for c in rows))


_FLASHES = {"signed_up": i18n.N_("You are signed up."), "waitlisted": i18n.N_("You are on the waiting list."),
            "held": i18n.N_("Your sign-up waits for the organiser's approval (see My no-shows below)."),
            "withdrawn": i18n.N_("Your place is given back."), "pin_set": i18n.N_("Your card PIN is set."),
            **pages_family.FLASHES, **pages_gifts.FLASHES, **pages_qualifications.FLASHES,
            **pages_corrections.FLASHES}


async def _change_signup(request: Request, db_session: AsyncSession, principal: Principal | None,
                         activity_id: int, *, withdraw: bool) -> Response:
    principal = require_login(principal)
    _ = i18n.translator(lang_of(request))
    volunteer_id = principal.require_volunteer()
    try:
        if withdraw:
            await signups.withdraw(db_session, activity_id=activity_id, volunteer_id=volunteer_id)
            done = "withdrawn"
        else:
            signup = await signups.sign_up(db_session, activity_id=activity_id, volunteer_id=volunteer_id)
            done = {"waitlisted": "waitlisted", "pending_approval": "held"}.get(signup.status, "signed_up")
    except DomainError as exc:
        await db_session.rollback()
        return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                      message=friendly.explain(exc, _))
    return redirect(request, f"/me?done={done}")
