"""The service bank API: accounts, leaderboards, transfers, hours rules and community limits (family links:
family_routes.py)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.edge.public_reads import keep, serve_cached
from servicebank.points import family_routes, service
from servicebank.points.ledger import policy_for
from servicebank.points.models import HoursRule
from servicebank.points.schemas import (
    AccountOut,
    HoursRuleIn,
    HoursRuleOut,
    LeaderboardOut,
    PolicyIn,
    PolicyOut,
    TransferIn,
    TransferOut,
)


def _policy_out(policy) -> PolicyOut:  # noqa: ANN001
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


class LeaderboardController(Controller):
    path = "/api/leaderboards"
    tags = ["points"]

    @get("/", exclude_from_auth=True, before_request=serve_cached)
    async def leaderboard(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    board: Annotated[str, QueryParameter(name="scope", description="city, community:{id}, street:{id}, team:{id}")]
                    = "city",
                    period: Annotated[str, Parameter(description='"2026-11", "2026" or "all"')] = "all",
                    by: Annotated[str, Parameter(description="hours or points")] = "hours",
                    limit: Annotated[int, Parameter(description="1 to 500")] = 100,
                    volunteer_id: int | None = None) -> LeaderboardOut:
        """A public leaderboard; names are masked (王*英) and hidden for volunteers who did not consent.

        `volunteer_id` adds that volunteer's own rank (`me`). Without a login the answer may be up to a second
        old (one answer per address and second, shared by every phone that asks).
        """
        viewer = optional_principal.volunteer_id if optional_principal else None
        return keep(request, await service.leaderboard_view(db_session, scope=board, period=period, by=by,
                                                            limit=limit, volunteer_id=volunteer_id,
                                                            viewer_volunteer_id=viewer))

    @get("/me")
    async def mine(self, db_session: AsyncSession, principal: Principal,
                   board: Annotated[str | None, QueryParameter(name="scope", description="default: your community")] = None,
                   period: str = "all", by: str = "hours", limit: int = 10) -> LeaderboardOut:
        """Your own rank (with the top of the board) in your community or the scope given."""
        volunteer_id = principal.require_volunteer()
        # The city board for a volunteer who is not (or no longer) a member of a community: it is public anyway.
        home = principal.volunteer_community_id
        scope = board or (f"community:{home}" if home else "city")
        return await service.leaderboard_view(db_session, scope=scope, period=period, by=by, limit=limit,
                                              volunteer_id=volunteer_id, viewer_volunteer_id=volunteer_id)


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
        principal.require_member(community_id)
        return _policy_out(await policy_for(db_session, community_id))

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
        query = select(HoursRule).where(HoursRule.community_id.is_(None))
        if community_id is not None:
            principal.require_member(community_id)
            query = select(HoursRule).where(
                (HoursRule.community_id == community_id) | HoursRule.community_id.is_(None))
        rows = await db_session.scalars(query.order_by(HoursRule.kind, HoursRule.community_id, HoursRule.version))
        return [_rule_out(r) for r in rows.all()]

    @post("/hours-rules", status_code=201)
    async def add_rule(self, data: HoursRuleIn, db_session: AsyncSession, principal: Principal) -> HoursRuleOut:
        """Add the next version of a kind's hours rule; postings from now on use it and record its version."""
        return _rule_out(await service.add_hours_rule(db_session, principal=principal, data=data))


ROUTES = [AccountController, LeaderboardController, TransferController, LedgerSettingsController,
          *family_routes.ROUTES]
