"""Authentication: check credentials (rate-limited), open a session, change a password."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import ratelimit, repository
from servicebank.accounts.models import User
from servicebank.accounts.passwords import hash_password, verify_password
from servicebank.accounts.principal import Principal
from servicebank.accounts.sessions import open_session, revoke_all_sessions
from servicebank.audit.service import record_audit
from servicebank.kernel.errors import Forbidden, InvalidInput, NotFound, Unauthenticated

MIN_PASSWORD_LENGTH = 8


async def find_user_by_login(session: AsyncSession, *, login: str) -> User | None:
    """The user with this username or phone number."""
    login = login.strip()
    return await repository.user_by_login(session, login)


def check_password_strength(password: str) -> None:
    """At least 8 characters, not all the same character, not only digits of a phone-like length."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password")
    if len(set(password)) < 3 or len(password) > 128:
        raise InvalidInput("Choose a less predictable password (3 different characters at least, at most 128).",
                           code="weak_password")


async def authenticate(session: AsyncSession, *, login: str, password: str,
                       client_ip: str | None = None) -> tuple[User, str]:
    """Check the credentials and open a session; one vague error for any failure.

    While the account or the address must wait after failures: 429 login_rate_limited. The try is
    counted before the password is checked; on SQLite it is counted in this session, so the caller
    must commit before raising the 401 (see AuthController.login) or the limit never trips.
    """
    turn = await ratelimit.take_turn(session, login=login, client_ip=client_ip)
    user = await find_user_by_login(session, login=login)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise Unauthenticated("The phone/username or password is wrong.", code="invalid_credentials")
    await ratelimit.give_back(session, turn)
    token = await open_session(session, user_id=user.id)
    return user, token


async def change_password(session: AsyncSession, *, actor: Principal, current_password: str, new_password: str,
                          keep_token: str | None) -> None:
    """Set a new password after checking the current one; every other session of the user ends."""
    user = await session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Your account no longer exists.", code="user_not_found")
    if not verify_password(user.password_hash, current_password):
        raise Forbidden("The current password is wrong.", code="wrong_password")
    check_password_strength(new_password)
    if verify_password(user.password_hash, new_password):
        raise InvalidInput("The new password is the same as the current one.", code="password_unchanged")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = dt.datetime.now(dt.UTC)
    await revoke_all_sessions(session, user_id=user.id, keep_token=keep_token)
    await session.flush()
    await record_audit(session, actor=actor, action="user.password_change", entity_type="user", entity_id=user.id,
                       after={"password_changed_at": user.password_changed_at})
