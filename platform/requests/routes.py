"""HTTP API of residents' requests: households, 点单, 审核/派单, 接单, start/finish, 评单, cancel."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Controller, MediaType, Request, Response, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import provide_principal, token_from_request
from servicebank.accounts.principal import Principal
from servicebank.kernel.qr import ImageFormat, qr_image
from servicebank.requests import dispatch, door_code, matching, ratings, scanning, service, serving, views
from servicebank.requests.models import Household, RequestPolicy
from servicebank.requests.ratings import rating_summary_out
from servicebank.requests.schemas import (
    CancelIn,
    CandidateOut,
    CategoryOut,
    DispatchIn,
    DoorCodeOut,
    HouseholdIn,
    HouseholdOut,
    PolicyIn,
    PositionIn,
    RatingIn,
    RatingSummaryOut,
    RequestIn,
    RequestOut,
    ReviewIn,
    ScanIn,
    ScanOut,
    TeamCandidateOut,
)


def household_out(h: Household) -> HouseholdOut:
    return HouseholdOut(id=h.id, community_id=h.community_id, grid_id=h.grid_id, building=h.building, unit=h.unit,
                        name=h.name, phone=h.phone, volunteer_id=h.volunteer_id, latitude=h.latitude,
                        longitude=h.longitude)


def policy_out(p: RequestPolicy) -> PolicyIn:
    return PolicyIn(escalate_after_minutes=p.escalate_after_minutes, pool_monthly_limit=p.pool_monthly_limit,
                    contact_days_after=p.contact_days_after, geofence_metres=p.geofence_metres)


_REQUEST_EXAMPLE = Example(value={
    "household_id": 3, "category_id": 12, "description": "帮忙买米和油，送到家", "urgency": 0,
    "windows": [{"start": "2026-12-08T01:00:00Z", "end": "2026-12-08T03:00:00Z"}], "payer": "pool",
    "estimated_minutes": 60})



def _json_list(written: str) -> Response[list[RequestOut]]:
    """A list PostgreSQL wrote as the API's JSON (requests/page_json.py), sent as it is."""
    return cast("Response[list[RequestOut]]", Response(written.encode(), media_type=MediaType.JSON))

class CommunityRequestController(Controller):
    path = "/api/communities/{community_id:int}"
    tags = ["requests"]

    @get("/request-categories")
    async def categories(self, db_session: AsyncSession, principal: Principal, community_id: int) -> list[CategoryOut]:
        """The community's kinds of help (代购, 助餐/送餐, 陪诊, ...). Members of the community."""
        rows = await service.categories(db_session, principal=principal, community_id=community_id)
        return [CategoryOut(id=c.id, name=c.name) for c in rows]

    @get("/households")
    async def households(self, db_session: AsyncSession, principal: Principal, community_id: int,
                         q: str | None = None) -> list[HouseholdOut]:
        """Staff: the community's household records (search by name or building); a resident: their own."""
        rows = await service.households(db_session, principal=principal, community_id=community_id, search=q)
        return [household_out(h) for h in rows]

    @get("/request-queue")
    async def queue(self, db_session: AsyncSession, principal: Principal, community_id: int,
                    status: list[str] | None = None, limit: int = 50, offset: int = 0) -> Response[list[RequestOut]]:
        """派单台: requests waiting for review, dispatch or a volunteer, most urgent and oldest first. Organisers."""
        written = await views.queue_json(db_session, principal=principal, community_id=community_id, statuses=status,
                                         limit=limit, offset=offset)
        return _json_list(written) if written is not None else Response(await views.queue(
            db_session, principal=principal, community_id=community_id, statuses=status, limit=limit, offset=offset))

    @get("/request-candidates")
    async def candidates(self, db_session: AsyncSession, principal: Principal, community_id: int,
                         request_id: int | None = None) -> list[CandidateOut]:
        """Volunteers to assign: skill tags, open tasks, average rating and, for `request_id`, the distance in grids
        (`same_grid`, `same_community`, `other`); nearest, then least loaded, then best rated first. Organisers."""
        return await matching.candidates(db_session, principal=principal, community_id=community_id,
                                         request_id=request_id)

    @get("/request-team-candidates")
    async def team_candidates(self, db_session: AsyncSession, principal: Principal, community_id: int,
                              request_id: int | None = None) -> list[TeamCandidateOut]:
        """Teams to open a request to: active members, how many live in the request's grid, their open tasks and
        average rating; most members nearby, then least loaded first. Organisers."""
        return await matching.team_candidates(db_session, principal=principal, community_id=community_id,
                                              request_id=request_id)

    @get("/request-policy")
    async def get_policy(self, db_session: AsyncSession, principal: Principal, community_id: int) -> PolicyIn:
        return policy_out(await service.get_policy(db_session, principal=principal, community_id=community_id))

    @put("/request-policy")
    async def set_policy(self, db_session: AsyncSession, principal: Principal, community_id: int,
                         data: PolicyIn) -> PolicyIn:
        """Escalation time, the pool's monthly limit per household, contact visibility after the service.
        Organisers. 422 `request_policy_invalid`."""
        return policy_out(await service.set_policy(db_session, principal=principal, community_id=community_id,
                                                   data=data))


class RequestController(Controller):
    path = "/api"
    tags = ["requests"]

    @post("/households", status_code=201)
    async def add_household(self, db_session: AsyncSession, principal: Principal, data: HouseholdIn) -> HouseholdOut:
        """A household record (name, grid, building/unit, optional phone). Organisers and team leaders (网格员).
        422 `grid_not_found` / `household_incomplete`."""
        return household_out(await service.add_household(db_session, principal=principal, data=data))

    @get("/households/{household_id:int}/door-code")
    async def door_code(self, request: Request, db_session: AsyncSession, principal: Principal, household_id: int,
                        format_: Annotated[ImageFormat, QueryParameter(name="format")] = "json") -> Response[Any]:
        """The household's printed 门牌码 (JSON, or SVG/PNG to print). Organisers and 网格员 of its community."""
        code = await door_code.get(db_session, settings=request.app.state.settings, principal=principal,
                                   household_id=household_id)
        if format_ == "json":
            return Response(DoorCodeOut(household_id=code.household_id, version=code.version, token=code.token,
                                        url=code.url), headers={"Cache-Control": "no-store"})
        body, media_type = qr_image(code.url, format_)
        return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})

    @post("/households/{household_id:int}/door-code/reissue", status_code=200)
    async def reissue_door_code(self, request: Request, db_session: AsyncSession, principal: Principal,
                                household_id: int, data: CancelIn) -> DoorCodeOut:
        """A new 门牌码 (`reason` required): every earlier print stops working (403 `door_code_revoked`). Audited."""
        code = await door_code.reissue(db_session, settings=request.app.state.settings, principal=principal,
                                       household_id=household_id, reason=data.reason)
        return DoorCodeOut(household_id=code.household_id, version=code.version, token=code.token, url=code.url)

    @put("/households/{household_id:int}/position")
    async def set_position(self, db_session: AsyncSession, principal: Principal, household_id: int,
                           data: PositionIn) -> HouseholdOut:
        """Where the household's door is, for the geofence (both null to forget it). Staff of its community.
        422 `household_position_invalid`."""
        return household_out(await door_code.set_position(db_session, principal=principal, household_id=household_id,
                                                          latitude=data.latitude, longitude=data.longitude))

    @post("/requests", status_code=201)
    async def create(self, db_session: AsyncSession, principal: Principal,
                     data: Annotated[RequestIn, Body(examples=[_REQUEST_EXAMPLE])]) -> RequestOut:
        """点单, by the resident or by staff on their behalf (代下单). payer: self, family (payer_volunteer_id),
        pool, none. 422 `request_category_unknown` / `request_window_past` / `request_window_invalid` /
        `request_payer_invalid` / `payer_has_no_account`, 403 `payer_not_family`, 409 `payer_balance_too_low` /
        `pool_monthly_limit`, 404 `household_not_found`."""
        request = await service.create(db_session, principal=principal, data=data)
        return await views.shown(db_session, principal=principal, request_id=request.id)

    @get("/volunteers/{volunteer_id:int}/request-ratings")
    async def ratings_received(self, db_session: AsyncSession, principal: Principal,
                               volunteer_id: int) -> RatingSummaryOut | None:
        """评价情况: the residents' ratings of the volunteer's services (count, average stars, the tags most given);
        null before the first. The volunteer and staff of their community; 404 `volunteer_not_found` otherwise."""
        return rating_summary_out(await ratings.of_volunteer(db_session, principal=principal,
                                                             volunteer_id=volunteer_id))

    @get("/requests/hall")
    async def hall(self, db_session: AsyncSession, principal: Principal, limit: int = 50,
                   offset: int = 0) -> Response[list[RequestOut]]:
        """接单大厅: open requests of my community (no address or phone before accepting)."""
        written = await views.hall_json(db_session, principal=principal, limit=limit, offset=offset)
        return _json_list(written) if written is not None else Response(await views.hall(
            db_session, principal=principal, limit=limit, offset=offset))

    @get("/requests/mine")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> list[RequestOut]:
        """My tasks as a volunteer (accepted, in service, awaiting rating)."""
        return await views.my_tasks(db_session, principal=principal)

    @get("/requests/{request_id:int}")
    async def one(self, db_session: AsyncSession, principal: Principal, request_id: int) -> RequestOut:
        return await views.one(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/review", status_code=200)
    async def review(self, db_session: AsyncSession, principal: Principal, request_id: int,
                     data: ReviewIn) -> RequestOut:
        """Approve, or decline with a reason (422 `reason_required`). Organisers. 409 `request_wrong_state`."""
        await dispatch.review(db_session, principal=principal, request_id=request_id, approve=data.approve,
                              reason=data.reason)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/dispatch", status_code=200)
    async def dispatch(self, db_session: AsyncSession, principal: Principal, request_id: int,
                       data: DispatchIn) -> RequestOut:
        """Assign to a volunteer, open to a team (any member may accept), or open to the hall: exactly one. Organisers.
        404 `volunteer_not_found` / `team_not_found`, 403 `request_own`, 422 `request_dispatch_target`."""
        await dispatch.dispatch(db_session, principal=principal, request_id=request_id,
                                volunteer_id=data.volunteer_id, open_to_hall=data.open_to_hall, team_id=data.team_id)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/accept", status_code=200)
    async def accept(self, request: Request, db_session: AsyncSession, request_id: int) -> RequestOut:
        """接单. Exactly one of several volunteers accepting at once wins; the others get 409
        `request_already_taken`. Another community's volunteer: 404 `request_not_found`; a request given to a team
        the volunteer is not in: 403 `request_team_only`."""
        # The plain case resolves the login inside its one statement; anything else resolves the caller and says why.
        taken = await dispatch.accept_in_one(db_session, bearer=token_from_request(request) or "", request_id=request_id)
        if taken is not None:
            return taken
        principal = await provide_principal(request, db_session)
        await dispatch.accept(db_session, principal=principal, request_id=request_id)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/start", status_code=200)
    async def start(self, db_session: AsyncSession, principal: Principal, request_id: int,
                    data: PositionIn | None = None) -> RequestOut:
        """Start the service. The assigned volunteer sends the phone's position where the community has a geofence:
        422 `request_position_required`, 403 `request_too_far`."""
        await serving.start(db_session, principal=principal, request_id=request_id, position=data.pair() if data else None)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/finish", status_code=200)
    async def finish(self, db_session: AsyncSession, principal: Principal, request_id: int,
                     data: PositionIn | None = None) -> RequestOut:
        """End the service: minutes and points are posted (hours rules of kind `request`), the payer pays."""
        await serving.finish(db_session, principal=principal, request_id=request_id, position=data.pair() if data else None)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/scan", status_code=200)
    async def scan(self, request: Request, db_session: AsyncSession, principal: Principal, data: ScanIn) -> ScanOut:
        """At the resident's door: the assigned volunteer scans the 门牌码 (`door_code`), or the 网格员 scans the
        volunteer's card (`card`, and `household_id` if the volunteer has tasks at several homes). The first scan
        starts the task, the next finishes it (`step`). 400 `door_code_invalid` / `card_invalid`, 403
        `door_code_revoked` / `card_revoked` / `request_too_far`, 404 `request_scan_no_task`, 409
        `request_scan_ambiguous`, 422 `request_position_required` / `request_scan_code_required`."""
        scanned = await scanning.scan(db_session, settings=request.app.state.settings, principal=principal,
                                      door_code=data.door_code, card=data.card, household_id=data.household_id,
                                      position=data.pair())
        return ScanOut(step=scanned.step,
                       request=await views.shown(db_session, principal=principal, request_id=scanned.request.id))

    @post("/requests/{request_id:int}/rating", status_code=201)
    async def rate(self, db_session: AsyncSession, principal: Principal, request_id: int,
                   data: RatingIn) -> RequestOut:
        """评单 1–5 stars within 7 days, once. 409 `request_already_rated` / `rating_window_closed`,
        403 `request_not_yours`, 422 `rating_stars_invalid`."""
        await serving.rate(db_session, principal=principal, request_id=request_id, stars=data.stars, tags=data.tags,
                           comment=data.comment)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/rating/review", status_code=200)
    async def close_review(self, db_session: AsyncSession, principal: Principal, request_id: int,
                           data: CancelIn) -> RequestOut:
        """Close the review a low rating (≤ 2 stars) opened, saying what was done (`reason`). Organisers.
        409 `request_review_not_open`."""
        await serving.close_review(db_session, principal=principal, request_id=request_id, note=data.reason)
        return await views.shown(db_session, principal=principal, request_id=request_id)

    @post("/requests/{request_id:int}/cancel", status_code=200)
    async def cancel(self, db_session: AsyncSession, principal: Principal, request_id: int,
                     data: CancelIn) -> RequestOut:
        await serving.cancel(db_session, principal=principal, request_id=request_id, reason=data.reason)
        return await views.shown(db_session, principal=principal, request_id=request_id)


ROUTES = [CommunityRequestController, RequestController]
