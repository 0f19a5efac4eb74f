"""One-time codes by text: six digits proving a person holds a phone, for one purpose, once, for five minutes.

Purposes: `register` (the phone of a sign-up or of a claimed volunteer record), `login` (logging in without a
password, for elderly volunteers), `spend` (confirming a printed card's spend at the till, instead of the PIN).

Asking is limited per phone (one a minute, five an hour) and per client address (twenty an hour), through the
shared rate limiter (servicebank.ratelimit); the answer is the same whether or not the phone is known. Only an
HMAC of the code (keyed with the install's secret) is stored and compared in constant time; only the newest code of
a phone and purpose counts; each try is reserved before it is checked (a guarded UPDATE, so concurrent guesses
queue on the row) and MAX_TRIES wrong ones end the code. Services flush, never commit: on WrongCode the caller
commits (the try must count) before answering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import OneTimeCode
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import affected_rows, table_of
from servicebank.kernel.errors import DomainError, InvalidInput, TooManyRequests
from servicebank.notifications.sms_codes import queue_code_text
from servicebank.ratelimit import limiter_for

PURPOSES = ("register", "login", "spend")
CODE_DIGITS = 6
VALID_MINUTES = 5
MAX_TRIES = 5
# (what is counted, how many, per how many seconds)
# One code a minute per phone, a minute from the last one (spaced, not a fixed window), and five an hour.
PHONE_GAP_SECONDS = 60
PHONE_LIMITS = (("hour", 5, 3600),)
ADDRESS_LIMIT = (20, 3600)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
# A code row is kept this long after it expired, so a late try still hears `otp_expired` (not "ask for a code
# first"); then it is deleted by the hourly prune: it opens nothing, and a phone's codes are personal data.
KEEP_AFTER_EXPIRY = dt.timedelta(days=1)


class CodeProblem(DomainError):
    """A code that does not open anything: wrong, expired, used, or tried too often."""

    status_code = 400
    code = "otp_wrong"


class WrongCode(CodeProblem):
    """A wrong code: the try is counted in the session, so the caller must commit before answering."""


def clean_mobile(raw: str | None) -> str:
    """A mainland mobile number (codes only go to mobiles); +86 and separators are dropped."""
    phone = re.sub(r"[\s\-()（）]", "", str(raw or ""))
    phone = phone[3:] if phone.startswith("+86") else phone
    if not MOBILE.match(phone):
        raise InvalidInput("Codes are sent to a mainland mobile number (11 digits).", code="otp_needs_mobile")
    return phone


def _digest(key: str, purpose: str, phone: str, code: str) -> str:
    return hmac.new(key.encode(), f"{purpose}\n{phone}\n{code}".encode(), hashlib.sha256).hexdigest()


def check_purpose(purpose: str, *, allowed: tuple[str, ...] = PURPOSES) -> None:
    if purpose not in allowed:
        raise InvalidInput(f"Codes are for: {', '.join(allowed)}.", code="otp_purpose_unknown")


async def count_request(settings: Settings, *, phone: str, client_address: str | None) -> None:
    """Count one request for a code; 429 otp_rate_limited past the limits of the phone or the address."""
    limiter = limiter_for(settings)
    wait = await limiter.spaced(f"otp:phone:gap:{phone}", PHONE_GAP_SECONDS)
    if wait:
        raise TooManyRequests(f"Too many codes asked for. Please wait {wait} seconds.", code="otp_rate_limited",
                              retry_after=wait)
    checks = [(f"otp:phone:{name}:{phone}", limit, seconds) for name, limit, seconds in PHONE_LIMITS]
    checks.append((f"otp:address:{client_address or 'unknown'}", *ADDRESS_LIMIT))
    for key, limit, seconds in checks:
        hits, reset = await limiter.count(key, seconds)
        if hits > limit:
            raise TooManyRequests(f"Too many codes asked for. Please wait {max(reset, 1)} seconds.",
                                  code="otp_rate_limited", retry_after=max(reset, 1))


async def send_code(session: AsyncSession, *, settings: Settings, purpose: str, phone: str,
                    client_address: str | None, volunteer_id: int | None = None) -> OneTimeCode:
    """Make a code for `purpose`, keep its HMAC, and queue the text carrying it (sent after the caller commits)."""
    check_purpose(purpose)
    phone = clean_mobile(phone)
    await count_request(settings, phone=phone, client_address=client_address)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    now = utcnow()
    row = OneTimeCode(purpose=purpose, phone=phone, volunteer_id=volunteer_id, created_at=now,
                      code_hash=_digest(settings.signing_keys(now)[0], purpose, phone, code),
                      expires_at=now + dt.timedelta(minutes=VALID_MINUTES))
    session.add(row)
    await session.flush()
    await queue_code_text(session, settings=settings, code_id=row.id, phone=phone, code=code, minutes=VALID_MINUTES)
    return row


async def use_code(session: AsyncSession, *, settings: Settings, purpose: str, phone: str, code: str | None,
                   volunteer_id: int | None = None) -> None:
    """Accept the newest code of this phone and purpose once; else 400 otp_wrong / otp_expired / otp_used, 429
    otp_too_many_attempts. WrongCode means the caller commits before answering."""
    phone, code = clean_mobile(phone), re.sub(r"\s", "", code or "")
    now = utcnow()
    query = select(OneTimeCode).where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose)
    if volunteer_id is not None:
        query = query.where(OneTimeCode.volunteer_id == volunteer_id)
    row = await session.scalar(query.order_by(OneTimeCode.id.desc()).limit(1))
    if row is None:
        raise CodeProblem("That code is wrong. Ask for a code first.", code="otp_wrong", attempts_left=0)
    if row.used_at is not None:
        raise CodeProblem("That code was used already. Ask for a new one.", code="otp_used")
    if row.expires_at <= now:
        raise CodeProblem(f"That code has expired (codes last {VALID_MINUTES} minutes). Ask for a new one.",
                          code="otp_expired")
    table = table_of(OneTimeCode)
    reserved = (await session.execute(
        update(table).where(table.c.id == row.id, table.c.attempts < MAX_TRIES, table.c.used_at.is_(None))
        .values(attempts=table.c.attempts + 1).returning(table.c.attempts))).scalar()
    if reserved is None:
        raise CodeProblem("Too many wrong codes. Ask for a new code.", code="otp_too_many_attempts",
                          status_code=429)
    given = [_digest(key, purpose, phone, code) for key in settings.signing_keys(now)]
    # Every accepted key is compared, each in constant time, so the time taken says nothing about the code.
    matches = [hmac.compare_digest(row.code_hash, digest) for digest in given]
    if not any(matches) or len(code) != CODE_DIGITS:
        raise WrongCode(f"That code is wrong; {MAX_TRIES - reserved} tries left.", code="otp_wrong",
                        attempts_left=MAX_TRIES - reserved)
    taken = await session.execute(update(table).where(table.c.id == row.id, table.c.used_at.is_(None))
                                  .values(used_at=now))
    if not affected_rows(taken):  # the same code used by a request at the same moment
        raise CodeProblem("That code was used already. Ask for a new one.", code="otp_used")


async def prune_codes(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Delete codes expired for longer than KEEP_AFTER_EXPIRY (used or not); returns how many (idempotent)."""
    now = now or utcnow()
    result = await session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < now - KEEP_AFTER_EXPIRY))
    return affected_rows(result)
