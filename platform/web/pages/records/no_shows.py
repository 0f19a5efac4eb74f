"""Organisers decide held sign-ups and excuse no-shows from the activity and volunteer pages."""

from __future__ import annotations

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import held_signups
from servicebank.kernel.errors import DomainError
from servicebank.records import views
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

FLASHES = {"held_approved": i18n.N_("The sign-up is approved."), "held_declined": i18n.N_("The sign-up is declined."),
           "excused": i18n.N_("The no-show is excused and no longer counts.")}


async def refused(request: Request, db_session: AsyncSession, principal: Principal, exc: DomainError) -> Response:
    """The refusal in plain words, nothing changed."""
    await db_session.rollback()
    _ = i18n.translator(lang_of(request))
    return render(request, "error.html", principal, status_code=exc.status_code, title=_("Sorry"),
                  message=friendly.explain(exc, _))


class NoShowPages(Controller):
    path = "/manage"
    include_in_schema = False

    @post("/activities/{activity_id:int}/held/{volunteer_id:int}/approve")
    async def approve(self, request: Request, activity_id: int, volunteer_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Let a sign-up the no-show policy held take a place (or join the waitlist)."""
        return await _decide(request, db_session, optional_principal, activity_id, volunteer_id, approve=True)

    @post("/activities/{activity_id:int}/held/{volunteer_id:int}/decline")
    async def decline(self, request: Request, activity_id: int, volunteer_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Turn down a sign-up the no-show policy held."""
        return await _decide(request, db_session, optional_principal, activity_id, volunteer_id, approve=False)

    @post("/no-shows/{no_show_id:int}/excuse")
    async def excuse(self, request: Request, no_show_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Excuse a no-show with a reason (audited)."""
        principal = require_login(optional_principal)
        reason = forms.text(forms.values(await request.form()), "reason")
        try:
            row = await views.excuse_out(db_session, principal=principal, no_show_id=no_show_id, reason=reason)
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, f"/manage/volunteers/{row.volunteer_id}?done=excused#no-shows")


async def _decide(request: Request, db_session: AsyncSession, principal: Principal | None, activity_id: int,
                  volunteer_id: int, *, approve: bool) -> Response:
    principal = require_login(principal)
    reason = forms.text(forms.values(await request.form()), "reason") or None
    try:
        await held_signups.decide(db_session, principal=principal, activity_id=activity_id,
                                  volunteer_id=volunteer_id, approve=approve, reason=reason)
    except DomainError as exc:
        return await refused(request, db_session, principal, exc)
    return redirect(request, f"/manage/activities/{activity_id}?done={'held_approved' if approve else 'held_declined'}")
