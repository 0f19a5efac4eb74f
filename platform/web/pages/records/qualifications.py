"""Certificates on the pages: organisers record and check them on the volunteer page; volunteers add their own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.records import qualification_views, qualifications
from servicebank.records.schemas import QualificationIn
from servicebank.web import forms, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.records.no_shows import refused
from servicebank.web.render import redirect

FLASHES = {"qualification_added": i18n.N_("The certificate is recorded."),
           "qualification_checked": i18n.N_("The certificate is checked.")}


def _certificate(form: dict[str, Any]) -> QualificationIn:
    try:
        valid_until = dt.date.fromisoformat(forms.text(form, "valid_until"))
    except ValueError:
        raise InvalidInput("Give the valid-until date.", code="invalid_qualification") from None
    return QualificationIn(qualification_code=forms.text(form, "qualification_code"), issuer=forms.text(form, "issuer"),
                           number=forms.text(form, "number"), valid_until=valid_until)


async def section(session: AsyncSession, principal: Principal, *, volunteer_id: int,
                  community_id: int) -> dict[str, Any]:
    """What the certificate sections of the volunteer page and 我的 show."""
    return {"qualifications": await qualification_views.of_volunteer(session, principal=principal,
                                                                     volunteer_id=volunteer_id),
            "qualification_types": await qualifications.types_for(session, community_id=community_id)}


class QualificationPages(Controller):
    path = "/"
    include_in_schema = False

    @post("/manage/volunteers/{volunteer_id:int}/qualifications")
    async def add(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                  optional_principal: Principal | None) -> Response:
        """An organiser records a certificate they have seen (checked at once)."""
        principal = require_login(optional_principal)
        try:
            data = _certificate(forms.values(await request.form()))
            await qualification_views.add(db_session, principal=principal, volunteer_id=volunteer_id, data=data)
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, f"/manage/volunteers/{volunteer_id}?done=qualification_added#qualifications")

    @post("/manage/qualifications/{qualification_id:int}/verify")
    async def verify(self, request: Request, qualification_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """An organiser records that they saw a certificate a volunteer entered."""
        principal = require_login(optional_principal)
        try:
            row = await qualification_views.verify(db_session, principal=principal, qualification_id=qualification_id)
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, f"/manage/volunteers/{row.volunteer_id}?done=qualification_checked#qualifications")

    @post("/me/qualifications")
    async def add_mine(self, request: Request, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """A volunteer records their own certificate; it counts once an organiser has checked it."""
        principal = require_login(optional_principal)
        try:
            data = _certificate(forms.values(await request.form()))
            await qualification_views.add(db_session, principal=principal, volunteer_id=principal.require_volunteer(),
                                          data=data)
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, "/me?done=qualification_added#my-qualifications")
