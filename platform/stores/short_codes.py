"""Short redemption codes: 6 digits a volunteer can read aloud or a clerk can type ("123 456").

Six digits cannot carry a signature, so issued codes live in `store_redemption_code`: the volunteer, a
keyed hash of the digits (HMAC with a key derived from the signing key; a copy of the database does not
give the codes away), when the code expires and when it was used or cancelled. A new code cancels the
volunteer's previous unused one; live codes are unique (partial unique index). A code is looked up only
among live, unexpired codes of volunteers of the store's community, so a wrong, expired, spent, cancelled
or other community's code all get the same answer and a guess never learns whether a code belonged to
someone. Wrong codes are counted per clerk and per client address (`WRONG_CODE_LIMITS`), and spending
is a guarded UPDATE, so of two tills redeeming one code at once exactly one wins.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import Settings
from servicebank.kernel.db import affected_rows
from servicebank.kernel.dialect import upsert
from servicebank.kernel.errors import Conflict, DomainError, TooManyRequests
from servicebank.keyring import as_keys
from servicebank.ratelimit import limiter_for
from servicebank.stores.models import RedemptionCode
from servicebank.volunteers.models import Volunteer

DIGITS = 6
_SEPARATORS = re.compile(r"[\s\-]")
# Wrong short codes allowed per window: per clerk login, and per client address (a shared counter PC).
WRONG_CODE_WINDOW_SECONDS = 600
WRONG_CODE_LIMITS = (("clerk", 10), ("address", 20))
_DRAWS = 20  # a free combination is found at the first draw unless a community keeps ~10^5 codes live
_LIVE = and_(RedemptionCode.used_at.is_(None), RedemptionCode.cancelled_at.is_(None))


@dataclasses.dataclass(frozen=True)
class IssuedShortCode:
    code: str  # "123456"
    expires_at: dt.datetime

    @property
    def display(self) -> str:
        """Grouped for reading aloud: "123 456"."""
        return grouped(self.code)


def grouped(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


def as_short_code(text: str) -> str | None:
    """The digits of a typed short code ("123 456", "123-456", "123456"); None when it is not one."""
    digits = _SEPARATORS.sub("", text or "")
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"servicebank/stores/short-code", hashlib.sha256).digest()


def _hashes(keys: str | Sequence[str], digits: str) -> list[str]:
    return [hmac.new(_key(key), digits.encode(), hashlib.sha256).hexdigest() for key in as_keys(keys)]


def wrong_code() -> DomainError:
    return DomainError("This code is not valid: it may be mistyped, expired or already used. Ask the volunteer to "
                       "read the code on the phone again, or to open a fresh one.", code="redemption_code_invalid",
                       status_code=400)


async def issue(session: AsyncSession, *, settings: Settings, volunteer_id: int, now: dt.datetime) -> IssuedShortCode:
    """A fresh short code for the volunteer's phone; their previous unused code stops working."""
    await session.execute(update(RedemptionCode).where(RedemptionCode.volunteer_id == volunteer_id, _LIVE)
                          .values(cancelled_at=now).execution_options(synchronize_session=False))
    keys = settings.signing_keys(now)
    expires_at = now + dt.timedelta(seconds=settings.redemption_code_seconds)
    for _ in range(_DRAWS):
        digits = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
        hashes = _hashes(keys, digits)
        # Digits drawn again after their code expired unused: that code is over, free the combination.
        await session.execute(update(RedemptionCode).where(
            RedemptionCode.code_hash.in_(hashes), _LIVE, RedemptionCode.expires_at <= now)
            .values(cancelled_at=now).execution_options(synchronize_session=False))
        if await session.scalar(select(exists().where(RedemptionCode.code_hash.in_(hashes), _LIVE))):
            continue  # live under an older key during a key rotation
        stmt = upsert(session, RedemptionCode).values(volunteer_id=volunteer_id, code_hash=hashes[0], issued_at=now,
                                                      expires_at=expires_at)
        stmt = stmt.on_conflict_do_nothing(index_elements=["code_hash"], index_where=_LIVE)
        if (await session.execute(stmt.returning(RedemptionCode.id))).first() is not None:
            return IssuedShortCode(code=digits, expires_at=expires_at)
    raise Conflict("No free code could be drawn; please try again.", code="redemption_code_unavailable")


async def resolve(session: AsyncSession, digits: str, *, settings: Settings, community_id: int,
                  clerk_user_id: int | None, client_address: str | None, now: dt.datetime) -> tuple[int, int,
                                                                                                  dt.datetime]:
    """(code id, volunteer id, expiry) of a live code of a volunteer of this community.

    Every look-up counts as a guess for the clerk and the address, and a successful one is forgiven, so only
    wrong codes add up; past the limit the till is refused (429) before anything is looked up."""
    limiter = limiter_for(settings)
    counters = [(f"short-code:{kind}:{who}", limit) for (kind, limit), who
                in zip(WRONG_CODE_LIMITS, (clerk_user_id, client_address), strict=True) if who is not None]
    for key, limit in counters:
        hits, reset = await limiter.count(key, WRONG_CODE_WINDOW_SECONDS)
        if hits > limit:
            raise TooManyRequests(f"Too many wrong codes in a short time. Please wait {max(reset, 1)} seconds, then "
                                  "ask the volunteer to read the code again.", code="too_many_wrong_codes",
                                  retry_after=max(reset, 1))
    row = (await session.execute(
        select(RedemptionCode.id, RedemptionCode.volunteer_id, RedemptionCode.expires_at)
        .join(Volunteer, Volunteer.id == RedemptionCode.volunteer_id)
        .where(RedemptionCode.code_hash.in_(_hashes(settings.signing_keys(now), digits)), _LIVE,
               RedemptionCode.expires_at > now, Volunteer.community_id == community_id))).first()
    if row is None:
        raise wrong_code()
    for key, _limit in counters:
        await limiter.forgive(key, WRONG_CODE_WINDOW_SECONDS)
    return row.id, row.volunteer_id, row.expires_at


async def is_live_code_of(session: AsyncSession, digits: str, *, settings: Settings, volunteer_id: int,
                          now: dt.datetime) -> bool:
    """Whether the digits are the volunteer's own live code (their phone asks for its QR image)."""
    return bool(await session.scalar(select(exists().where(
        RedemptionCode.code_hash.in_(_hashes(settings.signing_keys(now), digits)), _LIVE,
        RedemptionCode.expires_at > now, RedemptionCode.volunteer_id == volunteer_id))))


async def spend(session: AsyncSession, code_id: int, *, now: dt.datetime) -> None:
    """Mark the code used; of simultaneous redemptions of one code only the first gets the row."""
    taken = await session.execute(update(RedemptionCode).where(
        RedemptionCode.id == code_id, _LIVE, RedemptionCode.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if affected_rows(taken) != 1:
        raise DomainError("This code has already been used. Ask the volunteer to open a fresh code.",
                          code="redemption_code_used", status_code=409)
