"""The SMS gateway's callbacks (signed, no login) and a person's channel choices."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.notifications import preferences, sms_callbacks


class ReportsOut(msgspec.Struct):
    changed: int


class ReplyOut(msgspec.Struct):
    opted_out: bool


class ChoicesIn(msgspec.Struct, forbid_unknown_fields=True):
    sms_on: bool
    choices: dict[str, dict[str, bool]] = {}


class ChoicesOut(msgspec.Struct):
    phone: str | None
    sms_on: bool
    email_on: bool
    push_on: bool
    choices: dict[str, dict[str, bool]]


def _out(found: preferences.ChannelChoices) -> ChoicesOut:
    return ChoicesOut(phone=found.phone, sms_on=found.sms_on, email_on=found.email_on, push_on=found.push_on,
                      choices=found.choices)


class SmsGatewayController(Controller):
    path = "/api/notifications/sms"
    tags = ["notifications"]

    @post("/reports", status_code=200)
    async def reports(self, request: Request, db_session: AsyncSession) -> ReportsOut:
        """Delivery reports from the gateway, signed with the shared secret (docs/notifications.md)."""
        changed = await sms_callbacks.apply_reports(db_session, settings=request.app.state.settings,
                                                    headers=request.headers, body=await request.body())
        return ReportsOut(changed=changed)

    @post("/replies", status_code=200)
    async def replies(self, request: Request, db_session: AsyncSession) -> ReplyOut:
        """A text someone sent back; 退订 (TD, T, N…) stops every text to that number."""
        opted_out = await sms_callbacks.apply_reply(db_session, settings=request.app.state.settings,
                                                    headers=request.headers, body=await request.body())
        return ReplyOut(opted_out=opted_out)


class ChannelChoiceController(Controller):
    path = "/api/notifications/channels"
    tags = ["notifications"]

    @get("/")
    async def get_choices(self, db_session: AsyncSession, principal: Principal) -> ChoicesOut:
        """Which kinds of notice go by text, e-mail and push (each kind its own channels: text only for the kinds
        with an SMS template), and whether texts are on for the caller's number."""
        return _out(await preferences.choices_for(db_session, user_id=principal.user_id))

    @put("/")
    async def set_choices(self, data: ChoicesIn, db_session: AsyncSession, principal: Principal) -> ChoicesOut:
        """Change them; `sms_on: false` is 退订 for the caller's number. 422 `unknown_notice_kind`,
        `unknown_notice_channel` (e.g. `sms` for a kind that is never texted), `sms_needs_mobile`."""
        return _out(await preferences.set_choices(db_session, user_id=principal.user_id, sms_on=data.sms_on,
                                                  choices=data.choices))
