"""补录 on the pages: the volunteer claims a past service with photos (phone); organisers decide (desktop)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError
from servicebank.org import service as org
from servicebank.records import claim_views, claims, correction_views
from servicebank.records.models import ClaimStatus, CorrectionStatus
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.records import corrections as pages_corrections
from servicebank.web.pages.records.no_shows import refused
from servicebank.web.render import lang_of, redirect, render

N_ = i18n.N_
FLASHES = {"claim_sent": N_("Your claim is sent. The organiser checks it and the hours count once approved."),
           "claim_approved": N_("The claim is approved and its hours are counted."),
           "claim_declined": N_("The claim is declined; the volunteer is told why."), **pages_corrections.FLASHES}


async def _my_page(request: Request, session: AsyncSession, principal: Principal, *, form: dict[str, Any],
                   error: str | None, status_code: int = 200, done: str | None = None) -> Response:
    _ = i18n.translator(lang_of(request))
    settings = request.app.state.settings
    activities, organisations = await claims.form_choices(session, settings=settings, principal=principal,
                                                          now=utcnow())
    rows = await claim_views.of_volunteer(session, principal=principal, volunteer_id=principal.require_volunteer())
    return render(request, "records/my_claims.html", principal, status_code=status_code, title=_("Claim a past service"),
                  claims=rows, activities=activities, organisations=organisations, form=form, error=error,
                  max_age_days=settings.claim_max_age_days, flash=_(FLASHES[done]) if done in FLASHES else None,
                  **await pages_corrections.section(session, request, principal))


class LateClaimPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/me/claims")
    async def mine(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   done: str | None = None) -> Response:
        """My late claims and the form to claim a past service."""
        principal = require_login(optional_principal)
        return await _my_page(request, db_session, principal, form={}, error=None, done=done)

    @post("/me/claims")
    async def submit(self, request: Request, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Send a claim with up to three photos (multipart)."""
        principal = require_login(optional_principal)
        settings = request.app.state.settings
        raw = await request.form()
        form = {k: v for k, v in forms.values(raw).items() if k != "photos"}
        try:
            data, photos = await claim_views.read_submission(raw, timezone=settings.timezone)
            await claims.submit(db_session, settings=settings, principal=principal, data=data, photos=photos,
                                now=utcnow())
        except DomainError as exc:
            message = await friendly.refused(request, db_session, exc)
            return await _my_page(request, db_session, principal, form=form, error=message,
                                  status_code=exc.status_code)
        return redirect(request, "/me/claims?done=claim_sent")

    @get("/manage/claims")
    async def review(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                     community: int | None = None, done: str | None = None) -> Response:
        """The claims waiting for this community's decision, with their photos; the recent decisions below."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        rows = await claim_views.for_community(db_session, principal=principal, community_id=chosen.id, status=None)
        asked = await correction_views.for_community(db_session, principal=principal, community_id=chosen.id,
                                                     status=CorrectionStatus.PENDING)
        return render(request, "records/manage_claims.html", principal, title=_("Late claims"), community=chosen,
                      choices=choices, waiting=[c for c in rows if c.status == ClaimStatus.PENDING], asked=asked,
                      decided=[c for c in rows if c.status != ClaimStatus.PENDING][:30],
                      flash=_(FLASHES[done]) if done in FLASHES else None)

    @post("/manage/claims/{claim_id:int}/approve")
    async def approve(self, request: Request, claim_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Confirm the claim: its hours are posted once."""
        return await _decide(request, db_session, optional_principal, claim_id, approve=True)

    @post("/manage/claims/{claim_id:int}/decline")
    async def decline(self, request: Request, claim_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Turn the claim down with a reason."""
        return await _decide(request, db_session, optional_principal, claim_id, approve=False)


async def _decide(request: Request, session: AsyncSession, principal: Principal | None, claim_id: int, *,
                  approve: bool) -> Response:
    principal = require_login(principal)
    reason = forms.text(forms.values(await request.form()), "reason")
    try:
        claim = await claim_views.decide(session, principal=principal, claim_id=claim_id, approve=approve,
                                         reason=reason, now=utcnow())
    except DomainError as exc:
        return await refused(request, session, principal, exc)
    done = "claim_approved" if approve else "claim_declined"
    return redirect(request, f"/manage/claims?community={claim.community_id}&done={done}")
