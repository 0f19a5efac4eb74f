"""Corrections on the pages: the volunteer asks under a record (我的, 补录服务); organisers decide on 补录审核."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.records import claims, correction_views
from servicebank.records.schemas import CorrectionIn
from servicebank.web import forms, i18n
from servicebank.web.guard import require_login, safe_next
from servicebank.web.pages.records.no_shows import refused
from servicebank.web.render import redirect

N_ = i18n.N_
FLASHES = {"correction_sent": N_("Your correction request is sent. The organiser checks it."),
           "correction_accepted": N_("The record is corrected: what it counted is reversed and posted again."),
           "correction_declined": N_("The correction is declined; the volunteer is told why.")}


async def section(session: AsyncSession, request: Request, principal: Principal) -> dict[str, Any]:
    """What the correction forms under a volunteer's records need: their requests by record, the activities."""
    activities, _organisations = await claims.form_choices(session, settings=request.app.state.settings,
                                                           principal=principal, now=utcnow())
    rows = await correction_views.of_volunteer(session, principal=principal, volunteer_id=principal.require_volunteer())
    return {"corrections": correction_views.by_record(rows), "fix_activities": activities}


def _request(form: dict[str, Any], timezone: str) -> CorrectionIn:
    def number(name: str) -> int | None:
        raw = forms.text(form, name)
        if raw and not raw.isdigit():
            raise InvalidInput("Choose the record to correct.", code="correction_target_required")
        return int(raw) if raw else None
    try:
        started, ended = (forms.parse_local(forms.text(form, n), timezone) for n in ("started_at", "ended_at"))
    except InvalidInput:
        raise InvalidInput("Give the start and end time.", code="correction_invalid_times") from None
    return CorrectionIn(started_at=started, ended_at=ended, reason=forms.text(form, "reason"),
                        attendance_id=number("attendance_id"), claim_id=number("claim_id"),
                        activity_id=number("activity_id"))


class CorrectionPages(Controller):
    path = "/"
    include_in_schema = False

    @post("/me/corrections")
    async def ask(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Ask to correct one of my records."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        try:
            await correction_views.request(db_session, principal=principal, now=utcnow(),
                                           data=_request(form, request.app.state.settings.timezone))
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        back = safe_next(forms.text(form, "back"), "/me")
        path, _, anchor = back.partition("#")
        return redirect(request, f"{path}?done=correction_sent" + (f"#{anchor}" if anchor else ""))

    @post("/manage/corrections/{correction_id:int}/accept")
    async def accept(self, request: Request, correction_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Correct the record: a reversal plus a new posting."""
        return await _decide(request, db_session, optional_principal, correction_id, accept=True)

    @post("/manage/corrections/{correction_id:int}/decline")
    async def decline(self, request: Request, correction_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Keep the record, saying why."""
        return await _decide(request, db_session, optional_principal, correction_id, accept=False)


async def _decide(request: Request, session: AsyncSession, principal: Principal | None, correction_id: int, *,
                  accept: bool) -> Response:
    principal = require_login(principal)
    reason = forms.text(forms.values(await request.form()), "reason")
    try:
        done = await correction_views.decide(session, principal=principal, correction_id=correction_id, accept=accept,
                                             reason=reason, now=utcnow())
    except DomainError as exc:
        return await refused(request, session, principal, exc)
    flash = "correction_accepted" if accept else "correction_declined"
    return redirect(request, f"/manage/claims?community={done.community_id}&done={flash}#corrections")
