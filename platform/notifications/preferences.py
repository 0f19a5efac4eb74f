"""Which kinds of message a person gets on which channel: their own choices, else sensible defaults.

Defaults: the inbox gets everything, always. E-mail gets every kind once the person turned e-mail on. A text goes
for the kinds the SMS channel carries (sms_settings.SMS_KINDS) when the kind is urgent (a spend or a locked card
they did not make, a cancelled activity, the hour's reminder), or when the person has neither e-mail turned on nor
a browser taking push messages: for most volunteers, and nearly every elderly one, a text is the only message they
see. Reminders (sms_settings.REMINDER_KINDS) are texted to everyone without a browser taking push, e-mail or not:
one is seldom read in time. Push gets every kind on every browser that subscribed. A number that opted out (退订)
gets no text at all.

Whether a user has a browser taking push is asked once per event for all its recipients (`push_users_known`), not
once per recipient and channel.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.kernel.errors import InvalidInput
from servicebank.notifications.models import ChannelChoice, NotificationPreference, PushSubscription, SmsOptOut
from servicebank.sms_settings import REMINDER_KINDS, SMS_KINDS, URGENT_KINDS
from servicebank.volunteers.fields import MOBILE
from servicebank.volunteers.models import Volunteer

SMS = "sms"
EMAIL = "email"
PUSH = "push"
CHOOSABLE_CHANNELS = (SMS, EMAIL, PUSH)
# The kinds that never go by text, each chosen per person for e-mail and push (the inbox has every message, always).
# A welcome and the notice that someone signed up with one's phone are not here: they come once, or must come.
OTHER_KINDS = (
    "signup.confirmed", "signup.waitlisted", "activity.published", "ledger.star_level_reached",
    "request.assigned", "request.accepted", "request.finished", "request.rated", "request.cancelled",
    "request.declined", "request.expired", "request.created", "request.escalated",
    "family_link.requested", "family_link.confirmed", "honour_list.published", "certificate.issued",
    "redemption.refunded", "no_show.excused", "qualification.expiring", "signup.held", "volunteer.login_claimed",
)
CHOOSABLE_KINDS = (*SMS_KINDS, *OTHER_KINDS)


def channels_of(kind: str) -> tuple[str, ...]:
    """The channels a person may choose for this kind: text only for the kinds that have an SMS template."""
    return CHOOSABLE_CHANNELS if kind in SMS_KINDS else (EMAIL, PUSH)


def default_wants(kind: str, channel: str, *, email_on: bool, push_on: bool) -> bool:
    """The default for a person who never chose (see the module docstring): `email_on`, they turned e-mail on;
    `push_on`, a browser of theirs takes push messages."""
    if channel == SMS:
        if kind not in SMS_KINDS:
            return False
        if kind in URGENT_KINDS:
            return True
        return not push_on if kind in REMINDER_KINDS else not (email_on or push_on)
    return True


_PUSH_USERS = "servicebank.notifications.push_users"


async def users_with_push(session: AsyncSession, user_ids: Iterable[int | None]) -> frozenset[int]:
    """Which of these users have a browser taking push messages: one query (none for no users)."""
    ids = sorted({u for u in user_ids if u is not None})
    if not ids:
        return frozenset()
    return frozenset((await session.scalars(select(PushSubscription.user_id).distinct().where(
        PushSubscription.user_id.in_(ids), PushSubscription.gone_at.is_(None)))).all())


@contextlib.asynccontextmanager
async def push_users_known(session: AsyncSession, user_ids: Iterable[int | None]) -> AsyncIterator[None]:
    """While delivering one event: has_push answers from one query for all its recipients."""
    session.info[_PUSH_USERS] = await users_with_push(session, user_ids)
    try:
        yield
    finally:
        session.info.pop(_PUSH_USERS, None)


async def has_push(session: AsyncSession, user_id: int | None) -> bool:
    """Whether a browser of this user takes push messages."""
    if user_id is None:
        return False
    known = session.info.get(_PUSH_USERS)
    if known is not None:
        return user_id in known
    return user_id in await users_with_push(session, [user_id])


async def _reach(session: AsyncSession, user_id: int | None) -> tuple[bool, bool]:
    """(e-mail on, push on) of this user; neither for a volunteer without a login."""
    if user_id is None:
        return False, False
    pref = await session.get(NotificationPreference, user_id)
    return bool(pref and pref.email_enabled and pref.email), await has_push(session, user_id)


async def wants(session: AsyncSession, *, user_id: int | None, kind: str, channel: str) -> bool:
    """Whether this person wants `kind` on `channel` (a volunteer without a login gets the defaults)."""
    if user_id is not None:
        chosen = await session.get(ChannelChoice, (user_id, kind, channel))
        if chosen is not None:
            return chosen.enabled
    email_on, push_on = await _reach(session, user_id)
    return default_wants(kind, channel, email_on=email_on, push_on=push_on)


async def phone_of(session: AsyncSession, *, user_id: int | None, volunteer_id: int | None) -> str | None:
    """The mobile number texts go to: the login's phone, else the volunteer record's; None for a landline."""
    phone = None
    if user_id is not None:
        user = await session.get(User, user_id)
        phone = user.phone if user is not None else None
        volunteer_id = volunteer_id if volunteer_id is not None else (user.volunteer_id if user else None)
    if not phone and volunteer_id is not None:
        volunteer = await session.get(Volunteer, volunteer_id)
        phone = volunteer.phone if volunteer is not None else None
    return phone if phone and MOBILE.match(phone) else None


async def opted_out(session: AsyncSession, phone: str) -> bool:
    return await session.get(SmsOptOut, phone) is not None


async def opt_out(session: AsyncSession, *, phone: str, source: str) -> None:
    """No more texts to this number (repeating it changes nothing)."""
    if await session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, source=source, opted_out_at=dt.datetime.now(dt.UTC)))
        await session.flush()


async def opt_in(session: AsyncSession, *, phone: str) -> None:
    await session.execute(delete(SmsOptOut).where(SmsOptOut.phone == phone))


@dataclasses.dataclass(frozen=True)
class ChannelChoices:
    """What a person's notices page shows: their number, whether texts are on, and per kind and channel."""

    phone: str | None
    sms_on: bool
    email_on: bool
    # A browser of theirs takes push messages (the push column counts only then).
    push_on: bool
    choices: dict[str, dict[str, bool]]


async def choices_for(session: AsyncSession, *, user_id: int) -> ChannelChoices:
    """Every choosable kind with its current setting on each of its channels."""
    phone = await phone_of(session, user_id=user_id, volunteer_id=None)
    rows = {(c.kind, c.channel): c.enabled for c in (await session.scalars(
        select(ChannelChoice).where(ChannelChoice.user_id == user_id))).all()}
    email_on, push_on = await _reach(session, user_id)
    choices = {kind: {ch: rows.get((kind, ch), default_wants(kind, ch, email_on=email_on, push_on=push_on))
                      for ch in channels_of(kind)} for kind in CHOOSABLE_KINDS}
    sms_on = phone is not None and not await opted_out(session, phone)
    return ChannelChoices(phone=phone, sms_on=sms_on, email_on=email_on, push_on=push_on, choices=choices)


async def set_choices(session: AsyncSession, *, user_id: int, sms_on: bool,
                      choices: dict[str, dict[str, bool]]) -> ChannelChoices:
    """Save the person's choices and their number's 退订 (off) or consent (on)."""
    for kind, channels in choices.items():
        if kind not in CHOOSABLE_KINDS:
            raise InvalidInput(f"Unknown kind of notice: {kind}.", code="unknown_notice_kind")
        if any(ch not in channels_of(kind) for ch in channels):
            raise InvalidInput(f"{kind} goes by: {', '.join(channels_of(kind))}.", code="unknown_notice_channel")
    phone = await phone_of(session, user_id=user_id, volunteer_id=None)
    if sms_on and phone is None:
        raise InvalidInput("Texts need a mobile number on your account.", code="sms_needs_mobile")
    now = dt.datetime.now(dt.UTC)
    for kind, channels in choices.items():
        for channel, enabled in channels.items():
            row = await session.get(ChannelChoice, (user_id, kind, channel))
            if row is None:
                session.add(ChannelChoice(user_id=user_id, kind=kind, channel=channel, enabled=enabled,
                                          updated_at=now))
            else:
                row.enabled, row.updated_at = enabled, now
    if phone is not None:
        await (opt_in(session, phone=phone) if sms_on else opt_out(session, phone=phone, source="page"))
    await session.flush()
    return await choices_for(session, user_id=user_id)
