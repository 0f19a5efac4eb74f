"""The ledger's front door: accounts, gifts and donations, limits, hours rules and the kept figures (routes,
pages, CLI and tasks call these; other domains post through transactions.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.family import service as family
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.ledger import access, community_totals, repository, statement, transactions
from servicebank.ledger.community_totals import Figures
from servicebank.ledger.levels import STAR_THRESHOLDS_MINUTES
from servicebank.ledger.models import CommunityLedgerPolicy, HoursRule, Rounding, TransferRecord
from servicebank.ledger.rules import forget_rules
from servicebank.ledger.schemas import AccountOut, EntryOut, HoursRuleIn, PolicyIn, TransferIn, TransferOut
from servicebank.ledger.statement import Counted
from servicebank.org.models import Community
from servicebank.volunteers.models import Volunteer, VolunteerStatus


async def _volunteer(session: AsyncSession, volunteer_id: int) -> Volunteer:
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    return volunteer


async def account_view(session: AsyncSession, *, principal: Principal, volunteer_id: int,
                       recent: int = 20) -> AccountOut:
    """Balance, service time, star level and recent entries; for the volunteer or staff of their community."""
    page = await statement.account_page(session, volunteer_id=volunteer_id, recent=recent)
    if page is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    summary, lines = page
    access.require_account_reader(principal, volunteer_id=volunteer_id, community_id=summary.community_id)
    account_id = summary.account_id
    if account_id is None:  # never posted to: the account is created on first use, as before
        account_id = (await transactions.volunteer_account(session, volunteer_id)).id
    minutes = summary.service_minutes
    upcoming = [t for t in STAR_THRESHOLDS_MINUTES if t > minutes]
    return AccountOut(
        volunteer_id=volunteer_id, account_id=account_id, balance=summary.balance, service_minutes=minutes,
        service_hours=round(minutes / 60, 2), points_earned=summary.points_earned,
        star_level=summary.star_level, next_star_level_minutes=upcoming[0] if upcoming else None,
        recent_entries=[EntryOut(transaction_id=line.transaction_id, kind=line.kind, amount=line.amount,
                                 memo=line.memo, created_at=line.created_at, reverses_id=line.reverses_id,
                                 activity_title=line.service.activity_title if line.service else None,
                                 service_minutes=line.service.minutes if line.service else None)
                        for line in lines])


async def transferred_in_month(session: AsyncSession, *, volunteer_id: int, month: str) -> int:
    """Points the volunteer gave or donated in a local calendar month."""
    return await repository.transferred_in_month(session, volunteer_id=volunteer_id, month=month)


async def transfer(session: AsyncSession, *, principal: Principal, data: TransferIn, timezone: str) -> TransferOut:
    """Give points to a family member (along a confirmed family link) or donate them to a community pool, within
    the community's limits."""
    sender_id = principal.require_active_volunteer()
    sender = await _volunteer(session, sender_id)
    if (data.to_volunteer_id is None) == (data.to_pool_community_id is None):
        raise InvalidInput("Give either to_volunteer_id (a family member) or to_pool_community_id (a pool).",
                           code="transfer_target_required")
    if not 1 <= len(data.idempotency_key) <= 64:
        raise InvalidInput("idempotency_key must be 1 to 64 characters.", code="bad_idempotency_key")
    source_key = f"transfer:{sender_id}:{data.idempotency_key}"
    policy = await transactions.policy_for(session, sender.community_id)
    month = dt.datetime.now(ZoneInfo(timezone)).strftime("%Y-%m")
    if data.to_volunteer_id is not None:
        if not policy.allow_family_transfers:
            raise Forbidden("Your community does not allow transfers between family members.",
                            code="family_transfers_disabled")
        if data.to_volunteer_id == sender_id:
            raise InvalidInput("Points cannot be given to yourself.", code="same_account")
        # Only along a confirmed family link: a stated relation alone would let anyone collect points.
        relation = await family.relation_for_transfer(session, sender_id=sender_id, receiver_id=data.to_volunteer_id,
                                                      stated=data.relation)
        receiver = await _volunteer(session, data.to_volunteer_id)
        if receiver.status not in (VolunteerStatus.ACTIVE, VolunteerStatus.PENDING):
            raise Conflict("The receiving volunteer's account is not active.", code="receiver_inactive")
        target = await transactions.volunteer_account(session, receiver.id)
        kind = "transfer"
    else:
        if not policy.allow_pool_donations:
            raise Forbidden("Your community does not take donations to its pool.", code="pool_donations_disabled")
        if await session.get(Community, data.to_pool_community_id) is None:
            raise NotFound("No such community.", code="community_not_found")
        assert data.to_pool_community_id is not None  # one of the two targets was required above
        target = await transactions.pool_account(session, data.to_pool_community_id)
        kind, relation = "donation", None
    payer = await transactions.volunteer_account(session, sender_id)
    # Summing the month, then giving, is a race: 30 gifts at once all saw room under the cap. The
    # giver's account row is held until commit, so one giver's gifts take turns and each counts the
    # ones before it (a new statement after the lock sees what they committed). The receiving row
    # is taken in the same step, in id order, so gifts both ways between two people cannot deadlock.
    await transactions.lock_accounts(session, [payer.id, target.id])
    already = await transferred_in_month(session, volunteer_id=sender_id, month=month)
    existing = await repository.transaction_by_source_key(session, source_key)
    if existing is None and policy.max_transfer_per_month is not None \
            and already + data.amount > policy.max_transfer_per_month:
        raise Conflict(f"This would exceed the monthly limit of {policy.max_transfer_per_month} points "
                        f"({already} already given this month).", code="monthly_transfer_limit",
                        limit=policy.max_transfer_per_month, used=already)
    txn = await transactions.spend(session, from_account_id=payer.id, to_account_id=target.id, amount=data.amount,
                             source_key=source_key, kind=kind, memo=(data.memo or kind)[:200])
    if existing is None:
        session.add(TransferRecord(transaction_id=txn.id, from_volunteer_id=sender_id,
                                   to_volunteer_id=data.to_volunteer_id, to_pool_community_id=data.to_pool_community_id,
                                   amount=data.amount, relation=relation, month=month))
        await session.flush()
    await session.refresh(payer)
    return TransferOut(transaction_id=txn.id, kind=txn.kind, amount=data.amount, balance=payer.balance,
                       transferred_this_month=await transferred_in_month(session, volunteer_id=sender_id, month=month))


async def policy_view(session: AsyncSession, *, principal: Principal, community_id: int) -> CommunityLedgerPolicy:
    """The community's limits on spending and giving points (members of the community)."""
    access.require_limits_reader(principal, community_id)
    return await transactions.policy_for(session, community_id)


async def set_policy(session: AsyncSession, *, principal: Principal, community_id: int,
                     data: PolicyIn) -> CommunityLedgerPolicy:
    """Set a community's spending and transfer limits (organisers of the community)."""
    access.require_limits_manager(principal, community_id)
    if data.max_transfer_per_month is not None and data.max_transfer_per_month < 0:
        raise InvalidInput("max_transfer_per_month cannot be negative.", code="invalid_policy")
    if not 0 <= data.min_service_minutes_to_spend <= 100_000 * 60:
        raise InvalidInput("min_service_minutes_to_spend must be from 0 to 6,000,000.", code="invalid_policy")
    policy = await session.get(CommunityLedgerPolicy, community_id)
    if policy is None:
        policy = CommunityLedgerPolicy(community_id=community_id)
        session.add(policy)
    policy.max_transfer_per_month = data.max_transfer_per_month
    policy.min_service_minutes_to_spend = data.min_service_minutes_to_spend
    policy.allow_family_transfers = data.allow_family_transfers
    policy.allow_pool_donations = data.allow_pool_donations
    policy.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return policy


async def add_hours_rule(session: AsyncSession, *, principal: Principal, data: HoursRuleIn) -> HoursRule:
    """Write the next version of a kind's rule: a community's (its organisers) or the default (platform admins)."""
    access.require_rules_writer(principal, data.community_id)
    if not data.kind or len(data.kind) > 32:
        raise InvalidInput("kind must be an activity kind code or *.", code="invalid_hours_rule")
    if not 1 <= data.multiplier_permille <= 10_000 or not 1 <= data.rounding_minutes <= 240 \
            or data.rounding not in Rounding.ALL \
            or (data.daily_cap_minutes is not None and not 1 <= data.daily_cap_minutes <= 1440):
        raise InvalidInput("multiplier_permille 1-10000, rounding_minutes 1-240, rounding nearest|down|up, "
                           "daily_cap_minutes 1-1440 or null.", code="invalid_hours_rule")
    current = await repository.latest_rule_version(session, kind=data.kind, community_id=data.community_id)
    rule = HoursRule(kind=data.kind, community_id=data.community_id, version=current + 1,
                     multiplier_permille=data.multiplier_permille, rounding_minutes=data.rounding_minutes,
                     rounding=data.rounding, daily_cap_minutes=data.daily_cap_minutes, earns_points=data.earns_points,
                     paid_service_earns_points=data.paid_service_earns_points, created_by_user_id=principal.user_id)
    session.add(rule)
    await session.flush()
    forget_rules(session)
    return rule


async def hours_rules(session: AsyncSession, *, principal: Principal, community_id: int | None) -> list[HoursRule]:
    """Every version of the platform's default rules and, with community_id, that community's own (its members)."""
    if community_id is not None:
        access.require_limits_reader(principal, community_id)
    return await repository.hours_rules(session, community_id=community_id)


async def community_limits(session: AsyncSession, *, community_id: int) -> CommunityLedgerPolicy:
    """The community's limits (or the permissive default), for a page that shows a volunteer their own."""
    return await transactions.policy_for(session, community_id)


async def community_figures(session: AsyncSession, *, community_id: int, periods: Sequence[str]) -> dict[str, Figures]:
    """The community's kept (minutes, points, volunteers) per period; periods without service are left out."""
    return await community_totals.for_community(session, community_id, periods)


async def figures_of_communities(session: AsyncSession, *, community_ids: Sequence[int],
                                 period: str) -> dict[int, Figures]:
    """Each community's kept (minutes, points, volunteers) for one period (the administrators' overview)."""
    return await community_totals.for_communities(session, community_ids, period)


async def minutes_by_period(session: AsyncSession, *, volunteer_id: int, periods: Sequence[str]) -> dict[str, int]:
    """period -> the minutes the volunteer's account counts for it; periods without service are absent."""
    return await statement.minutes_by_period(session, volunteer_id=volunteer_id, periods=periods)


async def counted(session: AsyncSession, *, attendance_ids: Sequence[int]) -> dict[int, Counted]:
    """attendance id -> the minutes and points it counts for now; records not yet posted are absent."""
    return await statement.counted(session, attendance_ids=attendance_ids)
