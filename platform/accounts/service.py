"""Authentication: check credentials and open a session."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.passwords import verify_password
from servicebank.accounts.sessions import open_session
from servicebank.errors import Unauthenticated


async def find_user_by_login(session: AsyncSession, *, login: str) -> User | None:
    """The user with this username or phone number."""
    login = login.strip()
    return await session.scalar(select(User).where(or_(User.username == login, User.phone == login)))


async def authenticate(session: AsyncSession, *, login: str, password: str) -> tuple[User, str]:
    """Check the credentials and open a session; one vague error for any failure."""
    user = await find_user_by_login(session, login=login)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise Unauthenticated("The phone/username or password is wrong.", code="invalid_credentials")
    token = await open_session(session, user_id=user.id)
    return user, token
