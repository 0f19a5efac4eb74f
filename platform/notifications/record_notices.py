"""Service records in messages: a no-show excused and a certificate about to expire (to the volunteer), a sign-up
held by the no-show policy (to the community's organisers)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity
from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, organisers_of, recipients_for
from servicebank.records.models import NoShow, VolunteerQualification
from servicebank.records.qualifications import types_for
from servicebank.volunteers.models import Volunteer


@subscribe("no_show.excused")
async def on_no_show_excused(session: AsyncSession, event: OutboxEvent) -> None:
    """The organiser excused a no-show: it no longer counts towards the sign-up limit."""
    no_show = await session.get(NoShow, event.payload["no_show_id"])
    if no_show is None or no_show.excused_at is None:
        return
    activity = await session.get(Activity, no_show.activity_id)
    title = activity.title if activity else "活动"
    message = Message(type=event.type, title=f"爽约记录已撤销：{title}",
                      body=f"社工已认可您未到“{title}”的原因（{no_show.excuse_reason}），这次不再计入爽约次数。",
                      activity_id=no_show.activity_id)
    await deliver(session, event, await recipients_for(session, [no_show.volunteer_id]), message)


@subscribe("signup.held")
async def on_signup_held(session: AsyncSession, event: OutboxEvent) -> None:
    """A sign-up waits for approval (the no-show policy): the community's organisers decide on the activity page."""
    activity = await session.get(Activity, event.payload["activity_id"])
    volunteer = await session.get(Volunteer, event.payload["volunteer_id"])
    if activity is None or volunteer is None:
        return
    message = Message(type=event.type, title=f"有报名待审核：{activity.title}",
                      body=f"{volunteer.real_name}（{volunteer.number}）近期多次报名后未到（爽约），"
                           "这次报名需要您审核。请在活动页面通过或拒绝。", activity_id=activity.id)
    await deliver(session, event, await organisers_of(session, activity.community_id), message)


@subscribe("qualification.expiring")
async def on_qualification_expiring(session: AsyncSession, event: OutboxEvent) -> None:
    """30 days before a checked certificate expires: renew it, or activities that need it will refuse sign-ups."""
    row = await session.get(VolunteerQualification, event.payload["qualification_id"])
    if row is None:
        return
    names = {t.code: t.name for t in await types_for(session, community_id=row.community_id)}
    name = names.get(row.qualification_code, row.qualification_code)
    message = Message(type=event.type, title=f"证书即将到期：{name}",
                      body=f"您的{name}（{row.number_masked}）有效期到 {row.valid_until.isoformat()}。"
                           "请及时换证并交给社工核验，过期后需要这项证书的活动将不能报名。")
    await deliver(session, event, await recipients_for(session, [row.volunteer_id]), message)
