"""账号认领 on the organiser's volunteer list: sign-ups that asked for the login of a volunteer record wait here
until an organiser has checked with the person (see volunteers/registration.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError
from servicebank.volunteers import claims
from servicebank.volunteers.claim_routes import claim_views
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

N_ = i18n.N_
FLASHES = {"claim_approve": N_("Approved: they can log in with that phone and the password they chose."),
           "claim_decline": N_("Declined: no login was given.")}
_DECISIONS = {"approve": claims.approve_claim, "decline": claims.decline_claim}


async def claims_section(session: AsyncSession, principal: Principal, community_id: int) -> dict[str, Any]:
    """What volunteers.html shows of the pending claims (organisers only)."""
    if not principal.manages(community_id):
        return {"claims": []}
    rows = await claims.community_claims(session, principal=principal, community_id=community_id)
    return {"claims": await claim_views(session, rows)}


class ClaimPages(Controller):
    path = "/manage/login-claims"
    include_in_schema = False

    @post("/{claim_id:int}/{action:str}")
    async def decide(self, request: Request, claim_id: int, action: str, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """approve (the person is who they say, checked by phone or in person) or decline."""
        principal = require_login(optional_principal)
        if action not in _DECISIONS:
            raise NotFoundException()
        try:
            claim = await _DECISIONS[action](db_session, principal=principal, claim_id=claim_id)
        except DomainError as exc:
            await db_session.rollback()
            _ = i18n.translator(lang_of(request))
            return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                          message=friendly.explain(exc, _))
        return redirect(request, f"/manage/volunteers?community={claim.community_id}&done=claim_{action}")
