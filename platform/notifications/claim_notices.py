"""Late claims (补录) in messages: a new claim (to the confirming community's organisers), the decision (to the
volunteer)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, organisers_of, recipients_for
from servicebank.records.models import ClaimStatus, ServiceClaim
from servicebank.volunteers.models import Volunteer


@subscribe("service_claim.submitted")
async def on_claim_submitted(session: AsyncSession, event: OutboxEvent) -> None:
    """A volunteer claims a past service: the organisers who confirm it decide on the 补录审核 page."""
    claim = await session.get(ServiceClaim, event.payload["claim_id"])
    volunteer = await session.get(Volunteer, claim.volunteer_id) if claim else None
    if claim is None or volunteer is None:
        return
    message = Message(type=event.type, title=f"有补录申请待审核：{volunteer.real_name}",
                      body=f"{volunteer.real_name}（{volunteer.number}）申请补录 {claim.service_date.isoformat()} 的服务"
                           f"（{claim.served_minutes} 分钟）。请在“补录审核”页面查看证明照片后通过或拒绝。",
                      activity_id=claim.activity_id)
    await deliver(session, event, await organisers_of(session, claim.community_id), message)


@subscribe("service_claim.decided")
async def on_claim_decided(session: AsyncSession, event: OutboxEvent) -> None:
    """The organiser approved (the hours now count) or declined (with the reason) the volunteer's claim."""
    claim = await session.get(ServiceClaim, event.payload["claim_id"])
    if claim is None or claim.status == ClaimStatus.PENDING:
        return
    day = claim.service_date.isoformat()
    if claim.status == ClaimStatus.APPROVED:
        message = Message(type=event.type, title="补录已通过",
                          body=f"您 {day} 的服务补录已通过，计入 {claim.posted_minutes} 分钟、{claim.posted_points} 积分。",
                          activity_id=claim.activity_id)
    else:
        message = Message(type=event.type, title="补录未通过",
                          body=f"您 {day} 的服务补录未通过，原因：{claim.decision_reason}。", activity_id=claim.activity_id)
    await deliver(session, event, await recipients_for(session, [claim.volunteer_id]), message)
