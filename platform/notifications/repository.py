"""The notifications domain's queries: the inbox, what each channel already holds for an event, and the few
reads of other domains' rows a notice needs to know whom to tell (logins, organisers, sign-ups, team members)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.principal import Principal
from servicebank.activities.models import Signup, SignupStatus
from servicebank.kernel.db import affected_rows
from servicebank.notifications.models import ChannelDelivery, EmailMessage, Notification
from servicebank.volunteers.models import TeamMember


def mine(principal: Principal) -> ColumnElement[bool]:
    """The caller's messages; those queued for the volunteer before they had a login belong to them too."""
    clauses = [Notification.user_id == principal.user_id]
    if principal.volunteer_id is not None:
        clauses.append(and_(Notification.user_id.is_(None), Notification.volunteer_id == principal.volunteer_id))
    return or_(*clauses)


async def inbox_page(session: AsyncSession, principal: Principal, *, unread_only: bool, limit: int,
                     before_id: int | None) -> list[Notification]:
    """Newest first, `limit` of them, older than `before_id` when given."""
    query = select(Notification).where(mine(principal))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list((await session.scalars(query.order_by(Notification.id.desc()).limit(limit))).all())


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    return int(await session.scalar(select(func.count(Notification.id)).where(
        mine(principal), Notification.read_at.is_(None))) or 0)


async def one_of_mine(session: AsyncSession, principal: Principal, notification_id: int) -> Notification | None:
    return await session.scalar(select(Notification).where(Notification.id == notification_id, mine(principal)))


async def mark_all_read(session: AsyncSession, principal: Principal, *, at: dt.datetime) -> int:
    result = await session.execute(update(Notification).where(mine(principal), Notification.read_at.is_(None))
                                   .values(read_at=at).execution_options(synchronize_session=False))
    return affected_rows(result)


async def deliveries(session: AsyncSession, event_ids: Sequence[int]) -> list[tuple[int, str, str, str]]:
    """(source event, recipient, channel, status) of every e-mail, text and push sent for these events."""
    mails = await session.execute(select(EmailMessage.source_event_id, EmailMessage.recipient, EmailMessage.status)
                                  .where(EmailMessage.source_event_id.in_(event_ids)))
    others = await session.execute(select(ChannelDelivery.source_event_id, ChannelDelivery.recipient,
                                          ChannelDelivery.channel, ChannelDelivery.status)
                                   .where(ChannelDelivery.source_event_id.in_(event_ids)).order_by(ChannelDelivery.id))
    return [(e, r, "email", s) for e, r, s in mails.tuples().all()] + list(others.tuples().all())


async def in_inbox(session: AsyncSession, *, event_id: int, recipient: str) -> bool:
    """Whether the inbox already holds this event's message for this recipient (a re-delivery adds nothing)."""
    return await session.scalar(select(Notification.id).where(
        Notification.source_event_id == event_id, Notification.recipient == recipient)) is not None


async def e_mail_queued(session: AsyncSession, *, event_id: int, recipient: str) -> bool:
    return await session.scalar(select(EmailMessage.id).where(
        EmailMessage.source_event_id == event_id, EmailMessage.recipient == recipient)) is not None


async def active_logins_of(session: AsyncSession, volunteer_ids: Sequence[int]) -> dict[int, int]:
    """{volunteer id: their active login's user id} for those who have one."""
    rows = await session.execute(select(User.volunteer_id, User.id).where(
        User.volunteer_id.in_(list(volunteer_ids)), User.is_active.is_(True)))
    return {volunteer_id: user_id for volunteer_id, user_id in rows.tuples().all() if volunteer_id is not None}


async def organiser_logins(session: AsyncSession, community_id: int) -> list[int]:
    """The user ids holding the organiser role in the community, each once, in order."""
    users = (await session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role == Role.ORGANISER, RoleGrant.community_id == community_id))).all()
    return sorted(set(users))


async def signup_status(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> str | None:
    return await session.scalar(select(Signup.status).where(Signup.activity_id == activity_id,
                                                            Signup.volunteer_id == volunteer_id))


async def cancelled_signups(session: AsyncSession, activity_id: int) -> list[int]:
    """The volunteers whose places the activity's cancellation took away."""
    return list((await session.scalars(select(Signup.volunteer_id).where(
        Signup.activity_id == activity_id, Signup.status == SignupStatus.CANCELLED))).all())


async def team_member_ids(session: AsyncSession, team_ids: Sequence[int]) -> list[int]:
    return list((await session.scalars(select(TeamMember.volunteer_id).where(
        TeamMember.team_id.in_(list(team_ids))))).all())
