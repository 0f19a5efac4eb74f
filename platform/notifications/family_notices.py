"""Family links in messages: the asked volunteer hears of a request (and confirms it on their page), the asker hears
once it is confirmed. Nothing is said about a declined request: the asker is never told whether a number and phone
matched (family/service.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.family.models import FamilyLink, FamilyLinkStatus, FamilyRelation
from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, recipients_for
from servicebank.volunteers.models import Volunteer


async def _link(session: AsyncSession, event: OutboxEvent, status: str) -> FamilyLink | None:
    """The event's link while it is still in `status` (events may arrive late: a withdrawn request tells nobody)."""
    link = await session.get(FamilyLink, event.payload["link_id"])
    return link if link is not None and link.status == status else None


async def _name(session: AsyncSession, volunteer_id: int) -> str:
    volunteer = await session.get(Volunteer, volunteer_id)
    return f"{volunteer.real_name}（{volunteer.number}）" if volunteer is not None else "一位志愿者"


@subscribe("family_link.requested")
async def on_link_requested(session: AsyncSession, event: OutboxEvent) -> None:
    """Ask the volunteer who was named to confirm or decline, while the request still waits."""
    link = await _link(session, event, FamilyLinkStatus.REQUESTED)
    if link is None:
        return
    asker = await _name(session, link.volunteer_id)
    # link.relation is what the relative is to the asker; the asker is the inverse to the relative.
    message = Message(type=event.type, title="有人申请与您关联为家人",
                      body=f"{asker}申请与您关联为家人（对方是您的{FamilyRelation.INVERSE[link.relation]}）。"
                           "关联后对方可以把时间积分转赠给您。请在“我的家人”页面确认或拒绝；不认识对方请拒绝。")
    await deliver(session, event, await recipients_for(session, [link.relative_id]), message)


@subscribe("family_link.confirmed")
async def on_link_confirmed(session: AsyncSession, event: OutboxEvent) -> None:
    """Tell the asker their link holds now; and the asked volunteer too when an organiser confirmed for them."""
    link = await _link(session, event, FamilyLinkStatus.CONFIRMED)
    if link is None:
        return
    relative = await _name(session, link.relative_id)
    await deliver(session, event, await recipients_for(session, [link.volunteer_id]), Message(
        type=event.type, title="家人关联已确认",
        body=f"{relative}已确认是您的{link.relation}，现在可以互相转赠时间积分了。"))
    if link.confirmed_by_organiser:
        asker = await _name(session, link.volunteer_id)
        await deliver(session, event, await recipients_for(session, [link.relative_id]), Message(
            type=event.type, title="社区已为您确认家人关联",
            body=f"社区工作人员已为您确认与{asker}的家人关联（对方是您的{FamilyRelation.INVERSE[link.relation]}）。"
                 "如有疑问请联系社区。"))
