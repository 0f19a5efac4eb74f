"""Login claims: an organiser of the volunteer's community approves or declines a sign-up that asked for the login
of a volunteer record (see registration.py). Flush, never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.org.access import guard
from servicebank.volunteers import repository
from servicebank.volunteers.models import LoginClaim, LoginClaimStatus


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def community_claims(session: AsyncSession, *, principal: Principal, community_id: int,
                           status: str | None = LoginClaimStatus.PENDING, limit: int = 100) -> list[LoginClaim]:
    """The community's login claims, oldest first (organisers)."""
    guard(principal.require_manager, community_id, code="community_not_found", what="community")
    if status is not None and status not in LoginClaimStatus.ALL:
        raise InvalidInput("status is pending, approved or declined.", code="invalid_input")
    query = select(LoginClaim).where(LoginClaim.community_id == community_id)
    if status is not None:
        query = query.where(LoginClaim.status == status)
    return list((await session.scalars(query.order_by(LoginClaim.id).limit(max(1, min(limit, 500))))).all())


async def _pending_claim(session: AsyncSession, principal: Principal, claim_id: int) -> LoginClaim:
    claim = await session.scalar(select(LoginClaim).where(LoginClaim.id == claim_id).with_for_update())
    if claim is None or not principal.manages(claim.community_id):
        raise NotFound("No such login claim.", code="login_claim_not_found")
    if claim.status != LoginClaimStatus.PENDING:
        raise Conflict("This claim has already been decided.", code="login_claim_decided",
                       claim_status=claim.status)
    return claim


def _decide(claim: LoginClaim, status: str, principal: Principal) -> None:
    # The waiting password hash is no longer needed either way.
    claim.status, claim.password_hash = status, None
    claim.decided_by_user_id, claim.decided_at = principal.user_id, _now()


async def approve_claim(session: AsyncSession, *, principal: Principal, claim_id: int) -> LoginClaim:
    """Give the volunteer a login by the claimed phone with the claimant's password (audited); other claims on the
    same volunteer are declined."""
    claim = await _pending_claim(session, principal, claim_id)
    volunteer = await repository.get_volunteer(session, claim.volunteer_id)
    taken = await session.scalar(select(User.id).where((User.phone == claim.phone)
                                                       | (User.volunteer_id == claim.volunteer_id)))
    if volunteer is None or taken is not None:
        raise Conflict("This volunteer or this phone already has a login; decline the claim.",
                       code="login_claim_outdated")
    before = snapshot(claim)
    session.add(User(phone=claim.phone, display_name=volunteer.real_name, password_hash=claim.password_hash or "!",
                     volunteer_id=volunteer.id))
    _decide(claim, LoginClaimStatus.APPROVED, principal)
    await session.execute(update(LoginClaim).where(LoginClaim.volunteer_id == claim.volunteer_id,
                                                   LoginClaim.status == LoginClaimStatus.PENDING,
                                                   LoginClaim.id != claim.id)
                          .values(status=LoginClaimStatus.DECLINED, password_hash=None,
                                  decided_by_user_id=principal.user_id, decided_at=_now())
                          .execution_options(synchronize_session=False))
    await session.flush()
    await record_audit(session, actor=principal, action="volunteer.login_claim_approve", entity_type="login_claim",
                       entity_id=claim.id, community_id=claim.community_id, before=before, after=snapshot(claim))
    return claim


async def decline_claim(session: AsyncSession, *, principal: Principal, claim_id: int) -> LoginClaim:
    """Say no to a claim (audited); the record keeps no login and the claimant's password is dropped."""
    claim = await _pending_claim(session, principal, claim_id)
    before = snapshot(claim)
    _decide(claim, LoginClaimStatus.DECLINED, principal)
    await session.flush()
    await record_audit(session, actor=principal, action="volunteer.login_claim_decline", entity_type="login_claim",
                       entity_id=claim.id, community_id=claim.community_id, before=before, after=snapshot(claim))
    return claim
