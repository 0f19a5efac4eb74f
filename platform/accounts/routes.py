"""Log in, log out, who am I, change password; staff logins and role grants."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import staff, staff_care
from servicebank.accounts.dependencies import token_from_request
from servicebank.accounts.models import RoleGrant, User
from servicebank.accounts.principal import Principal
from servicebank.accounts.schemas import (
    DisableIn,
    GrantCreate,
    GrantOut,
    GrantRow,
    LoginOut,
    LoginRequest,
    MeOut,
    PasswordChange,
    PasswordReset,
    StaffCreate,
    UserOut,
)
from servicebank.accounts.service import authenticate, change_password
from servicebank.accounts.sessions import (
    expired_session_cookie,
    load_principal,
    revoke_session,
    session_cookie,
)
from servicebank.clientip import client_ip
from servicebank.kernel.errors import TooManyRequests, Unauthenticated, localise, problem


def me_out(principal: Principal) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        display_name=principal.display_name,
        volunteer_id=principal.volunteer_id,
        volunteer_community_id=principal.volunteer_community_id,
        roles=sorted(principal.roles),
        grants=[GrantOut(role=g.role, street_id=g.street_id, community_id=g.community_id, team_id=g.team_id,
                         store_id=g.store_id) for g in principal.grants],
        volunteer_status=principal.volunteer_status,
    )


_LOGIN_EXAMPLE = Example(summary="organiser", value={"login": "organiser", "password": "demo1234"})
_PASSWORD_EXAMPLE = Example(summary="change", value={"current_password": "demo1234", "new_password": "s3cure-pass"})


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=200, responses={
        429: ResponseSpec(data_container=dict, description="login_rate_limited, with a Retry-After header")})
    async def login(self, request: Request, state: State, db_session: AsyncSession,
                    data: Annotated[LoginRequest, Body(examples=[_LOGIN_EXAMPLE])]) -> Response[Any]:
        """Log in with phone or username and password.

        Returns a bearer token for API clients and sets the `sb_session` cookie (HttpOnly, SameSite=Lax,
        Secure on HTTPS) for web pages. After 5 failures for one account, each further try waits 1 s,
        2 s, 4 s ... up to 15 minutes (after 100 failures from one address, likewise for that address):
        429 `login_rate_limited` with Retry-After in seconds. A successful login resets the account's count.
        """
        try:
            user, token = await authenticate(db_session, login=data.login, password=data.password,
                                             client_ip=client_ip(request))
        except Unauthenticated:
            # The failed attempt must outlive the error, or the rate limit could never trip.
            await db_session.commit()
            raise
        except TooManyRequests as exc:
            response = localise(request, problem(exc.status_code, exc.code, exc.message, **exc.extra))
            response.headers["Retry-After"] = str(exc.extra.get("retry_after", 60))
            return response
        out = LoginOut(token=token, token_type="bearer", me=me_out(await load_principal(db_session, user)))
        return Response(out, cookies=[session_cookie(token, secure=state.settings.secure_cookies)])

    @post("/logout", status_code=204)
    async def logout(self, request: Request, state: State, db_session: AsyncSession,
                     principal: Principal) -> Response[None]:
        """End the current session (token or cookie) and clear the cookie."""
        token = token_from_request(request)
        if token:
            await revoke_session(db_session, token=token)
        return Response(None, status_code=204, cookies=[expired_session_cookie(secure=state.settings.secure_cookies)])

    @get("/me")
    async def me(self, principal: Principal) -> MeOut:
        """The logged-in user, their roles and scopes."""
        return me_out(principal)

    @post("/password", status_code=204)
    async def password(self, request: Request, db_session: AsyncSession, principal: Principal,
                       data: Annotated[PasswordChange, Body(examples=[_PASSWORD_EXAMPLE])]) -> None:
        """Change your password (8+ characters). Every other session of yours ends; this one stays.

        Errors: 403 `wrong_password`, 422 `weak_password`, `password_unchanged`.
        """
        await change_password(db_session, actor=principal, current_password=data.current_password,
                              new_password=data.new_password, keep_token=token_from_request(request))


def grant_row(row: RoleGrant) -> GrantRow:
    return GrantRow(id=row.id, role=row.role, street_id=row.street_id, community_id=row.community_id,
                    team_id=row.team_id, store_id=row.store_id)


def user_out(user: User, grants: list[RoleGrant]) -> UserOut:
    return UserOut(id=user.id, username=user.username, phone=user.phone, display_name=user.display_name,
                   volunteer_id=user.volunteer_id, is_active=user.is_active, grants=[grant_row(g) for g in grants])


_STAFF_EXAMPLE = Example(summary="an organiser", value={
    "display_name": "社工小王", "username": "xiaowang", "password": "first-pass-1", "role": "organiser",
    "community_id": 1})


class StaffController(Controller):
    path = "/api/users"
    tags = ["accounts"]

    @get("/")
    async def list_staff(self, db_session: AsyncSession, principal: Principal,
                         community_id: Annotated[int, Parameter(description="Community to list staff of")]
                         ) -> list[UserOut]:
        """Staff of a community (organisers, team leaders, store clerks) with their roles. Organisers and admins."""
        users = await staff.staff_of_community(db_session, actor=principal, community_id=community_id)
        grants = await staff.grants_by_user(db_session, [u.id for u in users])
        return [user_out(u, grants[u.id]) for u in users]

    @post("/", status_code=201)
    async def create(self, db_session: AsyncSession, principal: Principal,
                     data: Annotated[StaffCreate, Body(examples=[_STAFF_EXAMPLE])]) -> UserOut:
        """Create a staff login with one role. Platform admins appoint street admins; street admins appoint
        organisers of their street's communities; organisers add store clerks. Team leaders are assigned
        on the team (POST /api/teams/{id}/leaders)."""
        user = await staff.create_staff(db_session, actor=principal, data=data)
        return user_out(user, (await staff.grants_by_user(db_session, [user.id]))[user.id])

    @post("/{user_id:int}/grants", status_code=201)
    async def grant(self, db_session: AsyncSession, principal: Principal, user_id: int,
                    data: Annotated[GrantCreate, Body(examples=[Example(summary="team leader", value={
                        "role": "team_leader", "team_id": 3})])]) -> GrantRow:
        """Give a user another role, under the same rules as creating a staff login."""
        return grant_row(await staff.add_grant(db_session, actor=principal, user_id=user_id, grant=data))

    @delete("/grants/{grant_id:int}", status_code=204)
    async def revoke(self, db_session: AsyncSession, principal: Principal, grant_id: int) -> None:
        """Take a role away (whoever may give the role may take it)."""
        await staff.revoke_grant(db_session, actor=principal, grant_id=grant_id)


    @post("/{user_id:int}/password-reset", status_code=200)
    async def reset_password(self, db_session: AsyncSession, principal: Principal, user_id: int,
                             data: Annotated[PasswordReset, Body(examples=[Example(
                                 summary="new first password", value={"new_password": "s3cure-first"})])]) -> UserOut:
        """Set a new first password for a staff login you may look after (whoever may give all its roles); its
        sessions end and any login wait is lifted. Errors: 404 `user_not_found`, 409 `cannot_change_self`,
        422 `weak_password`."""
        user = await staff_care.reset_password(db_session, actor=principal, user_id=user_id,
                                               new_password=data.new_password)
        return user_out(user, (await staff.grants_by_user(db_session, [user.id]))[user.id])

    @post("/{user_id:int}/disable", status_code=200)
    async def disable(self, db_session: AsyncSession, principal: Principal, user_id: int,
                      data: Annotated[DisableIn | None, Body(examples=[Example(
                          summary="left the community", value={"reason": "已调离本社区"})])] = None) -> UserOut:
        """Disable a staff login: logged out everywhere, logging in refused. The reason is kept in the audit log."""
        user = await staff_care.set_active(db_session, actor=principal, user_id=user_id, active=False,
                                           reason=data.reason if data else None)
        return user_out(user, (await staff.grants_by_user(db_session, [user.id]))[user.id])

    @post("/{user_id:int}/enable", status_code=200)
    async def enable(self, db_session: AsyncSession, principal: Principal, user_id: int) -> UserOut:
        """Let a disabled staff login log in again."""
        user = await staff_care.set_active(db_session, actor=principal, user_id=user_id, active=True)
        return user_out(user, (await staff.grants_by_user(db_session, [user.id]))[user.id])

    @post("/{user_id:int}/unlock", status_code=200)
    async def unlock(self, db_session: AsyncSession, principal: Principal, user_id: int) -> UserOut:
        """Lift the wait after too many wrong passwords: the next try is counted from zero."""
        user = await staff_care.lift_login_wait(db_session, actor=principal, user_id=user_id)
        return user_out(user, (await staff.grants_by_user(db_session, [user.id]))[user.id])


from servicebank.accounts.code_routes import CodeController  # noqa: E402 - after me_out, which it uses

ROUTES = [AuthController, CodeController, StaffController]
