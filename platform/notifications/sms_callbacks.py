"""What the SMS gateway tells us: delivery reports per text, and replies (退订 opts the number out).

Both arrive signed like our sends (sms_gateway.verify); an unsigned or stale call changes nothing. Reports are
idempotent: a text takes the first final status reported for it (a repeated or late report changes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import Settings
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import InvalidInput, Unauthenticated
from servicebank.notifications import preferences
from servicebank.notifications.models import ChannelDelivery, DeliveryStatus
from servicebank.notifications.sms_gateway import verify
from servicebank.volunteers.fields import MOBILE

REPORTED = {"delivered": DeliveryStatus.DELIVERED, "undelivered": DeliveryStatus.UNDELIVERED}
# What people reply to stop texts; carriers require every one of these to work.
OPT_OUT_WORDS = {"TD", "T", "N", "退订", "退", "取消", "UNSUBSCRIBE", "STOP"}


class Report(msgspec.Struct, forbid_unknown_fields=True):
    ref: str
    status: str
    error: str | None = None


class Reports(msgspec.Struct, forbid_unknown_fields=True):
    reports: list[Report]


class Reply(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    text: str


def check_signature(settings: Settings, headers: Mapping[str, str], body: bytes) -> None:
    """Refuse a callback the gateway did not sign (or signed too long ago)."""
    sms = settings.sms
    if not sms.gateway_secret or not verify(headers, body, key=sms.gateway_key or "", secret=sms.gateway_secret,
                                            max_skew_seconds=sms.callback_max_skew_seconds):
        raise Unauthenticated("The SMS gateway's signature is missing, wrong or too old.",
                              code="sms_signature_invalid")


def _decode(body: bytes, shape: type[msgspec.Struct]) -> msgspec.Struct:
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"Not a report we understand: {exc}", code="sms_report_invalid") from exc


async def apply_reports(session: AsyncSession, *, settings: Settings, headers: Mapping[str, str],
                        body: bytes) -> int:
    """Store each reported status on its text; returns how many texts changed."""
    check_signature(settings, headers, body)
    reports = _decode(body, Reports)
    assert isinstance(reports, Reports)
    now, changed = dt.datetime.now(dt.UTC), 0
    for report in reports.reports:
        status = REPORTED.get(report.status)
        if status is None or not report.ref.isdigit():
            raise InvalidInput(f"Unknown status {report.status!r} or reference {report.ref!r}.",
                               code="sms_report_invalid")
        result = await session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == int(report.ref), ChannelDelivery.channel == preferences.SMS,
                   ChannelDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENT]))
            .values(status=status, status_at=now, last_error=(report.error or None) and report.error[:1000])
            .execution_options(synchronize_session=False))
        changed += affected_rows(result)
    return changed


async def apply_reply(session: AsyncSession, *, settings: Settings, headers: Mapping[str, str],
                      body: bytes) -> bool:
    """A reply from a phone; True when it opted the number out."""
    check_signature(settings, headers, body)
    reply = _decode(body, Reply)
    assert isinstance(reply, Reply)
    phone = reply.phone.strip().removeprefix("+86")
    if not MOBILE.match(phone):
        raise InvalidInput("The reply's number is not a mobile number.", code="sms_report_invalid")
    if reply.text.strip().upper() not in OPT_OUT_WORDS:
        return False
    await preferences.opt_out(session, phone=phone, source="reply")
    return True
