"""The one-second cache of public reads: anonymous repeats share an answer until it is a second old; logged-in
readers and errors never go through it."""

from __future__ import annotations

from servicebank.accounts.models import Role
from servicebank.kernel import kept as short_memories
from servicebank.kernel.db import Database
from servicebank.ledger import transactions as ledger
from tests.factories import make_org, make_person, make_volunteer
from tests.public_cache import Clock, settings  # noqa: F401 - the cache on in this module


async def _credit(session, volunteer, minutes: int) -> None:  # noqa: ANN001
    account = await ledger.volunteer_account(session, volunteer.id)
    pool = await ledger.community_account(session, volunteer.community_id)
    await ledger.post_transaction(session, source_key=f"test:{volunteer.id}:{minutes}", kind="service",
                                  entries=[(pool.id, -minutes), (account.id, minutes)],
                                  service_minutes={volunteer.id: minutes})
    await session.commit()


class TestPublicReadCache:
    async def test_anonymous_repeats_share_one_answer_for_a_second(self, db: Database, session, client,
                                                                   monkeypatch) -> None:  # noqa: ANN001
        clock = Clock()
        monkeypatch.setattr(short_memories, "monotonic", clock)
        org = await make_org(session)
        wang = await make_volunteer(session, org.community, name="王秀英")
        await _credit(session, wang, 60)
        board = f"/api/leaderboards?scope=community:{org.community.id}&period=all&by=hours&limit=10"
        fresh = await client.get(board)
        assert [r["minutes"] for r in fresh.json()["rows"]] == [60]
        kept = await client.get(board)
        assert (kept.content, kept.headers["content-type"]) == (fresh.content, fresh.headers["content-type"])
        await _credit(session, wang, 30)
        clock.now += 0.9
        assert [r["minutes"] for r in (await client.get(board)).json()["rows"]] == [60], "served from memory"
        clock.now += 0.2
        assert [r["minutes"] for r in (await client.get(board)).json()["rows"]] == [90], "a second later: fresh"

    async def test_logged_in_readers_and_errors_are_not_cached(self, db: Database, session, client,
                                                              monkeypatch) -> None:  # noqa: ANN001
        monkeypatch.setattr(short_memories, "monotonic", Clock())
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community, name="张建国")
        await _credit(session, me.volunteer, 60)
        board = f"/api/leaderboards?scope=community:{org.community.id}&period=all&by=hours&limit=10"
        assert (await client.get(board)).json()["rows"][0]["name"] == "张*国"
        # The same address with a login: the viewer's own name unmasked, and the fresh figure.
        await _credit(session, me.volunteer, 30)
        mine = (await client.get(board, headers=me.headers)).json()["rows"][0]
        assert (mine["name"], mine["minutes"]) == ("张建国", 90)
        for _ in range(2):
            response = await client.get("/api/leaderboards?scope=planet:1")
            assert (response.status_code, response.json()["code"]) == (422, "bad_scope")

    async def test_switched_off_with_zero_seconds(self, db: Database, session, app, client) -> None:  # noqa: ANN001
        app.state.settings = app.state.settings.replace(public_read_cache_seconds=0)
        org = await make_org(session)
        wang = await make_volunteer(session, org.community, name="王秀英")
        await _credit(session, wang, 60)
        board = f"/api/leaderboards?scope=community:{org.community.id}&period=all&by=hours&limit=10"
        assert [r["minutes"] for r in (await client.get(board)).json()["rows"]] == [60]
        await _credit(session, wang, 30)
        assert [r["minutes"] for r in (await client.get(board)).json()["rows"]] == [90]


class TestBoardNames:
    async def test_own_rank_keeps_the_top_names_a_second_and_shows_the_viewers_own_name_at_once(
            self, db: Database, session, client, monkeypatch) -> None:  # noqa: ANN001
        clock = Clock()
        monkeypatch.setattr(short_memories, "monotonic", clock)  # the names and the board's top alike
        org = await make_org(session)
        wang = await make_volunteer(session, org.community, name="王秀英", public_consent=True)
        viewer = await make_person(session, Role.VOLUNTEER, community=org.community, name="赵小明")
        await _credit(session, wang, 60)
        await _credit(session, viewer.volunteer, 30)
        mine = f"/api/leaderboards/me?scope=community:{org.community.id}&limit=10"

        async def names() -> list[str]:
            answer = await client.get(mine, headers=viewer.headers)
            assert answer.status_code == 200
            return [r["name"] for r in answer.json()["rows"]]

        assert await names() == ["王*英", "赵小明"]
        wang.real_name = "李秀英"
        viewer.volunteer.real_name = "赵大明"
        await session.commit()
        clock.now += 0.9
        # Another volunteer's name: kept up to a second. The viewer's own: read with their login, which the
        # rename made every process forget (accounts/principal_cache.py).
        assert await names() == ["王*英", "赵大明"]
        clock.now += 0.2
        assert await names() == ["李*英", "赵大明"]
