"""A printed card's spend confirmed by a code texted to the volunteer's phone, where the card PIN is used otherwise.

For a volunteer who forgot the PIN, never set one, or whose card is locked by wrong PINs: the clerk asks for a code
(`POST /api/stores/{id}/card-codes` with the card), the volunteer reads it from their phone, and the cart is
redeemed with `sms_code` instead of `pin`. The code is bound to that volunteer, used once, and limited like every
one-time code (accounts/one_time_codes.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import one_time_codes
from servicebank.accounts.principal import Principal
from servicebank.checkins.proxy_lookup import mask_phone
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, InvalidInput
from servicebank.stores import codes, rules
from servicebank.stores.access import get_store, require_till
from servicebank.volunteers import card_pin
from servicebank.volunteers.models import Volunteer

SPEND = "spend"


async def text_spend_code(session: AsyncSession, *, actor: Principal, settings: Settings, store_id: int, code: str,
                          client_address: str | None, now: dt.datetime | None = None) -> str:
    """Text a spend code to the card's volunteer; returns their phone, masked, for the clerk to say aloud."""
    now = now or utcnow()
    store = await get_store(session, store_id)
    require_till(actor, store)
    if not store.is_active:
        raise Conflict("This store is closed for redemptions.", code="store_closed")
    scanned = await codes.resolve(session, code, secret_key=settings.signing_keys(now), now=now,
                                  till=codes.Till(settings=settings, community_id=store.community_id,
                                                  clerk_user_id=actor.user_id, client_address=client_address))
    if scanned.method != "card":
        raise InvalidInput("A phone code is the volunteer's consent already; texted codes are for printed cards.",
                           code="spend_code_card_only")
    standing = await rules.volunteer_at_store(session, volunteer_id=scanned.volunteer_id, store=store)
    phone = one_time_codes.clean_mobile(standing.volunteer.phone)
    await one_time_codes.send_code(session, settings=settings, purpose=SPEND, phone=phone,
                                   client_address=client_address, volunteer_id=standing.volunteer.id)
    return mask_phone(phone)


def can_text(volunteer: Volunteer) -> bool:
    """Whether a spend code can be texted to this volunteer (a mainland mobile on their record)."""
    try:
        one_time_codes.clean_mobile(volunteer.phone)
    except InvalidInput:
        return False
    return True


async def confirm_paths(session: AsyncSession, volunteer: Volunteer) -> list[str]:
    """How a spend with this volunteer's printed card can be confirmed: "pin" (set, not locked), "sms_code"."""
    paths = ["pin"] if await card_pin.has_pin(session, volunteer.id) else []
    return paths + (["sms_code"] if can_text(volunteer) else [])


async def confirm_card(session: AsyncSession, *, settings: Settings, volunteer: Volunteer, pin: str | None,
                       sms_code: str | None) -> None:
    """The volunteer's consent to a card spend: the texted code when given, else the card PIN. A wrong one is
    counted in the session (card_pin.WrongCardPin, one_time_codes.WrongCode): the caller commits it."""
    if (sms_code or "").strip():
        await one_time_codes.use_code(session, settings=settings, purpose=SPEND, phone=volunteer.phone or "",
                                      code=sms_code, volunteer_id=volunteer.id)
        return
    await card_pin.check_pin(session, volunteer_id=volunteer.id, pin=pin)
