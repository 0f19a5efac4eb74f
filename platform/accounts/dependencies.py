"""Litestar dependencies that resolve the caller from a bearer token or the session cookie."""

from __future__ import annotations

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.accounts.sessions import principal_for_token
from servicebank.edge.csrf import SESSION_COOKIE
from servicebank.kernel.errors import Unauthenticated


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def token_from_request(request: Request) -> str | None:
    """The bearer token, else the session cookie."""
    bearer = _bearer(request)
    return bearer if bearer is not None else request.cookies.get(SESSION_COOKIE)


def uses_session_cookie(request: Request) -> bool:
    """True when the session cookie, not a bearer token, would authenticate this request (a browser)."""
    return _bearer(request) is None and bool(request.cookies.get(SESSION_COOKIE))


async def provide_optional_principal(request: Request, db_session: AsyncSession) -> Principal | None:
    """The caller, or None when not logged in."""
    cached = request.scope.get("state", {}).get("principal")
    if cached is not None:
        return cached
    token = token_from_request(request)
    if not token:
        return None
    principal = await principal_for_token(db_session, token)
    if principal is None:
        return None
    request.scope.setdefault("state", {})["principal"] = principal
    return principal


async def provide_principal(request: Request, db_session: AsyncSession) -> Principal:
    """The caller; 401 with a clear code when the token is missing, expired or revoked."""
    principal = await provide_optional_principal(request, db_session)
    if principal is None:
        # Hand the connection the token lookup took back to the pool now (nothing was written): Litestar does not
        # run the cleanup of dependencies already resolved when a later one raises, so the request's session (and
        # a read session holding it) would keep it until the garbage collector found them; on SQLite's one
        # connection the next request waited 60 s for it (a deactivated login on /api/reports/taizhang).
        await db_session.rollback()
        raise Unauthenticated("Please log in first (your session is missing or has expired).")
    return principal
