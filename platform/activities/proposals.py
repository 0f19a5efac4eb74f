"""项目申请: activities that need the street office's approval before they are published."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import repository as repo
from servicebank.activities.access import require_approver, require_viewer
from servicebank.activities.models import Activity, ActivityProposal, ActivityStatus, ProposalStatus
from servicebank.activities.schemas import ProposalIn
from servicebank.activities.service import get_for_staff, publish
from servicebank.audit.service import record_audit
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, NotFound


async def submit_proposal(session: AsyncSession, *, principal: Principal, activity_id: int,
                          data: ProposalIn) -> ActivityProposal:
    """Send a draft's proposal to the street office; the activity waits for the decision."""
    activity = await get_for_staff(session, principal=principal, activity_id=activity_id, lock=True)
    if activity.status != ActivityStatus.DRAFT:
        raise Conflict(f"Only a draft can be proposed; this activity is {activity.status}.",
                       code="activity_not_draft")
    proposal = await repo.get_proposal(session, activity.id)
    if proposal is None:
        proposal = ActivityProposal(activity_id=activity.id, goals=data.goals)
        session.add(proposal)
    # A rejected proposal is revised and sent again on the same row; the last decision is kept until then.
    proposal.goals = data.goals.strip()
    proposal.budget_fen = data.budget_fen
    proposal.expected_participants = data.expected_participants
    proposal.schedule = data.schedule
    proposal.status = ProposalStatus.PENDING
    proposal.submitted_by_user_id = principal.user_id
    proposal.submitted_at = utcnow()
    proposal.decided_by_user_id = None
    proposal.decided_at = None
    activity.needs_approval = True
    activity.status = ActivityStatus.PENDING_APPROVAL
    activity.updated_at = proposal.submitted_at
    await session.flush()
    await record_audit(session, actor=principal, action="activity.proposal_submit", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id)
    return proposal


async def _pending(session: AsyncSession, principal: Principal, activity_id: int) -> tuple[Activity, ActivityProposal]:
    activity = await repo.lock_activity(session, activity_id)
    if activity is None:
        raise NotFound("No such activity.", code="activity_not_found")
    await require_approver(session, principal, community_id=activity.community_id)
    proposal = await repo.get_proposal(session, activity.id)
    if activity.status != ActivityStatus.PENDING_APPROVAL or proposal is None:
        raise Conflict("This activity has no proposal waiting for a decision.", code="proposal_not_pending")
    return activity, proposal


async def approve(session: AsyncSession, *, principal: Principal, activity_id: int,
                  note: str | None = None) -> Activity:
    """Approve the proposal: the activity is published."""
    activity, proposal = await _pending(session, principal, activity_id)
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by_user_id = principal.user_id
    proposal.decided_at = utcnow()
    proposal.decision_reason = note
    await publish(session, activity)
    await record_audit(session, actor=principal, action="activity.proposal_approve", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id, reason=note)
    return activity


async def reject(session: AsyncSession, *, principal: Principal, activity_id: int, reason: str) -> Activity:
    """Reject the proposal with a reason: the activity goes back to draft for revision."""
    activity, proposal = await _pending(session, principal, activity_id)
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by_user_id = principal.user_id
    proposal.decided_at = utcnow()
    proposal.decision_reason = reason.strip()
    activity.status = ActivityStatus.DRAFT
    activity.updated_at = proposal.decided_at
    await session.flush()
    await record_audit(session, actor=principal, action="activity.proposal_reject", entity_type="activity",
                       entity_id=activity.id, community_id=activity.community_id, reason=reason)
    return activity


async def get_proposal(session: AsyncSession, *, principal: Principal, activity_id: int) -> ActivityProposal:
    """The proposal, for the activity's staff and the approvers."""
    activity = await repo.get_activity(session, activity_id)
    if activity is None:
        raise NotFound("No such activity.", code="activity_not_found")
    if not principal.works_in(activity.community_id):
        await require_approver(session, principal, community_id=activity.community_id)
    else:
        require_viewer(principal, activity)
    proposal = await repo.get_proposal(session, activity.id)
    if proposal is None:
        raise NotFound("This activity has no proposal.", code="proposal_not_found")
    return proposal
