"""Public posters: drawn once per content (a hit never draws), drawn again when the list changes, drawn in a
worker thread with the database connection given back, and limited per client address."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from servicebank.accounts.models import Role
from servicebank.honours import poster, posters
from servicebank.honours.models import HonourEntry
from tests.factories import make_person
from tests.honours.seeding import seed_october
from tests.honours.test_review import _community_list, _generate


class Drawings:
    """Counts the real drawings and notes where each happened."""

    def __init__(self, db, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
        self.count, self.connections_held, self.on_loop_thread = 0, [], []
        self._db, self._loop_thread = db, threading.get_ident()
        for kind in ("png", "pdf"):
            monkeypatch.setattr(poster, f"render_{kind}", self._watch(getattr(poster, f"render_{kind}")))

    def _watch(self, render):  # noqa: ANN001, ANN202
        def drawn(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.count += 1
            self.connections_held.append(self._db.engine.pool.checkedout())
            self.on_loop_thread.append(threading.get_ident() == self._loop_thread)
            return render(*args, **kwargs)
        return drawn


async def _published(client, session) -> int:  # noqa: ANN001
    seeded = await seed_october(session)
    organiser = await make_person(session, Role.ORGANISER, community=seeded.org.community)
    await _generate(client, organiser, community_id=seeded.org.community.id)
    draft = await _community_list(client, organiser, seeded.org.community.id)
    published = await client.post(f"/api/honours/lists/{draft['id']}/publish", json={}, headers=organiser.headers)
    assert published.status_code == 200, published.text
    return draft["id"]


async def test_a_poster_is_drawn_once_per_content(client, session, db, monkeypatch) -> None:  # noqa: ANN001
    list_id = await _published(client, session)
    drawings = Drawings(db, monkeypatch)
    url = f"/api/public/honours/{list_id}/poster.png"
    first = await client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    again = await client.get(url)
    assert again.content == first.content and drawings.count == 1  # the second request is a cache hit
    # Drawn in a worker thread, with the list's session closed (on SQLite: the only connection is free).
    assert drawings.on_loop_thread == [False] and drawings.connections_held == [0]

    async with db.session_scope() as s:
        await s.execute(update(HonourEntry).where(HonourEntry.list_id == list_id, HonourEntry.rank == 1)
                        .values(public_name="改*名"))
    changed = await client.get(url)
    assert changed.status_code == 200 and changed.content != first.content and drawings.count == 2
    assert (await client.get(f"/api/public/honours/{list_id}/poster.pdf")).status_code == 200
    assert drawings.count == 3  # another format is another poster


async def test_drawings_per_address_are_limited_and_hits_are_not(client, session, db, monkeypatch) -> None:  # noqa: ANN001
    list_id = await _published(client, session)
    drawings = Drawings(db, monkeypatch)
    monkeypatch.setattr(posters, "RENDERS_PER_WINDOW", 1)
    png = await client.get(f"/api/public/honours/{list_id}/poster.png")
    assert png.status_code == 200
    limited = await client.get(f"/api/public/honours/{list_id}/poster.pdf")
    assert limited.status_code == 429 and limited.json()["code"] == "poster_rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    assert (await client.get(f"/api/public/honours/{list_id}/poster.png")).status_code == 200  # a cache hit
    assert drawings.count == 1


def test_the_cache_drops_the_least_recently_used_past_its_size() -> None:
    cache = posters.PosterCache(max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"
    cache.put("c", b"1234")
    assert cache.get("b") is None and cache.get("a") and cache.get("c") and cache.size == 8
