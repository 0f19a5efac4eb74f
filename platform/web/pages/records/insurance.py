"""保险 on the pages: organisers record a volunteer's policy on the volunteer page and an activity's group policy on
the activity page; the volunteer sees their cover on 我的."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.records import insurance
from servicebank.records.insurance_views import CoverOut, present
from servicebank.web import forms, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.records.no_shows import refused
from servicebank.web.render import redirect

FLASHES = {"cover_recorded": i18n.N_("The insurance cover is recorded.")}


def _cover(form: dict[str, Any]) -> insurance.CoverIn:
    try:
        valid_from = dt.date.fromisoformat(forms.text(form, "valid_from"))
        valid_until = dt.date.fromisoformat(forms.text(form, "valid_until"))
    except ValueError:
        # The page shows the code's words from the registry (error_codes.py).
        raise InvalidInput("Give the days the policy covers.", code="invalid_cover") from None
    return insurance.CoverIn(insurer=forms.text(form, "insurer"), policy_number=forms.text(form, "policy_number"),
                             valid_from=valid_from, valid_until=valid_until)


async def section(session: AsyncSession, principal: Principal, *, volunteer_id: int) -> dict[str, Any]:
    """What the 保险 section of the volunteer page and 我的 shows: the volunteer's own policies."""
    return {"covers": present(session, await insurance.of_volunteer(session, principal=principal,
                                                                    volunteer_id=volunteer_id))}


async def activity_covers(session: AsyncSession, principal: Principal, activity: Activity) -> list[CoverOut] | None:
    """The activity's group policies, for its organisers (None: the section is not shown)."""
    if not principal.manages(activity.community_id):
        return None
    return present(session, await insurance.of_activity(session, principal=principal, activity_id=activity.id))


class InsurancePages(Controller):
    path = "/manage"
    include_in_schema = False

    @post("/volunteers/{volunteer_id:int}/insurance")
    async def add_for_volunteer(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                                optional_principal: Principal | None) -> Response:
        """An organiser records a volunteer's own policy they have seen."""
        principal = require_login(optional_principal)
        try:
            await insurance.record_for_volunteer(db_session, principal=principal, volunteer_id=volunteer_id,
                                                 data=_cover(forms.values(await request.form())))
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, f"/manage/volunteers/{volunteer_id}?done=cover_recorded#insurance")

    @post("/activities/{activity_id:int}/insurance")
    async def add_for_activity(self, request: Request, activity_id: int, db_session: AsyncSession,
                               optional_principal: Principal | None) -> Response:
        """An organiser records a group policy covering everyone taking part in the activity."""
        principal = require_login(optional_principal)
        try:
            await insurance.record_for_activity(db_session, principal=principal, activity_id=activity_id,
                                                data=_cover(forms.values(await request.form())))
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, f"/manage/activities/{activity_id}?done=cover_recorded#insurance")
