"""audit/access.py: the one rule for whose audit entries a caller may read (the API and the page ask it)."""

from __future__ import annotations

import pytest

from servicebank.accounts.principal import Principal
from servicebank.audit import access as audit_access
from servicebank.kernel.errors import Forbidden, NotFound


def _principal(**scopes: object) -> Principal:
    return Principal(user_id=1, display_name="甲", grants=(), **scopes)  # type: ignore[arg-type]


def test_audit_entries_are_read_by_managers_only() -> None:
    assert audit_access.readable_community_ids(_principal(managed_community_ids=frozenset({7}))) == {7}
    assert audit_access.readable_community_ids(_principal(managed_community_ids=None)) is None
    with pytest.raises(Forbidden):
        audit_access.readable_community_ids(_principal(led_team_community_ids=frozenset({7})))
    with pytest.raises(NotFound):
        audit_access.readable_community_ids(_principal(managed_community_ids=frozenset({8})), 7)
