"""The family links API: volunteers ask, confirm, decline and revoke; organisers list, record and revoke."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.family import service as family
from servicebank.family.schemas import (
    FamilyLinkAskOut,
    FamilyLinkEndIn,
    FamilyLinkOut,
    FamilyLinkRecordIn,
    FamilyLinkRequestIn,
)

_REQUEST_EXAMPLE = Example(summary="my mother, by her card number", value={
    "volunteer_number": "HX-000031", "phone_last4": "5678", "relation": "父母"})
_RECORD_EXAMPLE = Example(summary="checked against the 户口本", value={
    "volunteer_id": 31, "relative_number": "NJ-000007", "relation": "子女", "note": "已核对户口本"})
_END_EXAMPLE = Example(summary="optional reason", value={"reason": "家属来电要求解除"})
OptionalReason = Annotated[FamilyLinkEndIn | None, Body(examples=[_END_EXAMPLE])]


class FamilyLinkController(Controller):
    path = "/api/family-links"
    tags = ["points"]

    @get("/")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> list[FamilyLinkOut]:
        """Your family links, newest first, ended ones included.

        `waiting_for_me` marks requests you have yet to confirm or decline; `relation_to_me` says what the
        other volunteer is to you. Requests you made appear here only once confirmed.
        """
        return await family.my_links(db_session, principal=principal)

    @post("/", status_code=202)
    async def request_link(self, request: Request, db_session: AsyncSession, principal: Principal,
                           data: Annotated[FamilyLinkRequestIn, Body(examples=[_REQUEST_EXAMPLE])]) -> FamilyLinkAskOut:
        """Ask a family member to confirm a link, by their volunteer number and their phone's last 4 digits.

        `relation` is what they are to you. Every well-formed request gets the same 202 answer, whether or not the
        number and phone matched and whether or not you already asked: your family member sees the request on their
        page, and it appears in your list once confirmed. Limits (429 `rate_limited`): 10 requests an hour per
        volunteer, 30 per client address, 5 a day naming one volunteer number. Errors: `invalid_relation`,
        `invalid_phone_last4`, `family_link_self`, 403 `volunteer_not_active` (a pending self-registration).
        """
        await family.limit_lookups(request.app.state.settings, principal, volunteer_number=data.volunteer_number,
                                   client_address=client_ip(request))
        return await family.request_link(db_session, principal=principal, data=data)

    @post("/{link_id:int}/confirm", status_code=200)
    async def confirm(self, link_id: int, db_session: AsyncSession, principal: Principal) -> FamilyLinkOut:
        """Confirm a request: the volunteer who was asked, or an organiser of their community (audited).

        Errors: `family_link_not_found` (404), `not_your_family_link` (403: the one who asked cannot confirm),
        `family_link_not_waiting` (409).
        """
        return await family.confirm_link(db_session, principal=principal, link_id=link_id)

    @post("/{link_id:int}/decline", status_code=200)
    async def decline(self, link_id: int, db_session: AsyncSession, principal: Principal) -> FamilyLinkOut:
        """Say no to a request (the volunteer who was asked). The row is kept with who and when."""
        return await family.decline_link(db_session, principal=principal, link_id=link_id)

    @post("/{link_id:int}/revoke", status_code=200)
    async def revoke(self, link_id: int, db_session: AsyncSession, principal: Principal,
                     data: OptionalReason = None) -> FamilyLinkOut:
        """End a link or withdraw a request: either volunteer, or an organiser of either one's community (audited).

        Later gifts between the two are refused (`family_link_required`); the row is kept with who and when, and
        the pair may ask again.
        """
        return await family.revoke_link(db_session, principal=principal, link_id=link_id,
                                        reason=data.reason if data else None)


class CommunityFamilyLinkController(Controller):
    path = "/api/communities/{community_id:int}/family-links"
    tags = ["points"]

    @get("/")
    async def list_links(self, community_id: int, db_session: AsyncSession, principal: Principal,
                         status: Annotated[str | None, Parameter(description="requested, confirmed, declined, "
                                                                             "revoked")] = None,
                         limit: Annotated[int, Parameter(description="1 to 500")] = 200,
                         offset: int = 0) -> list[FamilyLinkOut]:
        """Family links with at least one volunteer of the community (organisers), newest first."""
        return await family.community_links(db_session, principal=principal, community_id=community_id,
                                            status=status, limit=limit, offset=offset)

    @post("/", status_code=201)
    async def record(self, community_id: int, db_session: AsyncSession, principal: Principal,
                     data: Annotated[FamilyLinkRecordIn, Body(examples=[_RECORD_EXAMPLE])]) -> FamilyLinkOut:
        """Record a confirmed link for a volunteer of the community, e.g. an elderly person without a phone.

        Check the family in person first (户口本). The relative is found by their volunteer number and must be a
        volunteer of a community you manage too (404 `family_member_not_found` otherwise, the same as for an
        unknown number); a relative elsewhere asks on their own page. Audited as `family_link.record`, with the
        note as the reason.
        """
        return await family.record_link(db_session, principal=principal, community_id=community_id, data=data)


ROUTES = [FamilyLinkController, CommunityFamilyLinkController]
