"""The ledger API: accounts, transfers, hours rules and community limits."""

from __future__ import annotations

from litestar import Controller, Request, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.ledger import service
from servicebank.ledger.models import CommunityLedgerPolicy, HoursRule
from servicebank.ledger.schemas import (
    AccountOut,
    HoursRuleIn,
    HoursRuleOut,
    PolicyIn,
    PolicyOut,
    TransferIn,
    TransferOut,
)


def _policy_out(policy: CommunityLedgerPolicy) -> PolicyOut:
    return PolicyOut(community_id=policy.community_id, max_transfer_per_month=policy.max_transfer_per_month,
                     min_service_minutes_to_spend=policy.min_service_minutes_to_spend,
                     allow_family_transfers=policy.allow_family_transfers,
                     allow_pool_donations=policy.allow_pool_donations)


def _rule_out(r: HoursRule) -> HoursRuleOut:
    return HoursRuleOut(id=r.id, kind=r.kind, community_id=r.community_id, version=r.version,
                        multiplier_permille=r.multiplier_permille, rounding_minutes=r.rounding_minutes,
                        rounding=r.rounding, daily_cap_minutes=r.daily_cap_minutes, earns_points=r.earns_points,
                        paid_service_earns_points=r.paid_service_earns_points, created_at=r.created_at)


class AccountController(Controller):
    path = "/api/volunteers"
    tags = ["points"]

    @get("/{volunteer_id:int}/account")
    async def account(self, volunteer_id: int, db_session: AsyncSession, principal: Principal) -> AccountOut:
        """A volunteer's time-bank account: balance, service time, star level and the latest entries.

        Visible to the volunteer and to the organisers and team leaders of their community.
        """
        return await service.account_view(db_session, principal=principal, volunteer_id=volunteer_id)


class TransferController(Controller):
    path = "/api/transfers"
    tags = ["points"]

    @post("/", status_code=201)
    async def create(self, data: TransferIn, db_session: AsyncSession, principal: Principal,
                     request: Request) -> TransferOut:
        """Give points to a family member (to_volunteer_id) or donate to a pool (to_pool_community_id).

        A gift needs a confirmed family link (`/api/family-links`): without one, `family_link_required` (403).
        The relation recorded comes from the link; `relation`, if sent, must match it (`relation_mismatch`).
        Limits come from the sender's community (monthly cap, minimum service hours, what is allowed).
        Repeating a request with the same idempotency_key moves the points once.
        """
        return await service.transfer(db_session, principal=principal, data=data,
                                      timezone=request.app.state.settings.timezone)


class LedgerSettingsController(Controller):
    path = "/api"
    tags = ["points"]

    @get("/communities/{community_id:int}/ledger-policy")
    async def get_policy(self, community_id: int, db_session: AsyncSession, principal: Principal) -> PolicyOut:
        """The community's limits on spending and giving points."""
        return _policy_out(await service.policy_view(db_session, principal=principal, community_id=community_id))

    @put("/communities/{community_id:int}/ledger-policy")
    async def put_policy(self, community_id: int, data: PolicyIn, db_session: AsyncSession,
                         principal: Principal) -> PolicyOut:
        """Set the community's limits (organisers): monthly transfer cap, hours before spending, what is allowed."""
        return _policy_out(await service.set_policy(db_session, principal=principal, community_id=community_id,
                                                    data=data))

    @get("/hours-rules")
    async def rules(self, db_session: AsyncSession, principal: Principal,
                    community_id: int | None = None) -> list[HoursRuleOut]:
        """Every version of the platform's default rules and, with community_id, that community's own."""
        rules = await service.hours_rules(db_session, principal=principal, community_id=community_id)
        return [_rule_out(r) for r in rules]

    @post("/hours-rules", status_code=201)
    async def add_rule(self, data: HoursRuleIn, db_session: AsyncSession, principal: Principal) -> HoursRuleOut:
        """Add the next version of a kind's hours rule; postings from now on use it and record its version."""
        return _rule_out(await service.add_hours_rule(db_session, principal=principal, data=data))


ROUTES = [AccountController, TransferController, LedgerSettingsController]
