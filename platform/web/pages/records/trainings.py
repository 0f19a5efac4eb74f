"""培训情况 on the pages: organisers record a course on the volunteer page; the volunteer sees theirs on 我的, and the
sign-up list says which activities require a training first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.records import training_requirements, trainings
from servicebank.records.schemas import TrainingIn
from servicebank.web import forms, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.records.no_shows import refused
from servicebank.web.render import redirect

FLASHES = {"training_recorded": i18n.N_("The training is recorded.")}


async def section(session: AsyncSession, principal: Principal, *, volunteer_id: int,
                  form_action: str | None) -> dict[str, Any]:
    """What the 培训情况 section shows (the form only where an organiser records)."""
    return {"trainings": await trainings.summary(session, principal=principal, volunteer_id=volunteer_id),
            "training_form_action": form_action}


async def needs_section(session: AsyncSession, activities: list) -> dict[str, Any]:
    """The trainings each listed activity's kind requires, keyed by (community, kind), for the sign-up list."""
    return {"training_needs": await training_requirements.kinds_need(session, {a.community_id for a in activities})}


def _course(form: dict[str, Any]) -> TrainingIn:
    try:
        return TrainingIn(category=forms.text(form, "category"), title=forms.text(form, "title"),
                          provider=forms.text(form, "provider"),
                          trained_on=dt.date.fromisoformat(forms.text(form, "trained_on")),
                          minutes=int(forms.text(form, "minutes")))
    except ValueError:
        # The page shows the code's words from the registry (error_codes.py).
        raise InvalidInput("A day and a whole number of minutes are needed.", code="invalid_training") from None


class TrainingPages(Controller):
    path = "/manage/volunteers"
    include_in_schema = False

    @post("/{volunteer_id:int}/trainings")
    async def add(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                  optional_principal: Principal | None) -> Response:
        """An organiser records a course the volunteer took."""
        principal = require_login(optional_principal)
        try:
            await trainings.record(db_session, principal=principal, volunteer_id=volunteer_id, now=utcnow(),
                                   data=_course(forms.values(await request.form())))
        except DomainError as exc:
            return await refused(request, db_session, principal, exc)
        return redirect(request, f"/manage/volunteers/{volunteer_id}?done=training_recorded#trainings")
