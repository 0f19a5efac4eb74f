"""Login limits: a growing wait per account and per client address, counted atomically.

Every try takes its turn before the password is checked: under a lock on the key's row it is
refused while the key must wait, and otherwise counted as a failure there and then (a correct
password gives the try back). So simultaneous wrong passwords get exactly the free tries: a count
read first and written after the check let 11 of 60 through on PostgreSQL where 5 were allowed.

- Per account (the user the login names, or the typed name when it names nobody): 5 free failures,
  then a wait of 1 s, 2 s, 4 s ... up to 15 minutes after each further failure. A correct password
  from any address waits its turn too; a successful login clears the account's count.
- Per address: 100 free failures, so a community centre whose volunteers share one connection is
  never slowed by one person mistyping; past that the same growing wait slows someone trying many
  accounts, from 1 s up, instead of shutting the whole address out for 15 minutes at once.
- A key's count starts again after an hour without a failure; a worker prunes such rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
from collections.abc import AsyncIterator

from sqlalchemy import case, delete, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from servicebank.accounts.models import LoginThrottle, User
from servicebank.kernel.db import affected_rows
from servicebank.kernel.dialect import is_postgres, upsert
from servicebank.kernel.errors import TooManyRequests

FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 100
FIRST_WAIT_SECONDS = 1
MAX_WAIT_SECONDS = 15 * 60
FORGET_AFTER = dt.timedelta(hours=1)


def wait_after(failures: int, *, free: int) -> int:
    """Seconds the next try waits after `failures` failures in a row: none, then 1, 2, 4 ... up to 15 min."""
    if failures < free:
        return 0
    return min(FIRST_WAIT_SECONDS << min(failures - free, 20), MAX_WAIT_SECONDS)


def login_key(login: str) -> str:
    return login.strip().lower()[:128]


@dataclasses.dataclass(frozen=True)
class Turn:
    """The keys one login try was counted against, to give it back when the password is right."""

    account_key: str
    address_key: str | None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@contextlib.asynccontextmanager
async def _turn_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """On PostgreSQL a short transaction of its own, committed before the password check, so no
    row lock is held through argon2 (every login of a shared address would queue behind it). SQLite
    serialises transactions anyway and has one connection: there the request's own session is used,
    and the caller commits the failure (see AuthController.login)."""
    bind = session.bind
    if isinstance(bind, AsyncEngine) and is_postgres(bind):
        async with AsyncSession(bind, expire_on_commit=False) as own, own.begin():
            yield own
    else:
        yield session


async def _account_key(session: AsyncSession, login: str) -> str:
    # By user, so a phone number and a username of one account share one count.
    name = login.strip()
    user_id = await session.scalar(select(User.id).where(or_(User.username == name, User.phone == name)))
    return f"user:{user_id}" if user_id is not None else f"login:{login_key(login)}"


async def _locked_rows(session: AsyncSession, keys: list[str], now: dt.datetime) -> list[LoginThrottle]:
    """The keys' rows, created when missing, locked in key order (no deadlock between two tries)."""
    await session.execute(upsert(session, LoginThrottle).on_conflict_do_nothing(index_elements=["key"]),
                          [{"key": k, "failures": 0, "last_failure_at": now, "blocked_until": None} for k in keys])
    rows = await session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key)
                                 .with_for_update().execution_options(populate_existing=True))
    return list(rows.all())


def _free(key: str) -> int:
    return FREE_FAILURES_PER_ADDRESS if key.startswith("address:") else FREE_FAILURES_PER_ACCOUNT


def refusal(wait_seconds: int) -> TooManyRequests:
    """429 login_rate_limited with the seconds to wait (the Retry-After header)."""
    wait = max(1, wait_seconds)
    when = f"{wait} second(s)" if wait < 60 else f"{math.ceil(wait / 60)} minute(s)"
    return TooManyRequests(f"Too many failed logins. Please wait {when} and try again, or ask your organiser to "
                           "reset your password.", code="login_rate_limited", retry_after=wait)


async def take_turn(session: AsyncSession, *, login: str, client_ip: str | None,
                    now: dt.datetime | None = None) -> Turn:
    """Count this try against the account and the address before the password is checked.

    Refuses (429 login_rate_limited, retry_after in seconds) while either must still wait; a refused
    try counts nothing. Call it before anything else uses the session (see _turn_transaction).
    """
    now = now or dt.datetime.now(dt.UTC)
    async with _turn_transaction(session) as tx:
        turn = Turn(account_key=await _account_key(tx, login),
                    address_key=f"address:{client_ip[:64]}" if client_ip else None)
        rows = await _locked_rows(tx, [k for k in (turn.account_key, turn.address_key) if k], now)
        waits = [(_aware(r.blocked_until) - now).total_seconds() for r in rows if r.blocked_until is not None]
        if any(w > 0 for w in waits):
            raise refusal(math.ceil(max(waits)))
        for row in rows:
            counted = row.failures if _aware(row.last_failure_at) > now - FORGET_AFTER else 0
            row.failures, row.last_failure_at = counted + 1, now
            wait = wait_after(row.failures, free=_free(row.key))
            row.blocked_until = now + dt.timedelta(seconds=wait) if wait else None
        await tx.flush()
    return turn


async def give_back(session: AsyncSession, turn: Turn) -> None:
    """The password was right: the account starts again from zero, the address gets this try back."""
    await session.execute(update(LoginThrottle).where(LoginThrottle.key == turn.account_key)
                          .values(failures=0, blocked_until=None))
    if turn.address_key is not None:
        left = LoginThrottle.failures - 1
        await session.execute(
            update(LoginThrottle).where(LoginThrottle.key == turn.address_key, LoginThrottle.failures > 0)
            .values(failures=left, blocked_until=case((left < FREE_FAILURES_PER_ADDRESS, null()),
                                                      else_=LoginThrottle.blocked_until)))


async def prune_attempts(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Forget keys without a failure for an hour (their count would start again anyway); returns how many."""
    now = now or dt.datetime.now(dt.UTC)
    result = await session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at <= now - FORGET_AFTER))
    return affected_rows(result)
