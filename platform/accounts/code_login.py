"""Logging in without a password: a code texted to the account's phone, then a normal session.

For elderly volunteers who cannot keep a password. Asking for a code answers the same whether or not an account
has the phone (nobody learns who is registered), but a text only goes to an active account's phone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import one_time_codes
from servicebank.accounts.models import User
from servicebank.accounts.sessions import open_session
from servicebank.config import Settings
from servicebank.kernel.errors import Unauthenticated

LOGIN = "login"
REGISTER = "register"


async def ask_for_code(session: AsyncSession, *, settings: Settings, purpose: str, phone: str,
                       client_address: str | None) -> None:
    """Text a login code to an active account's phone, or a sign-up code to any mobile (the answer is the same)."""
    one_time_codes.check_purpose(purpose, allowed=(LOGIN, REGISTER))
    phone = one_time_codes.clean_mobile(phone)
    if purpose == LOGIN:
        active = await session.scalar(select(User.id).where(User.phone == phone, User.is_active.is_(True)))
        if active is None:
            # Counted like a real one, so the limits and timing say nothing about the phone either.
            await one_time_codes.count_request(settings, phone=phone, client_address=client_address)
            return
    await one_time_codes.send_code(session, settings=settings, purpose=purpose, phone=phone,
                                   client_address=client_address)


async def log_in_with_code(session: AsyncSession, *, settings: Settings, phone: str, code: str) -> tuple[User, str]:
    """Check the login code and open a session (as a password login does)."""
    await one_time_codes.use_code(session, settings=settings, purpose=LOGIN, phone=phone, code=code)
    user = await session.scalar(select(User).where(User.phone == one_time_codes.clean_mobile(phone)))
    if user is None or not user.is_active:
        raise Unauthenticated("This account cannot log in.", code="invalid_credentials")
    return user, await open_session(session, user_id=user.id)
