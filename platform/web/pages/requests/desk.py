"""The organiser's 派单台 on the desktop: the queue by urgency and age, approve/decline, one-click assign."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError
from servicebank.requests import dispatch, matching, views
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.requests.common import PAYER, STATUS, URGENCY, community_of, window_text
from servicebank.web.render import lang_of, redirect, render

DONE = {"ordered": i18n.N_("The request is recorded."), "approved": i18n.N_("Approved."),
        "declined": i18n.N_("Declined; the resident is told."), "assigned": i18n.N_("Assigned; the volunteer is told."),
        "opened": i18n.N_("Now in the request hall."), "rated": i18n.N_("Thank you for your rating!"),
        "to_team": i18n.N_("Given to the team; its members are told.")}
DISTANCE = {matching.SAME_GRID: i18n.N_("same grid"), matching.SAME_COMMUNITY: i18n.N_("same community"),
            matching.OTHER: i18n.N_("other community")}
WAITING = ["pending_review", "awaiting_dispatch", "open"]
ACTIVE = ["accepted", "in_service", "awaiting_rating"]


class RequestDeskPages(Controller):
    path = "/manage/requests"
    include_in_schema = False

    @get("/")
    async def desk(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   community_id: int | None = None, done: str | None = None) -> Response:
        principal = require_login(optional_principal)
        return await _desk(request, db_session, principal, community_of(principal, community_id), None, done)

    @post("/{request_id:int}")
    async def act(self, request: Request, request_id: int, db_session: AsyncSession,
                  optional_principal: Principal | None, community_id: int | None = None) -> Response:
        """approve, decline (with a reason), assign (to the chosen volunteer), open (to the hall)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        action = forms.text(form, "action")
        community = community_of(principal, community_id)
        try:
            if action in ("approve", "decline"):
                await dispatch.review(db_session, principal=principal, request_id=request_id,
                                      approve=action == "approve", reason=forms.text(form, "reason"))
            else:
                volunteer = forms.whole(form, "volunteer_id", "Please choose a volunteer.") if action == "assign" else None
                team = forms.whole(form, "team_id", "Please choose a team.") if action == "team" else None
                await dispatch.dispatch(db_session, principal=principal, request_id=request_id, volunteer_id=volunteer,
                                        open_to_hall=action == "open", team_id=team)
        except DomainError as exc:
            await db_session.rollback()
            return await _desk(request, db_session, principal, community,
                               friendly.explain(exc, i18n.translator(lang_of(request))), None)
        done = {"approve": "approved", "decline": "declined", "assign": "assigned", "open": "opened",
                "team": "to_team"}.get(action, "")
        return redirect(request, f"/manage/requests?community_id={community}&done={done}")


async def _desk(request: Request, db_session: AsyncSession, principal: Principal, community_id: int,
                error: str | None, done: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    waiting = await views.queue(db_session, principal=principal, community_id=community_id, statuses=WAITING)
    active = await views.queue(db_session, principal=principal, community_id=community_id, statuses=ACTIVE)
    candidates = await matching.candidates(db_session, principal=principal, community_id=community_id)
    teams = await matching.team_candidates(db_session, principal=principal, community_id=community_id)
    return render(request, "requests/desk.html", principal, status_code=422 if error else 200,
                  title=_("Dispatch desk"), waiting=waiting, active=active, candidates=candidates,
                  teams=teams, community_id=community_id, status=STATUS, urgency=URGENCY, payers=PAYER, error=error,
                  near=lambda row: matching.nearest_first(candidates, grid_id=row.grid_id, community_id=community_id),
                  distance=DISTANCE,
                  windows=lambda r: window_text(request, r.windows), flash=_(DONE[done]) if done in DONE else None)
