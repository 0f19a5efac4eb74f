"""The card PIN: what turns a printed QR card into a way to spend points, with the volunteer's consent.

A card is printed and handed around (代签 by team leaders), so it names the volunteer but proves
nothing about them. At the store till a card spends only with its PIN, typed by the volunteer; six
digits like a bank card's 密码, hashed with argon2 like passwords. Each attempt is reserved before
it is checked (a guarded UPDATE, so concurrent guesses queue on the row and none slips past the
limit): after MAX_PIN_FAILURES wrong PINs in a row the card stops spending until the volunteer sets a
new PIN on their account page or an organiser resets it at the desk. Services flush, never commit:
the caller commits a wrong attempt before answering (see WrongCardPin).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.passwords import hash_password, verify_password
from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit
from servicebank.kernel.db import table_of
from servicebank.kernel.errors import Forbidden, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.volunteers.models import Volunteer, VolunteerCardPin

PIN_LENGTH = 6
MAX_PIN_FAILURES = 5
_TOO_EASY = {"123456", "654321", "012345", "543210", "123123", "112233"}


class WrongCardPin(Forbidden):
    """A wrong PIN: the failure is counted in the session, so the caller must commit before answering."""

    code = "card_pin_wrong"


def check_pin_strength(pin: str) -> str:
    """Six digits, not all alike and not a run like 123456; returns the PIN."""
    pin = (pin or "").strip()
    if len(pin) != PIN_LENGTH or not pin.isdigit():
        raise InvalidInput(f"The card PIN is {PIN_LENGTH} digits.", code="invalid_card_pin")
    if len(set(pin)) == 1 or pin in _TOO_EASY:
        raise InvalidInput("Choose a PIN that is harder to guess (not all the same digit, not 123456).",
                           code="weak_card_pin")
    return pin


async def has_pin(session: AsyncSession, volunteer_id: int) -> bool:
    """Whether the volunteer's card can spend (a PIN is set and not locked by wrong attempts)."""
    failures = await session.scalar(select(VolunteerCardPin.failures)
                                     .where(VolunteerCardPin.volunteer_id == volunteer_id))
    return failures is not None and failures < MAX_PIN_FAILURES


async def _store(session: AsyncSession, volunteer_id: int, pin: str | None, *, by_user_id: int | None) -> None:
    row = await session.get(VolunteerCardPin, volunteer_id)
    if pin is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(VolunteerCardPin(volunteer_id=volunteer_id, pin_hash=hash_password(pin), failures=0,
                                     set_at=dt.datetime.now(dt.UTC), set_by_user_id=by_user_id))
    else:
        row.pin_hash, row.failures = hash_password(pin), 0
        row.set_at, row.set_by_user_id = dt.datetime.now(dt.UTC), by_user_id
    await session.flush()


async def set_own_pin(session: AsyncSession, *, principal: Principal, password: str, pin: str) -> None:
    """The volunteer sets (or changes) their card PIN, confirming with their login password; audited."""
    volunteer_id = principal.require_volunteer()
    pin = check_pin_strength(pin)
    user = await session.get(User, principal.user_id)
    if user is None or not verify_password(user.password_hash, password):
        raise Forbidden("The password is wrong.", code="wrong_password")
    await _store(session, volunteer_id, pin, by_user_id=None)
    volunteer = await session.get(Volunteer, volunteer_id)
    await record_audit(session, actor=principal, action="volunteer.card_pin_set", entity_type="volunteer",
                       entity_id=volunteer_id, community_id=volunteer.community_id if volunteer else None)


async def reset_pin(session: AsyncSession, *, principal: Principal, volunteer_id: int, pin: str | None,
                    reason: str) -> None:
    """An organiser clears the volunteer's PIN, or sets the one the volunteer types at the desk; audited."""
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None or not principal.manages(volunteer.community_id):
        if volunteer is not None and principal.belongs_to(volunteer.community_id):
            raise Forbidden("Only the community's organisers can reset a card PIN.", code="organiser_required")
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise InvalidInput("Say why the PIN is reset (e.g. forgotten, card lost).", code="reason_required")
    pin = check_pin_strength(pin) if pin else None
    await _store(session, volunteer_id, pin, by_user_id=principal.user_id)
    await record_audit(session, actor=principal, action="volunteer.card_pin_reset", entity_type="volunteer",
                       entity_id=volunteer_id, community_id=volunteer.community_id,
                       after={"pin_set": pin is not None}, reason=reason)


async def check_pin(session: AsyncSession, *, volunteer_id: int, pin: str | None) -> None:
    """Refuse a card spend without the right PIN: 403 card_pin_not_set / card_pin_locked / card_pin_wrong."""
    if not (pin or "").strip():
        raise Forbidden("A printed card spends points only with the volunteer's card PIN. Ask the volunteer to type "
                        "it, or to show the code on their phone.", code="card_pin_required")
    table = table_of(VolunteerCardPin)
    # Reserve the attempt first: the row lock makes concurrent guesses wait, and none passes the limit.
    reserved = (await session.execute(
        update(table).where(table.c.volunteer_id == volunteer_id, table.c.failures < MAX_PIN_FAILURES)
        .values(failures=table.c.failures + 1).returning(table.c.pin_hash, table.c.failures))).first()
    if reserved is None:
        if await session.get(VolunteerCardPin, volunteer_id) is None:
            raise Forbidden("This volunteer has no card PIN yet, so the card cannot spend points. They can set one "
                            "on their account page, or show the code on their phone.", code="card_pin_not_set")
        raise Forbidden("This card is locked after too many wrong PINs. The volunteer sets a new PIN on their "
                        "account page, or asks an organiser to reset it.", code="card_pin_locked")
    pin_hash, failures = reserved
    if not verify_password(pin_hash, pin.strip()):  # type: ignore[union-attr]  # checked non-empty above
        left = MAX_PIN_FAILURES - failures
        if left == 0:  # someone may be guessing with the volunteer's card: tell them (committed with the failure)
            await record_event(session, "volunteer.card_pin_locked", {"volunteer_id": volunteer_id})
        raise WrongCardPin(f"Wrong card PIN; {left} attempt(s) left before the card is locked.",
                           code="card_pin_wrong", attempts_left=left)
    await session.execute(update(table).where(table.c.volunteer_id == volunteer_id).values(failures=0))
