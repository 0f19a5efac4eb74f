"""Hours rules as data: which rule applies to an activity, and what it makes of served minutes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.ledger.levels import round_minutes, weighted_points
from servicebank.ledger.models import HoursRule, Rounding

ANY_KIND = "*"
# session.info key: {(community_id | None, kind): HoursRule | None}, the latest versions seen in this batch.
RULE_CACHE = "points.rule_cache"


@dataclasses.dataclass(frozen=True)
class EffectiveRule:
    """The rule an attendance is tallied with, after the activity's override is laid over it."""

    rule_id: int | None
    version: int
    source: str  # builtin, global, community; "+activity" when the activity overrides it
    multiplier_permille: int = 1000
    rounding_minutes: int = 15
    rounding: str = Rounding.NEAREST
    daily_cap_minutes: int | None = 720
    earns_points: bool = True
    paid_service_earns_points: bool = False

    def minutes_for(self, served_minutes: int) -> int:
        """Served minutes rounded by the rule (before the daily cap)."""
        return round_minutes(max(0, served_minutes), step=self.rounding_minutes, mode=self.rounding)

    def points_for(self, minutes: int, *, paid_service: bool) -> int:
        """Points for capped service minutes; paid service earns none unless the rule says so."""
        if not self.earns_points or (paid_service and not self.paid_service_earns_points):
            return 0
        return weighted_points(minutes, self.multiplier_permille)


# Used when no rule row exists: one point a minute, quarter hours, at most 12 h a day.
BUILTIN = EffectiveRule(rule_id=None, version=0, source="builtin")


def _from_row(row: HoursRule) -> EffectiveRule:
    return EffectiveRule(
        rule_id=row.id, version=row.version, source="community" if row.community_id else "global",
        multiplier_permille=row.multiplier_permille, rounding_minutes=row.rounding_minutes, rounding=row.rounding,
        daily_cap_minutes=row.daily_cap_minutes, earns_points=row.earns_points,
        paid_service_earns_points=row.paid_service_earns_points)


def with_override(rule: EffectiveRule, override: dict[str, Any] | None) -> EffectiveRule:
    """Lay an activity's `hours_rule_override` over the kind's rule."""
    if not override:
        return rule
    known = {k: override[k] for k in ("multiplier_permille", "rounding_minutes", "rounding", "daily_cap_minutes",
                                      "earns_points") if k in override}
    return dataclasses.replace(rule, source=f"{rule.source}+activity", **known)


async def load_rules(session: AsyncSession, pairs: Iterable[tuple[int, str]]) -> None:
    """Fetch the latest rule versions for these (community, kind) pairs into the session's cache."""
    cache: dict[tuple[int | None, str], HoursRule | None] = session.info.setdefault(RULE_CACHE, {})
    wanted = {(c, k) for c, k in pairs}
    missing_keys = {key for c, k in wanted for key in ((c, k), (None, k), (c, ANY_KIND), (None, ANY_KIND))}
    missing_keys -= set(cache)
    if not missing_keys:
        return
    communities = {c for c, _ in missing_keys if c is not None}
    kinds = {k for _, k in missing_keys}
    rows = await session.scalars(select(HoursRule).where(
        or_(HoursRule.community_id.in_(communities), HoursRule.community_id.is_(None)), HoursRule.kind.in_(kinds)))
    for key in missing_keys:
        cache[key] = None
    for row in rows.all():
        found = (row.community_id, row.kind)
        kept = cache.get(found)
        if found in missing_keys and (kept is None or kept.version < row.version):
            cache[found] = row


def rule_for(session: AsyncSession, *, community_id: int, kind: str, override: dict[str, Any] | None) -> EffectiveRule:
    """The effective rule (load_rules must have run): community's kind rule, global kind rule, then defaults."""
    cache: dict[tuple[int | None, str], HoursRule | None] = session.info.get(RULE_CACHE, {})
    for key in ((community_id, kind), (None, kind), (community_id, ANY_KIND), (None, ANY_KIND)):
        row = cache.get(key)
        if row is not None:
            return with_override(_from_row(row), override)
    return with_override(BUILTIN, override)


def forget_rules(session: AsyncSession) -> None:
    """Drop cached rules (after a new version is written in this session)."""
    session.info.pop(RULE_CACHE, None)
