"""Fixtures for the activities tests: an org with an organiser, a volunteer and the built-in kinds."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from servicebank.accounts.models import Role
from servicebank.activities.kinds import ensure_builtin_kinds
from tests.factories import Org, Person, make_org, make_person


@dataclasses.dataclass
class World:
    org: Org
    organiser: Person
    volunteer: Person


def at(hours: float) -> str:
    """An ISO time `hours` from now (negative: in the past)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()


def activity_body(community_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"community_id": community_id, "kind": "cleanup", "title": "楼道清洁",
                            "starts_at": at(48), "ends_at": at(50), "address": "3号楼"}
    body.update(overrides)
    return body


@pytest.fixture
async def world(session) -> World:  # noqa: ANN001
    org = await make_org(session)
    await ensure_builtin_kinds(session)
    await session.commit()
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    return World(org=org, organiser=organiser, volunteer=volunteer)


async def create(client, world: World, **overrides: Any) -> dict[str, Any]:  # noqa: ANN001
    """Create (and by default publish) an activity as the organiser."""
    overrides.setdefault("publish", True)
    r = await client.post("/api/activities", json=activity_body(world.org.community.id, **overrides),
                          headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    return r.json()

