"""Serving at the resident's door by scanning: the page a phone opens from the household's 门牌码 (/d/{token}),
the 网格员's card scan (/requests/card-scan) and the printable 门牌码 (/manage/households/{id}/door-code)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError
from servicebank.kernel.qr import qr_data_uri
from servicebank.requests import access, door_code, scanning, service
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.requests.common import community_of
from servicebank.web.render import lang_of, redirect, render

CARD_DONE = {scanning.STARTED: i18n.N_("Service started for the volunteer. Scan the card again when it is over."),
             scanning.FINISHED: i18n.N_("Service finished and recorded. Thank you!")}


class DoorPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/d/{token:str}")
    async def door(self, request: Request, token: str, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """What the volunteer's phone opens from the 门牌码: the one button that comes next at this home."""
        return await _door(request, db_session, require_login(optional_principal), token, None)

    @post("/d/{token:str}")
    async def scan_door(self, request: Request, token: str, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """Start (or finish) the task here, with the phone's position for the community's geofence."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        try:
            scanned = await scanning.scan_door(db_session, settings=request.app.state.settings, principal=principal,
                                               token=token, position=forms.position(form))
        except DomainError as exc:
            await db_session.rollback()
            return await _door(request, db_session, principal, token,
                               friendly.explain(exc, i18n.translator(lang_of(request))))
        return redirect(request, f"/requests/tasks?done={scanned.step}#request-{scanned.request.id}")

    @get("/requests/card-scan")
    async def card_page(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                        community_id: int | None = None, household_id: int | None = None,
                        done: str | None = None) -> Response:
        """The 网格员 at the door scans the volunteer's card: the first scan starts, the next finishes."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        return await _card_page(request, db_session, principal, community_of(principal, community_id), household_id,
                                None, _(CARD_DONE[done]) if done in CARD_DONE else None)

    @post("/requests/card-scan")
    async def scan_card(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                        community_id: int | None = None) -> Response:
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        community = community_of(principal, community_id)
        household_id = forms.whole(form, "household_id", "Please choose a household.") \
            if forms.text(form, "household_id") else None
        try:
            scanned = await scanning.scan_card(db_session, settings=request.app.state.settings, principal=principal,
                                               card=forms.text(form, "card"), household_id=household_id,
                                               position=forms.position(form))
        except DomainError as exc:
            await db_session.rollback()
            return await _card_page(request, db_session, principal, community, household_id,
                                    friendly.explain(exc, i18n.translator(lang_of(request))), None)
        return redirect(request, f"/requests/card-scan?community_id={community}&done={scanned.step}")

    @get("/manage/households/{household_id:int}/door-code")
    async def print_door_code(self, request: Request, household_id: int, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """The 门牌码 to print and put on the household's door (organisers and 网格员)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        code = await door_code.get(db_session, settings=request.app.state.settings, principal=principal,
                                   household_id=household_id)
        household = await door_code.household(db_session, principal=principal, household_id=household_id)
        return render(request, "requests/door_code.html", principal, title=_("Door code"), household=household,
                      qr=qr_data_uri(code.url), version=code.version)


async def _door(request: Request, db_session: AsyncSession, principal: Principal, token: str,
                error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    household, step = None, None
    try:
        household, step = await scanning.at_door(db_session, settings=request.app.state.settings, principal=principal,
                                                 token=token)
    except DomainError as exc:
        error = error or friendly.explain(exc, _)
    return render(request, "requests/door.html", principal, status_code=409 if error else 200,
                  title=_("At the resident's door"), token=token, household=household, step=step, error=error,
                  staff=household is not None and principal.works_in(household.community_id))


async def _card_page(request: Request, db_session: AsyncSession, principal: Principal, community_id: int,
                     household_id: int | None, error: str | None, flash: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    access.require_staff(principal, community_id)
    households = await service.households(db_session, principal=principal, community_id=community_id)
    return render(request, "requests/card_scan.html", principal, status_code=409 if error else 200,
                  title=_("Scan the volunteer's card"), households=households, household_id=household_id,
                  community_id=community_id, error=error, flash=flash)
