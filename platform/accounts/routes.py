"""Log in, log out, who am I."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import token_from_request
from servicebank.accounts.principal import Principal
from servicebank.accounts.schemas import GrantOut, LoginOut, LoginRequest, MeOut
from servicebank.accounts.service import authenticate
from servicebank.accounts.sessions import load_principal, revoke_session


def me_out(principal: Principal) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        display_name=principal.display_name,
        volunteer_id=principal.volunteer_id,
        volunteer_community_id=principal.volunteer_community_id,
        roles=sorted(principal.roles),
        grants=[GrantOut(role=g.role, street_id=g.street_id, community_id=g.community_id, team_id=g.team_id,
                         store_id=g.store_id) for g in principal.grants],
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=200)
    async def login(self, data: LoginRequest, db_session: AsyncSession) -> LoginOut:
        """Log in with phone or username and password; returns a bearer token."""
        user, token = await authenticate(db_session, login=data.login, password=data.password)
        return LoginOut(token=token, token_type="bearer", me=me_out(await load_principal(db_session, user)))

    @post("/logout", status_code=204)
    async def logout(self, request: Request, db_session: AsyncSession, principal: Principal) -> None:
        """End the current session (token or cookie)."""
        token = token_from_request(request)
        if token:
            await revoke_session(db_session, token=token)

    @get("/me")
    async def me(self, principal: Principal) -> MeOut:
        """The logged-in user, their roles and scopes."""
        return me_out(principal)


ROUTES = [AuthController]
