"""转赠积分给家人 on the volunteer's page: give points along a confirmed family link, within the monthly cap.

/me draws the section from `gift_section()`; the form posts here and comes back to /me with `done=gift_sent` or
`gift_error=<code>`, never with free text. The gift itself is the ledger's `transfer`, as for the API.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.family import service as family
from servicebank.family.models import FamilyLinkStatus
from servicebank.family.schemas import FamilyLinkOut
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.ledger.schemas import TransferIn
from servicebank.ledger.service import community_limits, transfer, transferred_in_month
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

N_ = i18n.N_
FLASHES = {"gift_sent": N_("The points are given. Your family member sees them on their page.")}
# Refusals in the words of a gift (the shared catalogue speaks of store items for some of these codes).
GIFT_ERRORS = {
    "bad_amount": N_("Give a whole number of points, at least 1."),
    "insufficient_balance": N_("You do not have that many points."),
    "monthly_transfer_limit": N_("This gift would go over your community's monthly limit. See below how many points you can still give this month."),  # noqa: E501 - one literal for the catalogue
    "family_transfers_disabled": N_("Your community does not allow gifts of points between family members."),
    "receiver_inactive": N_("Your family member's volunteer account is not active, so it cannot receive points."),
    "service_hours_too_few": N_("Points can be given after the service hours your community asks for."),
    "volunteer_not_active": N_("Your volunteer account is not active, so you cannot give points."),
    "family_link_required": friendly.MESSAGES["family_link_required"],
}


async def gift_section(session: AsyncSession, principal: Principal, *, timezone: str, error_code: str | None,
                       links: list[FamilyLinkOut] | None = None) -> dict[str, Any]:
    """What _gift.html needs: confirmed family members, this month's cap and what is left, a refusal.
    `links`: the caller's links when the page has read them already."""
    volunteer_id = principal.require_volunteer()
    links = await family.my_links(session, principal=principal) if links is None else links
    members = [(link.other_volunteer_id, link.other_name) for link in links
               if link.status == FamilyLinkStatus.CONFIRMED and link.other_volunteer_id]
    policy = await community_limits(session, community_id=principal.volunteer_community_id) \
        if principal.volunteer_community_id else None
    month = dt.datetime.now(ZoneInfo(timezone)).strftime("%Y-%m")
    given = await transferred_in_month(session, volunteer_id=volunteer_id, month=month)
    cap = policy.max_transfer_per_month if policy else None
    return {"gift_members": members, "gift_cap": cap, "gift_given": given,
            "gift_left": max(cap - given, 0) if cap is not None else None,
            "gift_allowed": policy is None or policy.allow_family_transfers,
            # A fresh key per drawn form: pressing the button twice (or reloading the POST) gives once.
            "gift_key": secrets.token_urlsafe(16), "gift_error": GIFT_ERRORS.get(error_code or "")}


def _whole(form: dict, name: str, error: DomainError) -> int:
    try:
        return int(forms.text(form, name))
    except ValueError:
        raise error from None


class GiftPages(Controller):
    path = "/me/gifts"
    include_in_schema = False

    @post("/")
    async def give(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Give points to a confirmed family member (the transfer service checks the link, balance and cap)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        try:
            data = TransferIn(
                amount=_whole(form, "amount", InvalidInput("The amount must be a whole number of points above zero.",
                                                           code="bad_amount")),
                to_volunteer_id=_whole(form, "to_volunteer_id", InvalidInput("Choose the family member.",
                                                                             code="family_link_required")),
                idempotency_key=forms.text(form, "idempotency_key")[:64], memo=forms.text(form, "memo")[:200])
            await transfer(db_session, principal=principal, data=data, timezone=request.app.state.settings.timezone)
        except DomainError as exc:
            await db_session.rollback()
            if exc.code in GIFT_ERRORS:
                return redirect(request, f"/me?gift_error={exc.code}#gift")
            _ = i18n.translator(lang_of(request))
            return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                          message=friendly.explain(exc, _))
        return redirect(request, "/me?done=gift_sent#gift")
