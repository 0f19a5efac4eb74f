"""Turn domain events into notifications: who should hear, what to tell them, through every channel.

Handlers read current state (events may arrive in any order) and are idempotent: each channel keeps
one row per (source event, recipient).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, Signup, SignupStatus
from servicebank.config import Settings, get_settings
from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications import preferences, repository
from servicebank.notifications.channels import CHANNELS, Message, Recipient, register_channel
from servicebank.notifications.push_channel import PushChannel
from servicebank.notifications.sms_channel import SmsChannel
from servicebank.org.models import Community
from servicebank.volunteers.models import LoginClaim, Volunteer


def settings_of(session: AsyncSession) -> Settings:
    """The settings of the database this session belongs to (the process's settings outside one)."""
    db = session.info.get("db")
    return db.settings if db is not None else get_settings()




async def recipients_for(session: AsyncSession, volunteer_ids: Iterable[int]) -> list[Recipient]:
    """Each volunteer's login when they have one, else the volunteer (seen once they get a login)."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return []
    users = await repository.active_logins_of(session, ids)
    return [Recipient(volunteer_id=v, user_id=users.get(v)) for v in ids]


async def deliver(session: AsyncSession, event: OutboxEvent, recipients: Iterable[Recipient],
                  message: Message) -> None:
    """Hand the message to every enabled channel for every recipient."""
    settings = settings_of(session)
    channels = [c for c in CHANNELS if c.enabled(settings)]
    recipients = list(recipients)
    # Who takes push is asked once for the event, not per recipient and channel (push and the SMS defaults ask).
    async with preferences.push_users_known(session, [r.user_id for r in recipients]):
        for recipient in recipients:
            for channel in channels:
                await channel.deliver(session, settings=settings, event_id=event.id, recipient=recipient,
                                      message=message)


async def organisers_of(session: AsyncSession, community_id: int) -> list[Recipient]:
    """The logins holding the organiser role in the community (each once)."""
    return [Recipient(volunteer_id=None, user_id=u) for u in await repository.organiser_logins(session, community_id)]


def when_text(session: AsyncSession, starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """`12月07日 09:00–11:00` in the install's time zone (the end's date too when it is another day)."""
    tz = ZoneInfo(settings_of(session).timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    end_text = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%m月%d日 %H:%M")
    return f"{start.strftime('%m月%d日 %H:%M')}–{end_text}"


def _when(session: AsyncSession, activity: Activity) -> str:
    return when_text(session, activity.starts_at, activity.ends_at)


def _details(session: AsyncSession, activity: Activity) -> str:
    place = f"，地点：{activity.address}" if activity.address else ""
    return f"时间：{_when(session, activity)}{place}。"


SIGNUP_TITLES = {
    "signup.confirmed": "报名成功：{title}",
    "signup.waitlisted": "已进入候补：{title}",
    "signup.promoted": "候补转为正式报名：{title}",
}


@subscribe("signup.confirmed", "signup.waitlisted", "signup.promoted")
async def on_signup(session: AsyncSession, event: OutboxEvent) -> None:
    """Tell the volunteer their place (confirmed, waiting at position n, promoted)."""
    activity = await session.get(Activity, event.payload["activity_id"])
    signup = await session.get(Signup, event.payload["signup_id"])
    if activity is None or signup is None:
        return
    body = _details(session, activity)
    if event.type == "signup.waitlisted":
        position = f"第 {signup.position} 位" if signup.status == SignupStatus.WAITLISTED and signup.position else ""
        body = f"名额已满，您在候补名单{position}，有人退出时会自动为您转正。" + body
    elif event.type == "signup.promoted":
        body = "有名额空出，您已从候补转为正式报名，请按时参加。" + body
    else:
        body = "请按时参加，活动现场扫码签到。" + body
    params = {"title": activity.title, "time": _when(session, activity)} if event.type == "signup.promoted" else None
    message = Message(type=event.type, title=SIGNUP_TITLES[event.type].format(title=activity.title), body=body,
                      activity_id=activity.id, params=params)
    await deliver(session, event, await recipients_for(session, [event.payload["volunteer_id"]]), message)


@subscribe("activity.reminder", "activity.starting_soon")
async def on_reminder(session: AsyncSession, event: OutboxEvent) -> None:
    """The reminder the day before and the hour before, only while the place is still confirmed."""
    activity = await session.get(Activity, event.payload["activity_id"])
    volunteer_id = event.payload["volunteer_id"]
    if activity is None:
        return
    status = await repository.signup_status(session, activity_id=activity.id, volunteer_id=volunteer_id)
    if status != SignupStatus.CONFIRMED or activity.status != "published":
        return
    soon = event.type == "activity.starting_soon"
    message = Message(type=event.type, title=f"{'一小时后开始' if soon else '活动提醒'}：{activity.title}",
                      body=f"您报名的活动{'一小时内就要开始了' if soon else '即将开始'}。{_details(session, activity)}"
                           f"{'请准时到场，现场扫码签到。' if soon else '如不能参加请提前取消报名。'}",
                      activity_id=activity.id, params={"title": activity.title, "time": _when(session, activity),
                                                       "place": activity.address or "见活动详情"})
    await deliver(session, event, await recipients_for(session, [volunteer_id]), message)


@subscribe("activity.cancelled")
async def on_cancelled(session: AsyncSession, event: OutboxEvent) -> None:
    """Everyone whose place the cancellation took."""
    activity = await session.get(Activity, event.payload["activity_id"])
    if activity is None:
        return
    volunteer_ids = await repository.cancelled_signups(session, activity.id)
    reason = event.payload.get("reason") or activity.cancel_reason or ""
    message = Message(type=event.type, title=f"活动已取消：{activity.title}",
                      body=f"原定{_when(session, activity)}的活动已取消。原因：{reason}", activity_id=activity.id,
                      params={"title": activity.title, "time": _when(session, activity)})
    await deliver(session, event, await recipients_for(session, volunteer_ids), message)


@subscribe("activity.published")
async def on_published(session: AsyncSession, event: OutboxEvent) -> None:
    """A one-off activity for particular teams: tell their members (series occurrences would be noise)."""
    activity = await session.get(Activity, event.payload["activity_id"])
    if activity is None or not activity.team_ids or activity.series_id is not None:
        return
    if activity.starts_at <= dt.datetime.now(dt.UTC):
        return
    members = await repository.team_member_ids(session, list(activity.team_ids))
    message = Message(type=event.type, title=f"新活动：{activity.title}",
                      body=f"您所在的服务队有新活动，欢迎报名。{_details(session, activity)}", activity_id=activity.id)
    await deliver(session, event, await recipients_for(session, members), message)


@subscribe("volunteer.registered")
async def on_registered(session: AsyncSession, event: OutboxEvent) -> None:
    """Welcome a new volunteer."""
    volunteer = await session.get(Volunteer, event.payload["volunteer_id"])
    if volunteer is None:
        return
    message = Message(type=event.type, title="欢迎加入社区志愿服务",
                      body=f"{volunteer.real_name}，您的志愿者编号是 {volunteer.number}。在“活动”里可以报名参加服务。")
    await deliver(session, event, await recipients_for(session, [volunteer.id]), message)


@subscribe("ledger.star_level_reached")
async def on_star_level(session: AsyncSession, event: OutboxEvent) -> None:
    """Congratulate a volunteer on a new star level."""
    level = int(event.payload.get("level") or 0)
    message = Message(type=event.type, title=f"恭喜成为{level}星级志愿者",
                      body=f"您的累计服务时长已达到{level}星级志愿者标准，感谢您的奉献！")
    await deliver(session, event, await recipients_for(session, [event.payload["volunteer_id"]]), message)


@subscribe("volunteer.registration_attempted")
async def on_registration_attempt(session: AsyncSession, event: OutboxEvent) -> None:
    """Tell a login's owner that someone signed up with their phone: the sign-up answer itself says nothing."""
    community = await session.get(Community, event.payload["community_id"])
    where = community.name if community is not None else "社区"
    message = Message(type=event.type, title="有人用您的手机号申请注册志愿者",
                      body=f"有人用您的手机号申请加入{where}的志愿者。如果是您本人：您已有账号，请直接用手机号登录。"
                           "如果不是您：不用理会，您的账号没有任何变化。")
    await deliver(session, event, [Recipient(volunteer_id=None, user_id=event.payload["user_id"])], message)


@subscribe("volunteer.login_claimed")
async def on_login_claimed(session: AsyncSession, event: OutboxEvent) -> None:
    """Ask the community's organisers to check a sign-up that claims a volunteer record's login."""
    claim = await session.get(LoginClaim, event.payload["claim_id"])
    volunteer = await session.get(Volunteer, event.payload["volunteer_id"])
    if claim is None or volunteer is None:
        return
    message = Message(type=event.type, title="有志愿者账号认领申请待审核",
                      body=f"“{claim.claimed_name}”用手机号 {claim.phone} 申请志愿者 {volunteer.number}"
                           f"（{volunteer.real_name}）的登录账号。请先与本人核实，再在志愿者页面批准或拒绝。")
    await deliver(session, event, await organisers_of(session, event.payload["community_id"]), message)


# Spends at the stores have their own module; importing it here registers its handlers with the rest.
# So have organisers' notices to a team or an activity's volunteers.
# Family links asked for and confirmed; honour lists published and certificates issued; late claims submitted and
# decided: their own modules too.
from servicebank.notifications import claim_notices as _claim_notices  # noqa: E402,F401
from servicebank.notifications import family_notices as _family_notices  # noqa: E402,F401
from servicebank.notifications import honour_notices as _honour_notices  # noqa: E402,F401
from servicebank.notifications import notices as _notices  # noqa: E402,F401
from servicebank.notifications import record_notices as _record_notices  # noqa: E402,F401
from servicebank.notifications import spending as _spending  # noqa: E402,F401

# Texts: a channel like the inbox and e-mail, for the kinds that have an SMS template (sms_settings.SMS_KINDS).
register_channel(SmsChannel())
# Push to the browsers a user subscribed (on when the install has a VAPID key: embedded mode makes one).
register_channel(PushChannel())
