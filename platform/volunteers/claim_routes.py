"""Login claims API: organisers list, approve and decline sign-ups that asked for an existing volunteer's login."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.db import among
from servicebank.volunteers import claims
from servicebank.volunteers.models import LoginClaim, Volunteer
from servicebank.volunteers.schemas import LoginClaimOut


async def claim_views(session: AsyncSession, rows: list[LoginClaim]) -> list[LoginClaimOut]:
    """Claims with the number, name and status of the record each one asks for."""
    ids = sorted({c.volunteer_id for c in rows})
    found = (await session.scalars(select(Volunteer).where(among(session, Volunteer.id, ids)))).all() if ids else []
    people = {v.id: v for v in found}

    def out(c: LoginClaim) -> LoginClaimOut:
        record = people[c.volunteer_id]
        return LoginClaimOut(id=c.id, community_id=c.community_id, volunteer_id=c.volunteer_id,
                             volunteer_number=record.number, volunteer_name=record.real_name,
                             volunteer_status=record.status, phone=c.phone, claimed_name=c.claimed_name,
                             status=c.status, created_at=c.created_at, decided_at=c.decided_at)

    return [out(c) for c in rows]


class LoginClaimController(Controller):
    path = "/api"
    tags = ["volunteers"]

    @get("/communities/{community_id:int}/login-claims")
    async def list_claims(self, community_id: int, db_session: AsyncSession, principal: Principal,
                          status: Annotated[str | None, Parameter(description="pending (default), approved, "
                                                                              "declined")] = "pending",
                          ) -> list[LoginClaimOut]:
        """Sign-ups that asked for the login of one of the community's volunteers (organisers), oldest first.

        Check with the person (call the phone on the record, or in person) before approving: knowing a phone
        number is no proof of owning it."""
        rows = await claims.community_claims(db_session, principal=principal, community_id=community_id,
                                             status=status)
        return await claim_views(db_session, rows)

    @post("/login-claims/{claim_id:int}/approve", status_code=200)
    async def approve(self, claim_id: int, db_session: AsyncSession, principal: Principal) -> LoginClaimOut:
        """Give the volunteer a login by the claimed phone, with the password the claimant chose (audited).

        Errors: 404 `login_claim_not_found`, 409 `login_claim_decided`, 409 `login_claim_outdated` (the
        volunteer or the phone got a login meanwhile)."""
        claim = await claims.approve_claim(db_session, principal=principal, claim_id=claim_id)
        return (await claim_views(db_session, [claim]))[0]

    @post("/login-claims/{claim_id:int}/decline", status_code=200)
    async def decline(self, claim_id: int, db_session: AsyncSession, principal: Principal) -> LoginClaimOut:
        """Decline a claim (audited): no login, and the claimant's password is dropped."""
        claim = await claims.decline_claim(db_session, principal=principal, claim_id=claim_id)
        return (await claim_views(db_session, [claim]))[0]
