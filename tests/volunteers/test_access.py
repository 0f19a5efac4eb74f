"""volunteers/access.py: the one rule for which of a community's volunteers a caller may list."""

from __future__ import annotations

import pytest

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import Forbidden, NotFound
from servicebank.volunteers.access import listable_team_ids, readable_statement


def _principal(**scopes: object) -> Principal:
    return Principal(user_id=1, display_name="甲", grants=(), **scopes)  # type: ignore[arg-type]


def test_managers_list_everyone_leaders_their_teams_members_are_refused_outsiders_see_nothing() -> None:
    assert listable_team_ids(_principal(managed_community_ids=None), 7) is None
    assert listable_team_ids(_principal(managed_community_ids=frozenset({7})), 7) is None
    leader = _principal(led_team_ids=frozenset({3, 9}), led_team_community_ids=frozenset({7}))
    assert listable_team_ids(leader, 7) == frozenset({3, 9})
    with pytest.raises(Forbidden):
        listable_team_ids(_principal(volunteer_community_id=7), 7)
    with pytest.raises(NotFound) as refused:
        listable_team_ids(_principal(managed_community_ids=frozenset({8})), 7)
    assert refused.value.code == "community_not_found"


def test_the_readable_statement_narrows_a_leader_to_their_teams() -> None:
    leader = _principal(led_team_ids=frozenset({3}), led_team_community_ids=frozenset({7}))
    assert "team_member" in str(readable_statement(leader, community_id=7))
    organiser = _principal(managed_community_ids=frozenset({7}))
    assert "team_member" not in str(readable_statement(organiser, community_id=7))
