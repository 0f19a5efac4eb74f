"""One rule per domain says who may read which rows (volunteers/access.py, audit/access.py), and the API and the
pages both ask it: the same principals are let in and turned away, with the same status, by either door."""

from __future__ import annotations

import httpx
import pytest

from servicebank.accounts.models import Role
from tests.factories import Person, make_org, make_person, make_team, make_volunteer
from tests.web.pages import log_in, text_of

pytestmark = [pytest.mark.sqlite_only]
NAMES = ("队员甲", "队外乙", "邻居丙")


async def _world(session):  # noqa: ANN001, ANN202
    """A community with a team of one, a volunteer outside the team, a neighbouring community's volunteer, and
    one person of each kind who might ask."""
    org = await make_org(session)
    member = await make_volunteer(session, org.community, name=NAMES[0])
    not_in_team = await make_volunteer(session, org.community, name=NAMES[1])
    neighbour = await make_volunteer(session, org.other, name=NAMES[2])
    team = await make_team(session, org.community, members=[member])
    people = {
        "organiser": await make_person(session, Role.ORGANISER, community=org.community),
        "organiser of the neighbour": await make_person(session, Role.ORGANISER, community=org.other),
        "street admin": await make_person(session, Role.STREET_ADMIN, street=org.street),
        "team leader": await make_person(session, Role.TEAM_LEADER, community=org.community, team=team),
        "volunteer": await make_person(session, Role.VOLUNTEER, community=org.community),
    }
    return org, [member, not_in_team, neighbour], people


async def _as(client: httpx.AsyncClient, person: Person) -> None:
    client.cookies.clear()
    await log_in(client, person)


async def test_one_volunteer_is_shown_or_refused_alike_by_the_api_and_the_page(client, session) -> None:  # noqa: ANN001
    _org, volunteers, people = await _world(session)
    seen: dict[str, list[int]] = {}
    for who, person in people.items():
        await _as(client, person)
        for volunteer in volunteers:
            api = await client.get(f"/api/volunteers/{volunteer.id}", headers=person.headers)
            page = await client.get(f"/manage/volunteers/{volunteer.id}")
            if who == "volunteer":
                # The page is a staff page (their own record is /me); neither door shows them anyone else.
                assert api.status_code in (403, 404) and page.status_code in (403, 404), (who, volunteer.real_name)
                continue
            assert (who, volunteer.real_name, page.status_code) == (who, volunteer.real_name, api.status_code)
            seen.setdefault(who, []).append(api.status_code)
    assert seen == {"organiser": [200, 200, 404], "organiser of the neighbour": [404, 404, 200],
                    "street admin": [200, 200, 200], "team leader": [200, 403, 404]}


async def test_the_volunteer_lists_hold_the_same_people_by_either_door(client, session) -> None:  # noqa: ANN001
    org, _volunteers, people = await _world(session)
    for community in (org.community, org.other):
        for who, person in people.items():
            await _as(client, person)
            api = await client.get(f"/api/volunteers?community_id={community.id}", headers=person.headers)
            listed = api.json()["items"] if api.status_code == 200 else []
            by_api = {v["real_name"] for v in listed if v["real_name"] in NAMES}
            page = await client.get(f"/manage/volunteers?community={community.id}")
            # A page asked for a community the caller has no part in opens their own: none of the asked one's.
            words = text_of(page.text) if page.status_code == 200 else ""
            by_page = {name for name in NAMES if name in words and
                       (community.id == org.community.id) == (name != NAMES[2])}
            assert (who, community.name, by_page) == (who, community.name, by_api)
            if api.status_code != 200:
                # Refused by the API, the page shows none of them: it opens the caller's own community, or tells
                # someone with no staff role at all that these pages are for staff (403) before asking which.
                assert page.status_code in (200, 403, api.status_code), (who, community.name, page.status_code)


async def test_the_audit_log_is_refused_alike_by_the_api_and_the_page(client, session) -> None:  # noqa: ANN001
    org, _volunteers, people = await _world(session)
    answers: dict[str, list[int]] = {}
    for who, person in people.items():
        await _as(client, person)
        for community in (org.community, org.other):
            api = await client.get(f"/api/audit?community_id={community.id}", headers=person.headers)
            page = await client.get(f"/manage/audit?community={community.id}")
            assert (who, community.name, page.status_code) == (who, community.name, api.status_code)
            answers.setdefault(who, []).append(api.status_code)
    assert answers == {"organiser": [200, 404], "organiser of the neighbour": [404, 200], "street admin": [200, 200],
                       "team leader": [403, 404], "volunteer": [403, 404]}
