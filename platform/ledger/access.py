"""Who may read and change what in the ledger: the one place the API, the pages and the exports ask.

A volunteer reads their own account, the staff of their community (organisers, team leaders, the street's and
the platform's administrators) read it too; a community's members read its limits and hours rules, its
managers change them; the platform's default rules are the platform administrators'. Outsiders are told the
community does not exist (404), members without the role that they may not (403), as `Principal` answers."""

from __future__ import annotations

from servicebank.accounts.principal import Principal


def require_account_reader(principal: Principal, *, volunteer_id: int, community_id: int) -> None:
    """The volunteer themself, or staff of the volunteer's community."""
    if principal.volunteer_id != volunteer_id:
        principal.require_staff(community_id)


def require_limits_reader(principal: Principal, community_id: int) -> None:
    """A community's limits and rules are read by its members."""
    principal.require_member(community_id)


def require_limits_manager(principal: Principal, community_id: int) -> None:
    """A community's limits and rules are set by its managers."""
    principal.require_manager(community_id)


def require_rules_writer(principal: Principal, community_id: int | None) -> None:
    """A community's hours rules are its managers'; the platform's defaults (None) are platform administrators'."""
    if community_id is None:
        principal.require_platform_admin()
    else:
        require_limits_manager(principal, community_id)
