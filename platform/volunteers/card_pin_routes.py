"""HTTP API of the card PIN: the volunteer sets theirs, an organiser resets one (see volunteers.card_pin)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.volunteers import card_pin
from servicebank.volunteers.schemas import CardPinOut, CardPinReset, CardPinSet


class MyCardPinController(Controller):
    path = "/api/me/card-pin"
    tags = ["volunteers"]

    @get("/")
    async def status(self, db_session: AsyncSession, principal: Principal) -> CardPinOut:
        """Whether your printed card can spend points (a PIN is set and not locked)."""
        volunteer_id = principal.require_volunteer()
        return CardPinOut(volunteer_id=volunteer_id, pin_set=await card_pin.has_pin(db_session, volunteer_id))

    @put("/", status_code=200)
    async def set_pin(self, db_session: AsyncSession, principal: Principal,
                      data: Annotated[CardPinSet, Body(examples=[Example(value={"password": "your-login-password",
                                                                                 "pin": "270419"})])]
                      ) -> CardPinOut:
        """Set or change your card PIN (6 digits; your login password confirms it). The store till asks for it
        when your printed card pays. Errors: 403 `wrong_password`, 422 `invalid_card_pin` / `weak_card_pin`."""
        await card_pin.set_own_pin(db_session, principal=principal, password=data.password, pin=data.pin)
        return CardPinOut(volunteer_id=principal.require_volunteer(), pin_set=True)


class CardPinResetController(Controller):
    path = "/api/volunteers/{volunteer_id:int}/card-pin/reset"
    tags = ["volunteers"]

    @post("/", status_code=200)
    async def reset(self, db_session: AsyncSession, principal: Principal, volunteer_id: int,
                    data: Annotated[CardPinReset, Body(examples=[Example(value={"reason": "忘记密码, 本人到社区重设",
                                                                                 "pin": "270419"})])]
                    ) -> CardPinOut:
        """Clear a volunteer's card PIN, or set the one they type at the desk; unlocks a locked card. Organisers of
        the volunteer's community; audited. Errors: 422 `reason_required` / `invalid_card_pin` / `weak_card_pin`."""
        await card_pin.reset_pin(db_session, principal=principal, volunteer_id=volunteer_id, pin=data.pin,
                                 reason=data.reason)
        return CardPinOut(volunteer_id=volunteer_id, pin_set=data.pin is not None)


ROUTES = [MyCardPinController, CardPinResetController]
