"""Response shapes built from the records services: one front door for the API and the pages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.records import no_shows
from servicebank.records.access import readable_volunteer
from servicebank.records.models import NoShow
from servicebank.records.schemas import NoShowOut, PolicyIn, PolicyOut, StandingOut
from servicebank.volunteers.models import Volunteer


def no_show_out(row: NoShow, title: str) -> NoShowOut:
    return NoShowOut(id=row.id, activity_id=row.activity_id, activity_title=title, volunteer_id=row.volunteer_id,
                     activity_ended_at=row.activity_ended_at, excused_at=row.excused_at,
                     excuse_reason=row.excuse_reason)


async def standing_out(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> StandingOut:
    """The volunteer's counted no-shows, the hold (code and Chinese reason) and their history."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    standing = await no_shows.standing(session, volunteer_id=volunteer.id, community_id=volunteer.community_id)
    rows = await no_shows.history(session, volunteer_id=volunteer.id)
    return StandingOut(volunteer_id=volunteer.id, counted=standing.counted, window_days=standing.rule.window_days,
                       held_until=standing.held_until, hold_code=standing.hold_code,
                       hold_message=standing.message_zh(), no_shows=[no_show_out(r, t) for r, t in rows])


async def standing_for_staff(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> StandingOut | None:
    """The standing for the organiser's volunteer page; None for team leaders, who do not decide on no-shows."""
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None or not principal.manages(volunteer.community_id):
        return None
    return await standing_out(session, principal=principal, volunteer_id=volunteer_id)


async def excuse_out(session: AsyncSession, *, principal: Principal, no_show_id: int, reason: str) -> NoShowOut:
    row = await no_shows.excuse(session, principal=principal, no_show_id=no_show_id, reason=reason)
    title = await no_shows.activity_title(session, row.activity_id)
    return no_show_out(row, title)


async def policy_out(session: AsyncSession, *, principal: Principal, community_id: int,
                     change: PolicyIn | None = None) -> PolicyOut:
    if change is None:
        rule = await no_shows.get_policy(session, principal=principal, community_id=community_id)
    else:
        rule = await no_shows.set_policy(session, principal=principal, community_id=community_id,
                                         enabled=change.enabled, threshold=change.threshold,
                                         window_days=change.window_days, approval_days=change.approval_days)
    return PolicyOut(community_id=community_id, enabled=rule.enabled, threshold=rule.threshold,
                     window_days=rule.window_days, approval_days=rule.approval_days)
