"""The leaderboard API: public masked boards and your own rank."""

from __future__ import annotations

from servicebank.accounts.models import Role
from servicebank.kernel.db import Database
from tests.factories import make_org, make_person, make_volunteer
from tests.ledger.helpers import earn


class TestLeaderboardApi:
    async def test_public_board_masks_names_and_hides_those_without_consent(self, db: Database, session,
                                                                            client) -> None:  # noqa: ANN001
        org = await make_org(session)
        wang = await make_volunteer(session, org.community, name="王秀英")
        li = await make_volunteer(session, org.community, name="李桂兰", public_consent=False)
        await earn(db, session, wang, 120)
        await earn(db, session, li, 60)
        response = await client.get(f"/api/leaderboards?scope=community:{org.community.id}&period=2026-11"
                                    f"&by=hours&limit=100&volunteer_id={li.id}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert [(r["rank"], r["name"], r["hours"]) for r in body["rows"]] == [(1, "王*英", 2.0), (2, "匿名志愿者", 1.0)]
        assert body["me"]["rank"] == 2
        response = await client.get("/api/leaderboards?scope=planet:1")
        assert (response.status_code, response.json()["code"]) == (422, "bad_scope")

    async def test_me_shows_own_rank_with_own_name(self, db: Database, session, client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community, name="张建国")
        await earn(db, session, me.volunteer, 60)
        response = await client.get("/api/leaderboards/me?period=2026", headers=me.headers)
        assert response.status_code == 200, response.text
        assert response.json()["me"] == {"rank": 1, "volunteer_id": me.volunteer.id, "name": "张建国", "hours": 1.0,
                                         "minutes": 60, "points": 60}
