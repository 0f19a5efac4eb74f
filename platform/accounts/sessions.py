"""Login sessions: opaque random tokens, stored hashed, revocable; resolved into a Principal."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import principal_cache
from servicebank.accounts.models import AuthSession, Role, RoleGrant, User
from servicebank.accounts.principal import Grant, Principal, account_state
from servicebank.kernel import direct
from servicebank.org.models import Community
from servicebank.volunteers.models import Team, Volunteer

if TYPE_CHECKING:
    from litestar.datastructures import Cookie

SESSION_LIFETIME = dt.timedelta(days=30)
TOKEN_PREFIX = "sb_"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible_token(token: str | None) -> bool:
    """Whether a bearer or cookie value could be one of our session tokens (cheap; spares a query for junk)."""
    return token is not None and token.startswith(TOKEN_PREFIX) and len(token) <= 128


async def open_session(session: AsyncSession, *, user_id: int, lifetime: dt.timedelta = SESSION_LIFETIME) -> str:
    """Create a login and return its token (shown once; only its hash is stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _utcnow()
    session.add(AuthSession(token_hash=hash_token(token), user_id=user_id, created_at=now, expires_at=now + lifetime))
    await session.flush()
    return token


async def revoke_session(session: AsyncSession, *, token: str) -> None:
    await session.execute(
        update(AuthSession).where(AuthSession.token_hash == hash_token(token)).values(revoked_at=_utcnow())
    )


async def revoke_all_sessions(session: AsyncSession, *, user_id: int, keep_token: str | None = None) -> None:
    """End every login of a user (password change, deactivation), optionally keeping the current one."""
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(AuthSession.token_hash != hash_token(keep_token))
    await session.execute(query.values(revoked_at=_utcnow()))


async def load_principal(session: AsyncSession, user: User) -> Principal:
    """Resolve a user's grants into the communities, teams and stores they may reach."""
    grants = tuple(
        Grant(role=g.role, street_id=g.street_id, community_id=g.community_id, team_id=g.team_id, store_id=g.store_id)
        for g in (await session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))).all()
    )
    volunteer_community_id = volunteer_status = volunteer_name = None
    if user.volunteer_id is not None:
        found = (await session.execute(select(Volunteer.community_id, Volunteer.status, Volunteer.real_name)
                                       .where(Volunteer.id == user.volunteer_id))).first()
        if found is not None:
            volunteer_community_id, volunteer_status, volunteer_name = found
    return await _principal(session, user_id=user.id, display_name=user.display_name, volunteer_id=user.volunteer_id,
                            grants=grants, volunteer_community_id=volunteer_community_id,
                            volunteer_status=volunteer_status, volunteer_name=volunteer_name)


@lru_cache(maxsize=1)
def _principal_statement() -> Any:
    # Built once: sent straight to asyncpg (kernel/direct.py), every logged-in request starts with it.
    return (
        select(User.id, User.display_name, User.volunteer_id, User.is_active, AuthSession.expires_at,
               Volunteer.community_id, Volunteer.status, Volunteer.real_name, RoleGrant.role, RoleGrant.street_id, RoleGrant.community_id,
               RoleGrant.team_id, RoleGrant.store_id)
        .select_from(AuthSession)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Volunteer, Volunteer.id == User.volunteer_id)
        .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
        .where(AuthSession.token_hash == bindparam("token_hash"), AuthSession.revoked_at.is_(None))
    )


def live_login(now: Any) -> Select[Any]:  # noqa: ANN401 - `now`: a value or a bind parameter
    """The login behind `:token_hash` if it is live at `now` (not revoked, not expired, its user active), with
    what a write done in one statement needs of the caller (its CTE: requests/fast_accept.py): the user, their
    volunteer record's community and status, and whether they hold any role. No row: not a live login."""
    has_grants = exists().where(RoleGrant.user_id == User.id).correlate(User)
    return (
        select(User.id.label("login_user_id"), User.display_name.label("login_display_name"),
               User.volunteer_id.label("login_volunteer_id"), has_grants.label("login_has_grants"),
               Volunteer.community_id.label("login_volunteer_community_id"),
               Volunteer.status.label("login_volunteer_status"))
        .select_from(AuthSession)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Volunteer, Volunteer.id == User.volunteer_id)
        .where(AuthSession.token_hash == bindparam("token_hash"), AuthSession.revoked_at.is_(None),
               AuthSession.expires_at > now, User.is_active.is_(True))
    )


def volunteer_of_login(row: Any) -> Principal:  # noqa: ANN401 - a row with live_login's columns
    """The caller of a live_login row acting as a volunteer: principal_for_token's Principal without the roles (the
    same for a login that holds none). Enough where only the volunteer acts and roles could only add rights."""
    return principal_without_grants(user_id=row.login_user_id, display_name=row.login_display_name,
                                    volunteer_id=row.login_volunteer_id,
                                    volunteer_community_id=row.login_volunteer_community_id,
                                    volunteer_status=row.login_volunteer_status)


async def principal_for_token(session: AsyncSession, token: str) -> Principal | None:
    """The caller behind a live token, or None: the live session's user and load_principal in one query.

    Every logged-in request starts here, and is answered from this process's kept Principals when nothing they
    were built from changed since (accounts/principal_cache.py). The three ORM queries (login and user, grants, volunteer) cost more
    than what many reads do themselves (bench/reads.md), and so did the one query through SQLAlchemy with the
    BEGIN it opened: it goes straight to asyncpg now, outside the request's transaction. One row per grant
    (one row without any).
    """
    if not plausible_token(token):
        return None
    token_hash = hash_token(token)
    cache = principal_cache.cache_for(session.info.get("db"))
    if cache is not None and (kept := cache.get(token_hash)) is not None:
        return kept
    generation = cache.generation if cache is not None else 0  # before the read: a change meanwhile moves it
    rows = await direct.read(session, _principal_statement(), {"token_hash": token_hash})
    if not rows:
        return None
    user_id, display_name, volunteer_id, is_active, expires_at, community_id, status, name = rows[0][:8]
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= _utcnow() or not is_active:
        return None
    grants = tuple(Grant(role=role, street_id=street, community_id=community, team_id=team, store_id=store)
                   for *_, role, street, community, team, store in rows if role is not None)
    principal = await _principal(session, user_id=user_id, display_name=display_name, volunteer_id=volunteer_id,
                                 grants=grants, volunteer_community_id=community_id, volunteer_status=status,
                                 volunteer_name=name)
    if cache is not None:
        cache.put(token_hash, principal, generation=generation, expires_at=expires_at)
    return principal


def principal_without_grants(*, user_id: int, display_name: str, volunteer_id: int | None,
                             volunteer_community_id: int | None, volunteer_status: str | None,
                             volunteer_name: str | None = None) -> Principal:
    """A login that holds no role: nothing to look up, so a caller that already read the login (the scan page's
    one statement) builds it without a query. The same Principal as principal_for_token's."""
    return Principal(user_id=user_id, display_name=display_name, grants=(), volunteer_id=volunteer_id,
                     volunteer_community_id=volunteer_community_id if account_state(volunteer_status).member else None,
                     volunteer_status=volunteer_status, volunteer_name=volunteer_name)


async def _principal(session: AsyncSession, *, user_id: int, display_name: str, volunteer_id: int | None,
                     grants: tuple[Grant, ...], volunteer_community_id: int | None,
                     volunteer_status: str | None, volunteer_name: str | None = None) -> Principal:
    """Grants and the volunteer's state turned into what the user may reach (a street admin's communities and a
    team leader's teams need one more query each)."""
    if not grants:
        return principal_without_grants(user_id=user_id, display_name=display_name, volunteer_id=volunteer_id,
                                        volunteer_community_id=volunteer_community_id,
                                        volunteer_status=volunteer_status, volunteer_name=volunteer_name)
    managed: set[int] | None = set()
    street_ids = frozenset(g.street_id for g in grants if g.role == Role.STREET_ADMIN and g.street_id)
    if any(g.role == Role.PLATFORM_ADMIN for g in grants):
        managed = None
    else:
        managed = {g.community_id for g in grants if g.role == Role.ORGANISER and g.community_id}
        if street_ids:
            managed |= set(
                (await session.scalars(select(Community.id).where(Community.street_id.in_(street_ids)))).all()
            )
    state = account_state(volunteer_status)
    if not state.member:
        volunteer_community_id = None
    if not state.leads:
        grants = tuple(g for g in grants if g.role != Role.TEAM_LEADER)
    led_teams = frozenset(g.team_id for g in grants if g.role == Role.TEAM_LEADER and g.team_id)
    led_team_communities: frozenset[int] = frozenset()
    if led_teams:
        led_team_communities = frozenset(
            (await session.scalars(select(Team.community_id).where(Team.id.in_(led_teams)))).all()
        )
    return Principal(
        user_id=user_id,
        display_name=display_name,
        grants=grants,
        volunteer_id=volunteer_id,
        volunteer_community_id=volunteer_community_id,
        volunteer_status=volunteer_status,
        volunteer_name=volunteer_name,
        managed_community_ids=None if managed is None else frozenset(managed),
        street_ids=street_ids,
        led_team_ids=led_teams,
        led_team_community_ids=led_team_communities,
        clerk_store_ids=frozenset(g.store_id for g in grants if g.role == Role.STORE_CLERK and g.store_id),
    )


def session_cookie(token: str, *, secure: bool, lifetime: dt.timedelta = SESSION_LIFETIME) -> Cookie:
    """The `sb_session` cookie for web pages: HttpOnly, SameSite=Lax, Secure when the site is on HTTPS."""
    from litestar.datastructures import Cookie

    return Cookie(key="sb_session", value=token, httponly=True, samesite="lax", secure=secure, path="/",
                  max_age=int(lifetime.total_seconds()))


def expired_session_cookie(*, secure: bool) -> Cookie:
    """Tells the browser to forget the session cookie."""
    from litestar.datastructures import Cookie

    return Cookie(key="sb_session", value="", httponly=True, samesite="lax", secure=secure, path="/", max_age=0)
