"""What people do with the service bank: see their account, rank, give points; staff set rules and limits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.kernel.text import mask_name
from servicebank.points import ledger, statement
from servicebank.points.accounts import account_summary
from servicebank.points.leaderboards import check_query, read_board
from servicebank.points.levels import STAR_THRESHOLDS_MINUTES
from servicebank.points.models import (
    CommunityLedgerPolicy,
    Entry,
    HoursRule,
    Rounding,
    Transaction,
    TransferRecord,
)
from servicebank.points.rules import forget_rules
from servicebank.points.schemas import (
    AccountOut,
    EntryOut,
    HoursRuleIn,
    LeaderboardOut,
    LeaderboardRow,
    PolicyIn,
    TransferIn,
    TransferOut,
)
from servicebank.volunteers.models import Volunteer, VolunteerStatus
from servicebank.volunteers.repository import public_names


async def _volunteer(session: AsyncSession, volunteer_id: int) -> Volunteer:
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    return volunteer


async def account_view(session: AsyncSession, *, principal: Principal, volunteer_id: int,
                       recent: int = 20) -> AccountOut:
    """Balance, service time, star level and recent entries; for the volunteer or staff of their community."""
    summary = await account_summary(session, volunteer_id)
    if summary is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    if principal.volunteer_id != volunteer_id:
        principal.require_staff(summary.community_id)
    account_id = summary.account_id
    if account_id is None:  # never posted to: the account is created on first use, as before
        account_id = (await ledger.volunteer_account(session, volunteer_id)).id
    minutes = summary.service_minutes
    rows = await session.execute(
        select(Entry.transaction_id, Transaction.kind, Entry.amount, Transaction.memo, Transaction.created_at,
               Transaction.reverses_id)
        .join(Transaction, Transaction.id == Entry.transaction_id)
        .where(Entry.account_id == account_id).order_by(Entry.id.desc()).limit(recent))
    upcoming = [t for t in STAR_THRESHOLDS_MINUTES if t > minutes]
    rows = rows.all()
    lines = await statement.service_lines(session, volunteer_id=volunteer_id, transaction_ids=[r[0] for r in rows])
    return AccountOut(
        volunteer_id=volunteer_id, account_id=account_id, balance=summary.balance, service_minutes=minutes,
        service_hours=round(minutes / 60, 2), points_earned=summary.points_earned,
        star_level=summary.star_level, next_star_level_minutes=upcoming[0] if upcoming else None,
        recent_entries=[EntryOut(transaction_id=t, kind=k, amount=a, memo=m, created_at=c, reverses_id=r,
                                 activity_title=lines[t].activity_title if t in lines else None,
                                 service_minutes=lines[t].minutes if t in lines else None)
                        for t, k, a, m, c, r in rows])


async def leaderboard_view(session: AsyncSession, *, scope: str, period: str, by: str, limit: int,
                           volunteer_id: int | None, viewer_volunteer_id: int | None) -> LeaderboardOut:
    """A leaderboard with names masked by each volunteer's consent; `volunteer_id` adds that volunteer's rank."""
    check_query(scope=scope, period=period, by=by, limit=limit)
    top, mine = await read_board(session, scope=scope, period=period, by=by, limit=limit, volunteer_id=volunteer_id)
    people = await public_names(session, {r.volunteer_id for r in top} | ({mine.volunteer_id} if mine else set()))

    def row(r) -> LeaderboardRow:  # noqa: ANN001
        person = people.get(r.volunteer_id)
        if person is None:
            name = "志愿者"
        elif r.volunteer_id == viewer_volunteer_id:
            name = person[0]
        else:
            name = mask_name(person[0]) if person[1] else "匿名志愿者"
        return LeaderboardRow(rank=r.rank, volunteer_id=r.volunteer_id, name=name, hours=round(r.minutes / 60, 2),
                              minutes=r.minutes, points=r.points)

    return LeaderboardOut(scope=scope, period=period, by=by, rows=[row(r) for r in top],
                          me=row(mine) if mine else None)


async def transferred_in_month(session: AsyncSession, *, volunteer_id: int, month: str) -> int:
    """Points the volunteer gave or donated in a local calendar month."""
    return int(await session.scalar(select(func.coalesce(func.sum(TransferRecord.amount), 0)).where(
        TransferRecord.from_volunteer_id == volunteer_id, TransferRecord.month == month)) or 0)


async def transfer(session: AsyncSession, *, principal: Principal, data: TransferIn, timezone: str) -> TransferOut:
    """Give points to a family member (along a confirmed family link) or donate them to a community pool, within
    the community's limits."""
    from servicebank.points import family

    sender_id = principal.require_active_volunteer()
    sender = await _volunteer(session, sender_id)
    if (data.to_volunteer_id is None) == (data.to_pool_community_id is None):
        raise InvalidInput("Give either to_volunteer_id (a family member) or to_pool_community_id (a pool).",
                           code="transfer_target_required")
    if not 1 <= len(data.idempotency_key) <= 64:
        raise InvalidInput("idempotency_key must be 1 to 64 characters.", code="bad_idempotency_key")
    source_key = f"transfer:{sender_id}:{data.idempotency_key}"
    policy = await ledger.policy_for(session, sender.community_id)
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
        target = await ledger.volunteer_account(session, receiver.id)
        kind = "transfer"
    else:
        if not policy.allow_pool_donations:
            raise Forbidden("Your community does not take donations to its pool.", code="pool_donations_disabled")
        from servicebank.org.models import Community

        if await session.get(Community, data.to_pool_community_id) is None:
            raise NotFound("No such community.", code="community_not_found")
        target = await ledger.pool_account(session, data.to_pool_community_id)  # type: ignore[arg-type]
        kind, relation = "donation", None
    payer = await ledger.volunteer_account(session, sender_id)
    # Summing the month, then giving, is a race: 30 gifts at once all saw room under the cap. The
    # giver's account row is held until commit, so one giver's gifts take turns and each counts the
    # ones before it (a new statement after the lock sees what they committed). The receiving row
    # is taken in the same step, in id order, so gifts both ways between two people cannot deadlock.
    await ledger.lock_accounts(session, [payer.id, target.id])
    already = await transferred_in_month(session, volunteer_id=sender_id, month=month)
    existing = await session.scalar(select(Transaction).where(Transaction.source_key == source_key))
    if existing is None and policy.max_transfer_per_month is not None \
            and already + data.amount > policy.max_transfer_per_month:
        raise Conflict(f"This would exceed the monthly limit of {policy.max_transfer_per_month} points "
                        f"({already} already given this month).", code="monthly_transfer_limit",
                        limit=policy.max_transfer_per_month, used=already)
    txn = await ledger.spend(session, from_account_id=payer.id, to_account_id=target.id, amount=data.amount,
                             source_key=source_key, kind=kind, memo=(data.memo or kind)[:200])
    if existing is None:
        session.add(TransferRecord(transaction_id=txn.id, from_volunteer_id=sender_id,
                                   to_volunteer_id=data.to_volunteer_id, to_pool_community_id=data.to_pool_community_id,
                                   amount=data.amount, relation=relation, month=month))
        await session.flush()
    await session.refresh(payer)
    return TransferOut(transaction_id=txn.id, kind=txn.kind, amount=data.amount, balance=payer.balance,
                       transferred_this_month=await transferred_in_month(session, volunteer_id=sender_id, month=month))


async def set_policy(session: AsyncSession, *, principal: Principal, community_id: int,
                     data: PolicyIn) -> CommunityLedgerPolicy:
    """Set a community's spending and transfer limits (organisers of the community)."""
    principal.require_manager(community_id)
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
    if data.community_id is None:
        principal.require_platform_admin()
    else:
        principal.require_manager(data.community_id)
    if not data.kind or len(data.kind) > 32:
        raise InvalidInput("kind must be an activity kind code or *.", code="invalid_hours_rule")
    if not 1 <= data.multiplier_permille <= 10_000 or not 1 <= data.rounding_minutes <= 240 \
            or data.rounding not in Rounding.ALL \
            or (data.daily_cap_minutes is not None and not 1 <= data.daily_cap_minutes <= 1440):
        raise InvalidInput("multiplier_permille 1-10000, rounding_minutes 1-240, rounding nearest|down|up, "
                           "daily_cap_minutes 1-1440 or null.", code="invalid_hours_rule")
    current = await session.scalar(select(func.max(HoursRule.version)).where(
        HoursRule.kind == data.kind, HoursRule.community_id.is_(None) if data.community_id is None
        else HoursRule.community_id == data.community_id))
    rule = HoursRule(kind=data.kind, community_id=data.community_id, version=(current or 0) + 1,
                     multiplier_permille=data.multiplier_permille, rounding_minutes=data.rounding_minutes,
                     rounding=data.rounding, daily_cap_minutes=data.daily_cap_minutes, earns_points=data.earns_points,
                     paid_service_earns_points=data.paid_service_earns_points, created_by_user_id=principal.user_id)
    session.add(rule)
    await session.flush()
    forget_rules(session)
    return rule
