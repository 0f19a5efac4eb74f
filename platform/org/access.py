"""Scope checks that hide what lies outside the caller's reach (404, never a hint that it exists)."""

from __future__ import annotations

from collections.abc import Callable

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import NotFound


def guard(check: Callable[[int], None], community_id: int, *, code: str, what: str) -> None:
    """Run a Principal.require_* check; an outsider's 404 names the resource, not the community."""
    try:
        check(community_id)
    except NotFound as exc:
        raise NotFound(f"No such {what}.", code=code) from exc


def supervises(principal: Principal, street_id: int | None) -> bool:
    """Platform admin, or admin of the street the community belongs to."""
    return principal.is_platform_admin or (street_id is not None and street_id in principal.street_ids)


def visible_community_ids(principal: Principal) -> frozenset[int] | None:
    """Communities the caller is linked to in any way; None means all (platform admin)."""
    if principal.managed_community_ids is None:
        return None
    ids = set(principal.managed_community_ids) | set(principal.led_team_community_ids)
    if principal.volunteer_community_id is not None:
        ids.add(principal.volunteer_community_id)
    return frozenset(ids)


def workplace_ids(principal: Principal) -> frozenset[int] | None:
    """Communities whose staff pages the caller may open: those they manage or lead a team in (None: all)."""
    if principal.managed_community_ids is None:
        return None
    return frozenset(set(principal.managed_community_ids) | set(principal.led_team_community_ids))
