"""Where each person belongs in the pages: the landing redirect and the error page's way back use it."""

from __future__ import annotations

from servicebank.accounts.principal import Principal


def home_for(principal: Principal) -> str:
    """Where a person belongs: administrators on their streets' overview, clerks at the till, organisers on the
    dashboard, team leaders on today's activities (where they check people in), volunteers on their page."""
    if principal.is_platform_admin or principal.street_ids:
        return "/admin"
    manages = principal.managed_community_ids is None or bool(principal.managed_community_ids)
    if principal.led_team_ids and not manages:
        return "/lead"
    if principal.volunteer_id is not None and not manages:
        return "/me"
    if principal.managed_community_ids is None or principal.managed_community_ids:
        return "/manage"
    if principal.clerk_store_ids:
        return "/till"
    return "/me" if principal.volunteer_id is not None else "/leaderboard"
