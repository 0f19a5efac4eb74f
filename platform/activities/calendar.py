"""iCalendar feeds for phone calendars: per volunteer (signed token, no login) and per community."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.access import STAFF_ONLY_STATUSES
from servicebank.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from servicebank.kernel.errors import NotFound
from servicebank.keyring import signed_by_any
from servicebank.org.models import Community

if TYPE_CHECKING:  # icalendar loads on the first feed request, not at every process's start
    from icalendar import Calendar, Event

# Feeds show the recent past too, so yesterday's patrol does not vanish from the phone at once.
PAST_WINDOW = dt.timedelta(days=60)
FEED_LIMIT = 2000


def _signature(secret_key: str, volunteer_id: int) -> str:
    digest = hmac.new(secret_key.encode(), f"calendar:volunteer:{volunteer_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def volunteer_feed_token(secret_key: str, volunteer_id: int) -> str:
    """An unguessable token naming the volunteer: `<id>-<HMAC>`; changing secret_key revokes every feed."""
    return f"{volunteer_id}-{_signature(secret_key, volunteer_id)}"


def volunteer_from_token(secret_key: str | Sequence[str], token: str) -> int:
    """The volunteer id a token was issued for (by any accepted key), or 404 for anything forged or malformed."""
    raw_id, _, signature = token.partition("-")
    if not raw_id.isdigit() or len(raw_id) > 18 or not signature:
        raise NotFound("No such calendar.", code="calendar_not_found")
    volunteer_id = int(raw_id)
    if not signed_by_any(signature, secret_key, lambda key: _signature(key, volunteer_id)):
        raise NotFound("No such calendar.", code="calendar_not_found")
    return volunteer_id


def _event(activity: Activity, *, host: str, tentative: bool = False) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"activity-{activity.id}@{host}")
    event.add("dtstamp", activity.updated_at or activity.created_at)
    event.add("dtstart", activity.starts_at)
    event.add("dtend", activity.ends_at)
    event.add("summary", activity.title if not tentative else f"[候补] {activity.title}")
    if activity.address:
        event.add("location", activity.address)
    if activity.latitude is not None and activity.longitude is not None:
        event.add("geo", (activity.latitude, activity.longitude))
    description = activity.description or ""
    if activity.status == ActivityStatus.CANCELLED and activity.cancel_reason:
        description = f"已取消: {activity.cancel_reason}\n{description}"
    if description:
        event.add("description", description)
    if activity.status == ActivityStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "TENTATIVE" if tentative else "CONFIRMED")
    event.add("sequence", int((activity.updated_at or activity.created_at).timestamp()) // 60 % 2_000_000_000)
    return event


def _calendar(name: str) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Service Bank//社区志愿服务银行//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")
    return cal


async def volunteer_feed(session: AsyncSession, *, volunteer_id: int, host: str,
                         now: dt.datetime | None = None) -> bytes:
    """The volunteer's confirmed and waiting activities; cancelled ones stay, marked, so phones drop them."""
    now = now or dt.datetime.now(dt.UTC)
    rows = await session.execute(
        select(Activity, Signup.status).join(Signup, Signup.activity_id == Activity.id)
        .where(Signup.volunteer_id == volunteer_id,
               Signup.status.in_((*SignupStatus.ACTIVE, SignupStatus.CANCELLED)),
               Activity.ends_at >= now - PAST_WINDOW)
        .order_by(Activity.starts_at).limit(FEED_LIMIT)
    )
    cal = _calendar("我的志愿服务")
    for activity, status in rows.all():
        cal.add_component(_event(activity, host=host, tentative=status == SignupStatus.WAITLISTED))
    return cal.to_ical()


async def community_feed(session: AsyncSession, *, community_id: int, host: str,
                         now: dt.datetime | None = None) -> bytes:
    """Every public activity of the community (the residents' activity calendar)."""
    now = now or dt.datetime.now(dt.UTC)
    community = await session.get(Community, community_id)
    if community is None:
        raise NotFound("No such community.", code="community_not_found")
    rows = await session.scalars(
        select(Activity).where(Activity.community_id == community_id,
                               Activity.status.not_in(STAFF_ONLY_STATUSES),
                               Activity.ends_at >= now - PAST_WINDOW)
        .order_by(Activity.starts_at).limit(FEED_LIMIT)
    )
    cal = _calendar(f"{community.name} 志愿活动")
    for activity in rows.all():
        cal.add_component(_event(activity, host=host))
    return cal.to_ical()
