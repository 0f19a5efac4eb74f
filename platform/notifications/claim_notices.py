"""Late claims (补录) and correction requests in messages: a new one (to the deciding community's organisers), the
decision (to the volunteer)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, organisers_of, recipients_for
from servicebank.records.models import ClaimStatus, CorrectionStatus, ServiceClaim, ServiceCorrection
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


@subscribe("service_correction.requested")
async def on_correction_requested(session: AsyncSession, event: OutboxEvent) -> None:
    """A volunteer asks to correct a record: the organisers of the record's community decide."""
    correction = await session.get(ServiceCorrection, event.payload["correction_id"])
    volunteer = await session.get(Volunteer, correction.volunteer_id) if correction else None
    if correction is None or volunteer is None:
        return
    message = Message(type=event.type, title=f"有更正申请待处理：{volunteer.real_name}",
                      body=f"{volunteer.real_name}（{volunteer.number}）申请更正一条服务记录：{correction.reason}。"
                           "请在“补录审核”页面同意或拒绝。", activity_id=correction.activity_id)
    await deliver(session, event, await organisers_of(session, correction.community_id), message)


@subscribe("service_correction.decided")
async def on_correction_decided(session: AsyncSession, event: OutboxEvent) -> None:
    """The organiser corrected the record (reversed and posted anew) or kept it, saying why."""
    correction = await session.get(ServiceCorrection, event.payload["correction_id"])
    if correction is None or correction.status == CorrectionStatus.PENDING:
        return
    if correction.status == CorrectionStatus.ACCEPTED:
        message = Message(type=event.type, title="更正已通过",
                          body="您申请的服务记录更正已通过：原记录的时长已冲销，按更正后的记录重新计入。")
    else:
        message = Message(type=event.type, title="更正未通过",
                          body=f"您申请的服务记录更正未通过，原因：{correction.decision_reason}。")
    await deliver(session, event, await recipients_for(session, [correction.volunteer_id]), message)
