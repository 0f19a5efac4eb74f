"""Who may post, see, approve and join an activity."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity, ActivityStatus
from servicebank.kernel.errors import Forbidden, NotFound
from servicebank.org.models import Community
from servicebank.volunteers.models import TeamMember, Volunteer, VolunteerStatus

# Statuses only staff see: a volunteer never learns about drafts or undecided proposals.
STAFF_ONLY_STATUSES = (ActivityStatus.DRAFT, ActivityStatus.PENDING_APPROVAL)


def require_poster(principal: Principal, *, community_id: int, team_ids: Iterable[int]) -> None:
    """Organisers post anything in their community; team leaders only activities limited to teams they lead."""
    principal.require_staff(community_id)
    if principal.manages(community_id):
        return
    teams = set(team_ids)
    if not teams or not teams <= set(principal.led_team_ids):
        raise Forbidden("A team leader may only post activities limited to the teams they lead: set team_ids to "
                        "your own teams.", code="team_leader_scope")


def can_see(principal: Principal, activity: Activity) -> bool:
    """Staff of the community see everything; its volunteers see what is published or was."""
    if principal.works_in(activity.community_id):
        return True
    return principal.volunteer_community_id == activity.community_id and activity.status not in STAFF_ONLY_STATUSES


def require_viewer(principal: Principal, activity: Activity | None) -> Activity:
    """The activity, or 404 for anyone who may not see it (outsiders learn nothing)."""
    if activity is None or not can_see(principal, activity):
        raise NotFound("No such activity.", code="activity_not_found")
    return activity


async def require_approver(session: AsyncSession, principal: Principal, *, community_id: int) -> None:
    """Street admins of the community's street (and platform admins) decide proposals."""
    if principal.is_platform_admin:
        return
    street_id = await session.scalar(select(Community.street_id).where(Community.id == community_id))
    if street_id is not None and street_id in principal.street_ids:
        return
    if principal.belongs_to(community_id):
        raise Forbidden("Only the street office's administrator can decide a proposal.",
                        code="street_admin_required")
    raise NotFound("No such activity.", code="activity_not_found")


async def volunteer_team_ids(session: AsyncSession, *, volunteer_id: int) -> set[int]:
    """The teams a volunteer belongs to."""
    rows = await session.scalars(select(TeamMember.team_id).where(TeamMember.volunteer_id == volunteer_id))
    return set(rows.all())


def eligibility_problem(activity: Activity, volunteer: Volunteer, team_ids: set[int]) -> Forbidden | None:
    """Why this volunteer may not join (community, status, team, skill), or None."""
    if volunteer.community_id != activity.community_id:
        return Forbidden("This activity is for another community's volunteers.", code="wrong_community")
    if volunteer.status != VolunteerStatus.ACTIVE:
        return Forbidden("Your volunteer registration is not active; ask your community organiser.",
                         code="volunteer_inactive")
    if activity.team_ids and not team_ids & set(activity.team_ids):
        return Forbidden("This activity is for members of particular teams only.", code="team_only")
    if activity.required_skill and activity.required_skill not in (volunteer.skill_tags or []):
        return Forbidden(f"This activity needs the skill '{activity.required_skill}'.", code="skill_required")
    return None
