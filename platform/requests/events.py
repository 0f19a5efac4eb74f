"""Consumers of the requests' events: the request's timeline, and a notice to the people concerned.

Idempotent: the timeline has one row per outbox event (unique event_id), and every notification channel
keeps one row per (event, recipient). Handlers read the request's current state, not the event's order.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message, Recipient
from servicebank.notifications.events import deliver, recipients_for, when_text
from servicebank.requests.models import Household, RequestCategory, RequestHistory, RequestStatus, ServiceRequest
from servicebank.requests.reminders import visit_window
from servicebank.volunteers.models import TeamMember

TYPES = ("request.created", "request.approved", "request.declined", "request.opened", "request.assigned",
         "request.accepted", "request.started", "request.finished", "request.rated", "request.completed",
         "request.cancelled", "request.expired", "request.escalated")


async def _staff(session: AsyncSession, community_id: int, roles: tuple[str, ...]) -> list[Recipient]:
    users = (await session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.community_id == community_id, RoleGrant.role.in_(roles)))).all()
    return [Recipient(volunteer_id=None, user_id=u) for u in sorted(set(users))]


async def _resident_side(session: AsyncSession, request: ServiceRequest, household: Household) -> list[Recipient]:
    """The resident's login (if they have one) and whoever ordered for them."""
    found = await recipients_for(session, [household.volunteer_id] if household.volunteer_id else [])
    creator_volunteer = await session.scalar(select(User.volunteer_id).where(User.id == request.created_by_user_id))
    if not any(r.user_id == request.created_by_user_id for r in found):
        found.append(Recipient(volunteer_id=creator_volunteer, user_id=request.created_by_user_id))
    return found


async def _volunteer(session: AsyncSession, volunteer_id: int | None) -> list[Recipient]:
    return await recipients_for(session, [volunteer_id] if volunteer_id else [])


def _visit(session: AsyncSession, request: ServiceRequest) -> str:
    """When the visit is agreed (the window `visit_at` falls in), for the messages of accepting and assigning."""
    window = visit_window(request)
    return f"约定{when_text(session, *window)}上门" if window else "会按约定时间上门"


async def _who_and_what(session: AsyncSession, event: OutboxEvent, request: ServiceRequest,
                        household: Household, what: str) -> tuple[list[Recipient], str, str]:
    p = event.payload
    kind = event.type.split(".", 1)[1]
    organisers = (Role.ORGANISER,)
    if kind == "created":
        return await _staff(session, request.community_id, organisers), "有新的居民需求待审核", \
            f"{what}（{household.building}），请在派单台审核。"
    if kind == "declined":
        return await _resident_side(session, request, household), "居民需求未通过审核", \
            f"{what}：{p.get('reason', '')}"
    if kind == "opened" and p.get("team_id"):
        members = (await session.scalars(select(TeamMember.volunteer_id).where(
            TeamMember.team_id == p["team_id"]))).all()
        return await recipients_for(session, sorted(members)), "服务队有新的居民需求", \
            f"{what}（{household.building}）派给了您所在的服务队，请到接单大厅接单。"
    if kind in ("assigned",):
        return await _volunteer(session, p.get("volunteer_id")), "您有一个新的服务任务", \
            f"{what}（{household.building}），{_visit(session, request)}，请在“我的任务”里查看地址和电话。"
    if kind == "accepted":
        return await _resident_side(session, request, household), "志愿者已接单", \
            f"{what}：志愿者已接单，{_visit(session, request)}。"
    if kind == "finished":
        return await _resident_side(session, request, household), "服务已完成，请评价", \
            f"{what}：服务已完成，请在 7 天内评价。"
    if kind == "rated":
        found = await _volunteer(session, request.volunteer_id)
        if p.get("review_open"):
            found += await _staff(session, request.community_id, organisers)
        return found, "服务收到评价", f"{what}：{p.get('stars')} 星。"
    if kind == "cancelled":
        return await _volunteer(session, p.get("volunteer_id")), "服务已取消", f"{what}：{p.get('reason', '')}"
    if kind == "expired":
        return await _resident_side(session, request, household), "需求已超时", \
            f"{what}：在您希望的时间内没有志愿者接单，请联系社区。"
    if kind == "escalated":
        roles = (Role.TEAM_LEADER,) if p.get("level") == 1 else organisers
        return await _staff(session, request.community_id, roles), "有居民需求还没有人接单", \
            f"{what}（{household.building}）已等待较长时间，请尽快派单。"
    return [], "", ""  # approved, opened to everyone, started, completed: the timeline only


@subscribe(*TYPES)
async def on_request_event(session: AsyncSession, event: OutboxEvent) -> None:
    """Write the timeline row and tell the people concerned (each at most once per event)."""
    request = await session.get(ServiceRequest, event.payload["request_id"])
    if request is None:
        return
    if await session.scalar(select(RequestHistory.id).where(RequestHistory.event_id == event.id)) is None:
        note = str(event.payload.get("reason") or event.payload.get("stars") or event.payload.get("level") or "")
        session.add(RequestHistory(event_id=event.id, request_id=request.id, type=event.type,
                                   user_id=event.payload.get("user_id"), note=note[:200], created_at=event.created_at))
        await session.flush()
    household = await session.get(Household, request.household_id)
    category = await session.get(RequestCategory, request.category_id)
    if household is None:
        return
    what = f"{category.name if category else '服务'}需求 #{request.id}"
    recipients, title, body = await _who_and_what(session, event, request, household, what)
    if recipients:
        await deliver(session, event, recipients, Message(type=event.type, title=title, body=body))


@subscribe("request.visit_reminder", "request.visit_soon")
async def on_visit_reminder(session: AsyncSession, event: OutboxEvent) -> None:
    """Remind the volunteer and the resident's side of the visit, the day and the hour before, only while the
    request is still accepted by that volunteer for that visit (not in the timeline: nothing happened to it)."""
    request = await session.get(ServiceRequest, event.payload["request_id"])
    if request is None or request.status != RequestStatus.ACCEPTED or \
            request.volunteer_id != event.payload.get("volunteer_id"):
        return
    window, household = visit_window(request), await session.get(Household, request.household_id)
    if window is None or household is None:
        return
    category = await session.get(RequestCategory, request.category_id)
    service = category.name if category else "服务"
    time = when_text(session, *window)
    soon = event.type == "request.visit_soon"
    # One template for both sides (sms_settings.SMS_KINDS): the service and the agreed time.
    params = {"service": service, "time": time}
    volunteer = await _volunteer(session, request.volunteer_id)
    await deliver(session, event, volunteer, Message(
        type=event.type, title=f"{'一小时后上门' if soon else '上门服务提醒'}：{service}", params=params,
        body=f"您接的{service}需求 #{request.id}约定{time}上门（{household.building}），请准时到达。"
             "地址和电话在“我的任务”里；不能按时去请尽早联系社区。"))
    serving = {r.key for r in volunteer}
    residents = [r for r in await _resident_side(session, request, household)
                 if r.key not in serving and r.volunteer_id != request.volunteer_id]
    await deliver(session, event, residents, Message(
        type=event.type, title=f"{'志愿者一小时后上门' if soon else '志愿者上门提醒'}：{service}", params=params,
        body=f"{service}需求 #{request.id}：志愿者约定{time}上门服务，请留意在家等候。如需改期请联系社区。"))
