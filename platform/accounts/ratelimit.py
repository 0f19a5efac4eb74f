"""Login rate limit: failures per login and per client IP in a sliding window, stored in the database."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import LoginAttempt
from servicebank.errors import TooManyRequests

WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
# Higher per address: a community centre's volunteers often share one office connection.
MAX_FAILURES_PER_IP = 20


def login_key(login: str) -> str:
    return login.strip().lower()[:128]


async def _blocked_for(session: AsyncSession, condition, limit: int, now: dt.datetime) -> int:  # noqa: ANN001
    since = now - WINDOW
    count, oldest = (await session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(condition, LoginAttempt.at > since)
    )).one()
    if count < limit or oldest is None:
        return 0
    # The newest `limit` failures keep the door shut; it opens when the oldest of them leaves the window.
    times = (await session.scalars(
        select(LoginAttempt.at).where(condition, LoginAttempt.at > since).order_by(LoginAttempt.at.desc()).limit(limit)
    )).all()
    earliest = min(times)
    if earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=dt.UTC)
    return max(1, math.ceil((earliest + WINDOW - now).total_seconds()))


async def check_login_allowed(session: AsyncSession, *, login: str, client_ip: str | None,
                              now: dt.datetime | None = None) -> None:
    """429 login_rate_limited (with Retry-After) after too many recent failures for this login or address."""
    now = now or dt.datetime.now(dt.UTC)
    wait = await _blocked_for(session, LoginAttempt.login_key == login_key(login), MAX_FAILURES_PER_LOGIN, now)
    if client_ip:
        wait = max(wait, await _blocked_for(session, LoginAttempt.client_ip == client_ip, MAX_FAILURES_PER_IP, now))
    if wait:
        minutes = math.ceil(wait / 60)
        raise TooManyRequests(f"Too many failed logins. Please wait {minutes} minute(s) and try again, or ask your "
                              "organiser to reset your password.", code="login_rate_limited", retry_after=wait)


async def record_failure(session: AsyncSession, *, login: str, client_ip: str | None) -> None:
    session.add(LoginAttempt(login_key=login_key(login), client_ip=client_ip, at=dt.datetime.now(dt.UTC)))
    await session.flush()


async def reset_failures(session: AsyncSession, *, login: str) -> None:
    """A successful login forgives that login's failures (not the address's: one valid account must not
    let someone keep guessing others from the same address)."""
    await session.execute(delete(LoginAttempt).where(LoginAttempt.login_key == login_key(login)))


async def prune_attempts(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Delete failures older than the window; returns how many."""
    now = now or dt.datetime.now(dt.UTC)
    result = await session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - WINDOW))
    return int(result.rowcount or 0)
