"""Honour lists: generation and review for organisers, the public notice page, objections, posters."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.edge.public_reads import keep, serve_cached
from servicebank.honours import posters, service, views
from servicebank.honours.certificate_routes import ROUTES as CERTIFICATE_ROUTES
from servicebank.honours.models import Scope
from servicebank.honours.schemas import (
    CorrectIn,
    GenerateIn,
    GenerateOut,
    ListOut,
    ObjectionIn,
    ObjectionOut,
    ObjectionReceipt,
    PublicListOut,
    PublishIn,
    ResolveIn,
)
from servicebank.kernel.errors import InvalidInput


def parse_scope(scope: str) -> tuple[str, int]:
    """"community:12" or "street:3" -> (kind, id); InvalidInput(code=invalid_scope) otherwise."""
    kind, _, raw_id = (scope or "").partition(":")
    if kind not in Scope.ALL or not raw_id.isdigit():
        raise InvalidInput("The scope is community:<id> or street:<id>.", code="invalid_scope")
    return kind, int(raw_id)


def public_url(request: Request, list_id: int) -> str:
    return f"{request.app.state.settings.public_url.rstrip('/')}/api/public/honours/{list_id}"


class HonourListController(Controller):
    path = "/api/honours"
    tags = ["honours"]

    @post("/generate", status_code=200)
    async def generate(self, request: Request, db_session: AsyncSession, principal: Principal,
                       data: GenerateIn) -> GenerateOut:
        """(Re)generate a month's honour lists as drafts. Organisers for their community, street admins for
        their street (its communities and the street list), platform admins for everything. Published lists
        are never touched; regenerating with an unchanged ledger gives identical lists. A month can be
        generated once it has ended in the configured time zone. Errors: 409 `honour_month_not_over`,
        `invalid_month`, `invalid_top_n`, `invalid_scope`, `community_not_found`, `street_not_found`."""
        result = await service.generate_for_scope(
            db_session, principal=principal, month=data.month, timezone=request.app.state.settings.timezone,
            community_id=data.community_id, street_id=data.street_id, top_n=data.top_n, top_teams=data.top_teams)
        return GenerateOut(**result.as_dict())

    @get("/lists")
    async def list_lists(self, db_session: AsyncSession, principal: Principal,
                         scope_text: Annotated[str, QueryParameter(name="scope")]) -> list[ListOut]:
        """A scope's lists (`scope=community:12` or `street:3`), newest month first, without entries."""
        kind, scope_id = parse_scope(scope_text)
        rows = await service.lists_for_scope(db_session, principal=principal, scope_kind=kind, scope_id=scope_id)
        return [await views.list_out(db_session, row, with_entries=False) for row in rows]

    @get("/lists/{list_id:int}")
    async def get_list(self, db_session: AsyncSession, principal: Principal, list_id: int) -> ListOut:
        """One list with every entry, full names included (organisers' review). 404 `honour_list_not_found`."""
        honour_list = await service.get_list(db_session, list_id=list_id, principal=principal)
        return await views.list_out(db_session, honour_list, with_entries=True)

    @post("/lists/{list_id:int}/publish", status_code=200)
    async def publish(self, db_session: AsyncSession, principal: Principal, list_id: int,
                      data: PublishIn | None = None) -> ListOut:
        """Publish a reviewed draft: its public notice period (公示, 7-30 days, default 7) starts now and its
        entries are frozen. Errors: 409 `honour_list_published`, `honour_list_empty` (no entries),
        `honour_month_not_over`, 422 `invalid_notice_days`."""
        honour_list = await service.publish(db_session, principal=principal, list_id=list_id,
                                            notice_days=(data or PublishIn()).notice_days)
        return await views.list_out(db_session, honour_list, with_entries=True)

    @post("/lists/{list_id:int}/correct", status_code=200)
    async def correct(self, db_session: AsyncSession, principal: Principal, list_id: int,
                      data: CorrectIn | None = None) -> ListOut:
        """更正并重新公示: during the notice period, or after an objection to the current version was upheld,
        rebuild the entries from the ledger as it is now (correct the hours in the ledger first), keep the list's
        id, add one to `version` and start a new notice period (7-30 days). Audited as `honour_list.correct`.
        Errors: 409 `honour_list_final`, `honour_list_draft`, 422 `invalid_notice_days`."""
        body = data or CorrectIn()
        honour_list = await service.correct(db_session, principal=principal, list_id=list_id,
                                            notice_days=body.notice_days, reason=body.reason)
        return await views.list_out(db_session, honour_list, with_entries=True)

    @get("/lists/{list_id:int}/objections")
    async def list_objections(self, db_session: AsyncSession, principal: Principal,
                              list_id: int) -> list[ObjectionOut]:
        """Residents' objections to a list, oldest first (organisers of the list's scope)."""
        rows = await service.objections(db_session, principal=principal, list_id=list_id)
        return [views.objection_out(o) for o in rows]

    @post("/objections/{objection_id:int}/resolve", status_code=200)
    async def resolve(self, db_session: AsyncSession, principal: Principal, objection_id: int,
                      data: ResolveIn) -> ObjectionOut:
        """Resolve an objection as `upheld` or `dismissed` with a note. A wrong figure is corrected in the
        ledger; an upheld objection lets the organiser correct the list (`/correct`). Errors: `invalid_resolution`, `invalid_resolution_note`,
        409 `objection_resolved`, 404 `objection_not_found`."""
        objection = await service.resolve_objection(db_session, principal=principal, objection_id=objection_id,
                                                    resolution=data.resolution, note=data.note)
        return views.objection_out(objection)


class PublicHonourController(Controller):
    path = "/api/public/honours"
    tags = ["public"]

    @get("/{list_id:int}", before_request=serve_cached)
    async def show(self, request: Request, db_session: AsyncSession, list_id: int) -> PublicListOut:
        """A published honour list, no login: names masked (王*英) and only for volunteers who consented;
        `state` is `notice` while objections are open, then `final`. 404 `honour_list_not_found` for drafts.
        The answer may be up to a second old (one answer per list and second, shared by everyone asking)."""
        return keep(request, await views.public_list(db_session, list_id=list_id))

    @post("/{list_id:int}/objections", status_code=201)
    async def object(self, request: Request, db_session: AsyncSession, list_id: int,
                     data: ObjectionIn) -> ObjectionReceipt:
        """Raise an objection (异议) during the notice period: name, optional phone, text. No login; at most
        5 per hour per address (429 `objection_rate_limited`). 409 `notice_period_over` after the period."""
        settings = request.app.state.settings
        key = service.client_key(settings.secret_key, client_ip(request))
        objection = await service.raise_objection(db_session, list_id=list_id, name=data.name, phone=data.phone,
                                                  text=data.text, client=key)
        return ObjectionReceipt(id=objection.id, status=objection.status,
                                message="已收到您的异议，社区工作人员将核实处理。")

    @get("/{list_id:int}/poster.png", media_type="image/png")
    async def poster_png(self, request: Request, list_id: int) -> Response[bytes]:
        """The published list as a shareable PNG poster (Chinese, public data only). Drawn once per content
        and cached; one address may cause at most 20 drawings in 10 minutes (429 `poster_rate_limited`)."""
        return await _poster(request, list_id, "png")

    @get("/{list_id:int}/poster.pdf", media_type="application/pdf")
    async def poster_pdf(self, request: Request, list_id: int) -> Response[bytes]:
        """The published list as an A4 PDF poster (Chinese, public data only); cached and limited like the PNG."""
        return await _poster(request, list_id, "pdf")


async def _poster(request: Request, list_id: int, kind: str) -> Response[bytes]:
    state = request.app.state
    body = await posters.poster_for(state.db, settings=state.settings, cache=posters.cache_of(state),
                                    list_id=list_id, kind=kind, url=public_url(request, list_id),
                                    client=client_ip(request))
    return Response(body, media_type=posters.MEDIA_TYPES[kind],
                    headers={"Content-Disposition": f'inline; filename="honours-{list_id}.{kind}"'})


ROUTES = [HonourListController, PublicHonourController, *CERTIFICATE_ROUTES]
