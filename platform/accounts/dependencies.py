"""Litestar dependencies that resolve the caller from a bearer token or the session cookie."""

from __future__ import annotations

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.accounts.sessions import load_principal, user_for_token
from servicebank.errors import Unauthenticated

SESSION_COOKIE = "sb_session"


def token_from_request(request: Request) -> str | None:
    """The bearer token, else the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


async def provide_optional_principal(request: Request, db_session: AsyncSession) -> Principal | None:
    """The caller, or None when not logged in."""
    cached = request.scope.get("state", {}).get("principal")
    if cached is not None:
        return cached
    token = token_from_request(request)
    if not token:
        return None
    user = await user_for_token(db_session, token)
    if user is None:
        return None
    principal = await load_principal(db_session, user)
    request.scope.setdefault("state", {})["principal"] = principal
    return principal


async def provide_principal(request: Request, db_session: AsyncSession) -> Principal:
    """The caller; 401 with a clear code when the token is missing, expired or revoked."""
    principal = await provide_optional_principal(request, db_session)
    if principal is None:
        raise Unauthenticated("Please log in first (your session is missing or has expired).")
    return principal
