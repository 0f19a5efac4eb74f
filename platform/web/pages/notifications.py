"""The notices section of my page: texts on or off for my number (退订), and which kinds go by text, e-mail or push.

The section lives in its own partial (notifications/_notices.html) and handler so my page only includes it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.checkins.proxy_lookup import mask_phone
from servicebank.kernel.errors import DomainError
from servicebank.notifications import preferences
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.i18n import N_
from servicebank.web.render import lang_of, redirect, render

KIND_LABELS = {
    "activity.reminder": N_("Reminder the day before an activity"),
    "activity.starting_soon": N_("Reminder an hour before an activity"),
    "request.visit_reminder": N_("Reminder the day before a resident's visit"),
    "request.visit_soon": N_("Reminder an hour before a resident's visit"),
    "signup.promoted": N_("Moved from the waiting list to a place"),
    "activity.cancelled": N_("An activity you signed up for was cancelled"),
    "redemption.completed": N_("Points spent at a store"),
    "volunteer.card_pin_locked": N_("Printed card locked after wrong PINs"),
    "notice.meeting_point": N_("Organisers' notices: where to meet"),
    "notice.time_changed": N_("Organisers' notices: a changed time"),
    "notice.bring_items": N_("Organisers' notices: what to bring"),
    "signup.confirmed": N_("Sign-up confirmed"),
    "signup.waitlisted": N_("Put on a waiting list"),
    "activity.published": N_("A new activity of your team"),
    "ledger.star_level_reached": N_("A new star level"),
    "request.assigned": N_("A resident's request given to you"),
    "request.accepted": N_("A volunteer took your request"),
    "request.finished": N_("Your request was served: please rate it"),
    "request.rated": N_("A rating of your service"),
    "request.cancelled": N_("A request you took was cancelled"),
    "request.declined": N_("Your request was not approved"),
    "request.expired": N_("Nobody took your request in time"),
    "request.created": N_("New requests to review (organisers)"),
    "request.escalated": N_("Requests nobody took yet (staff)"),
    "family_link.requested": N_("Someone asks to be linked as family"),
    "family_link.confirmed": N_("A family link confirmed"),
    "honour_list.published": N_("You are on an honour list"),
    "certificate.issued": N_("A certificate of service issued to you"),
    "redemption.refunded": N_("Points given back by a store"),
    "no_show.excused": N_("A no-show excused"),
    "qualification.expiring": N_("A certificate of yours is about to expire"),
    "signup.held": N_("Sign-ups held by the no-show rule (organisers)"),
    "volunteer.login_claimed": N_("Login claims to check (organisers)"),
}


async def notices_section(session: AsyncSession, principal: Principal, request: Request) -> dict[str, Any]:
    """What notifications/_notices.html needs: the number, texts on or off, each kind's channels, the outcome of a save."""
    _ = i18n.translator(lang_of(request))
    found = await preferences.choices_for(session, user_id=principal.user_id)
    error = request.query_params.get("notice_error")
    return {"notices": {
        "phone": mask_phone(found.phone) if found.phone else None, "sms_on": found.sms_on,
        "email_on": found.email_on, "push": request.app.state.settings.vapid_private_key is not None,
        "push_on": found.push_on,
        "kinds": [{"kind": kind, "label": _(KIND_LABELS.get(kind, kind)), "texted": preferences.SMS in channels,
                   **channels} for kind, channels in found.choices.items()],
        "saved": request.query_params.get("notice_done") == "saved",
        "error": _(friendly.MESSAGES[error]) if error in friendly.MESSAGES else None,
    }}


class NoticePages(Controller):
    path = "/"
    include_in_schema = False

    @post("/me/notices")
    async def save_notices(self, request: Request, db_session: AsyncSession,
                           optional_principal: Principal | None) -> Response:
        """Save texts on/off (off is 退订 for the number) and, per kind, text, e-mail and push."""
        principal = require_login(optional_principal)
        form = await request.form()
        choices = {kind: {channel: form.get(f"{channel}:{kind}") == "on"
                          for channel in preferences.channels_of(kind) if form.get(f"shown:{channel}") == "on"}
                   for kind in KIND_LABELS}
        try:
            await preferences.set_choices(db_session, user_id=principal.user_id, sms_on=form.get("sms_on") == "on",
                                          choices=choices)
        except DomainError as exc:
            await db_session.rollback()
            if exc.code in friendly.MESSAGES:  # a known code only: the address never carries free text
                return redirect(request, f"/me?notice_error={exc.code}#notices")
            _ = i18n.translator(lang_of(request))
            return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                          message=friendly.explain(exc, _))
        return redirect(request, "/me?notice_done=saved#notices")
