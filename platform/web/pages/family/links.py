"""我的家庭成员 on the volunteer's page: see family links, ask for one, confirm or decline, remove.

The section is drawn by /me (web/pages/volunteers/me.py) from `family_section()`; the forms post here and come back
to /me with a known outcome (`done=`) or a refusal code (`family_error=`), never with free text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.family import service as family
from servicebank.family.models import FamilyLinkStatus, FamilyRelation
from servicebank.family.schemas import FamilyLinkOut, FamilyLinkRequestIn
from servicebank.kernel.errors import DomainError
from servicebank.volunteers.service import get_volunteer
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

N_ = i18n.N_
# The stored relation (Chinese, as in the regulations) and its label; the label is translated when shown.
RELATION_LABELS = {
    FamilyRelation.SPOUSE: N_("Spouse"), FamilyRelation.PARENT: N_("Parent"), FamilyRelation.CHILD: N_("Child"),
    FamilyRelation.GRANDPARENT: N_("Grandparent"), FamilyRelation.GRANDCHILD: N_("Grandchild"),
    FamilyRelation.SIBLING: N_("Brother or sister"), FamilyRelation.OTHER: N_("Other relative"),
}
FLASHES = {"family_requested": N_("Request sent. If the number and phone digits are right, your family member sees it on their page; the link appears here once they confirm."),  # noqa: E501 - one literal for the catalogue
           "family_confirmed": N_("Confirmed: you can now give each other points."),
           "family_declined": N_("You declined the request."),
           "family_revoked": N_("The link is removed.")}
# Refusals the family section explains itself (the domain codes are in friendly.MESSAGES).
_OWN_ERRORS = {"rate_limited": N_("Too many tries in a short time. Please wait an hour and try again.")}


# The answers to a link, each with the outcome /me announces.
_ANSWERS = {"confirm": (family.confirm_link, "family_confirmed"), "decline": (family.decline_link, "family_declined"),
            "revoke": (family.revoke_link, "family_revoked")}


def _state(link: FamilyLinkOut) -> str:
    if link.status == FamilyLinkStatus.CONFIRMED:
        return N_("Confirmed")
    # Requests the volunteer made are not listed before they are confirmed (see family.my_links).
    return N_("Waiting for your answer")


async def family_section(session: AsyncSession, principal: Principal, error_code: str | None, *,
                         links: list[FamilyLinkOut] | None = None) -> dict[str, Any]:
    """What _family.html needs: open links, the volunteer's own number to pass on, the relations, a refusal.
    `links`: the caller's links when the page has read them already (the gift section needs them too)."""
    links = await family.my_links(session, principal=principal) if links is None else links
    me = await get_volunteer(session, principal.require_volunteer())
    rows = [{"id": link.id, "name": link.other_name, "relation": RELATION_LABELS.get(link.relation_to_me or "", link.relation_to_me or ""),
             "state": _state(link), "waiting_for_me": link.waiting_for_me}
            for link in links if link.status in FamilyLinkStatus.OPEN]
    problem = friendly.MESSAGES.get(error_code or "") or _OWN_ERRORS.get(error_code or "")
    return {"family": rows, "family_waiting": sum(1 for r in rows if r["waiting_for_me"]),
            "my_number": me.number if me else "", "relations": list(RELATION_LABELS.items()),
            "family_error": problem}


async def _after(request: Request, db_session: AsyncSession, principal: Principal,
                 work: Callable[[], Awaitable[object]], done: str) -> Response:
    try:
        await work()
    except DomainError as exc:
        await db_session.rollback()
        if exc.code in friendly.MESSAGES or exc.code in _OWN_ERRORS:
            return redirect(request, f"/me?family_error={exc.code}#family")
        _ = i18n.translator(lang_of(request))
        return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                      message=friendly.explain(exc, _))
    return redirect(request, f"/me?done={done}#family")


class FamilyPages(Controller):
    path = "/me/family"
    include_in_schema = False

    @post("/")
    async def ask(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Ask a family member to confirm a link (their number and their phone's last 4 digits); the same outcome
        whether or not they matched."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        data = FamilyLinkRequestIn(volunteer_number=forms.text(form, "volunteer_number"),
                                   phone_last4=forms.text(form, "phone_last4"), relation=forms.text(form, "relation"))

        async def work() -> None:
            await family.limit_lookups(request.app.state.settings, principal, volunteer_number=data.volunteer_number,
                                       client_address=client_ip(request))
            await family.request_link(db_session, principal=principal, data=data)

        return await _after(request, db_session, principal, work, "family_requested")

    @post("/{link_id:int}/{action:str}")
    async def answer(self, request: Request, link_id: int, action: str, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """confirm (yes, we are family), decline (no, we are not), revoke (remove a link or withdraw my request)."""
        principal = require_login(optional_principal)
        if action not in _ANSWERS:
            raise NotFoundException()
        change, done = _ANSWERS[action]
        return await _after(request, db_session, principal,
                            lambda: change(db_session, principal=principal, link_id=link_id), done)
