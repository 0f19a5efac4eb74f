"""Each embedded install signs and encrypts with its own keys: nothing one install (or the source code's
published default) signs is accepted by another, and the signing key opens no stored ID number."""

from __future__ import annotations

import base64
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidTag

from servicebank.activities.calendar import volunteer_feed_token
from servicebank.checkins import tokens
from servicebank.config import DEV_SECRET, Settings
from servicebank.kernel.db import Database
from servicebank.volunteers.identity import IdentityVault, vault
from tests.checkins.helpers import Scene, card, code, scan, scene, utcnow
from tests.factories import Person, make_person

VALID_ID = "11010519491231002X"
CHECK_INS = "/api/check-ins"


@dataclasses.dataclass
class Install:
    settings: Settings
    db: Database
    client: httpx.AsyncClient
    scene: Scene


def embedded_settings(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Settings:
    """What `servicebank up` reads in this data directory (keys file made on first read)."""
    data_dir.mkdir(exist_ok=True)
    monkeypatch.setenv("SERVICEBANK_DATA_DIR", str(data_dir))
    settings = Settings.from_env().validate()
    return settings.replace(publish_events=False, embedded_worker=False, public_url="http://testserver")


@pytest.fixture
async def installs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[tuple[Install, Install]]:
    from servicebank.app import create_app

    made: list[Install] = []
    for name in ("a", "b"):
        settings = embedded_settings(monkeypatch, tmp_path / name)
        db = Database(settings)
        from servicebank import registry  # every domain's models
        await registry.create_tables(db)
        async with db.sessionmaker() as session:
            world = await scene(session)  # the same ids in both: only the keys differ
        transport = httpx.ASGITransport(app=create_app(settings, db=db))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        made.append(Install(settings=settings, db=db, client=client, scene=world))
    yield made[0], made[1]
    for install in made:
        await install.client.aclose()
        await install.db.dispose()


async def test_each_install_has_its_own_keys_none_of_them_the_published_default(installs) -> None:  # noqa: ANN001
    a, b = installs
    assert a.settings.secret_key != b.settings.secret_key and a.settings.data_key != b.settings.data_key
    for s in (a.settings, b.settings):
        assert DEV_SECRET not in (s.secret_key, s.data_key) and s.secret_key != s.data_key


async def test_a_kiosk_code_from_one_install_is_refused_by_another(installs) -> None:  # noqa: ANN001
    a, b = installs
    assert a.scene.activity.id == b.scene.activity.id
    from_a = code(a.settings, a.scene.activity.id)
    refused = await scan(b.client, CHECK_INS, from_a, b.scene.volunteer)
    assert refused.status_code == 400 and refused.json()["code"] == "qr_token_invalid"
    accepted = await scan(a.client, CHECK_INS, from_a, a.scene.volunteer)
    assert accepted.status_code == 201, accepted.text


async def test_a_volunteer_card_from_one_install_is_refused_by_another(installs) -> None:  # noqa: ANN001
    a, b = installs
    card_from_a = card(a.settings, a.scene.volunteer.volunteer.id)
    refused = await scan(b.client, CHECK_INS, code(b.settings, b.scene.activity.id), b.scene.leader,
                         volunteer_card=card_from_a)
    assert refused.status_code == 400 and refused.json()["code"] == "card_invalid"
    accepted = await scan(a.client, CHECK_INS, code(a.settings, a.scene.activity.id), a.scene.leader,
                          volunteer_card=card_from_a)
    assert accepted.status_code == 201, accepted.text


async def test_a_calendar_link_from_one_install_finds_nothing_on_another(installs) -> None:  # noqa: ANN001
    a, b = installs
    link = (await a.client.get("/api/me/calendar", headers=a.scene.volunteer.headers)).json()["url"]
    path = link.removeprefix("http://testserver")
    assert (await a.client.get(path)).status_code == 200
    refused = await b.client.get(path)
    assert refused.status_code == 404 and refused.json()["code"] == "calendar_not_found"


async def test_codes_forged_with_the_published_default_secret_are_refused(installs) -> None:  # noqa: ANN001
    _, fresh = installs
    s = fresh.scene
    forged_code = tokens.issue_kiosk_token(secret_key=DEV_SECRET, rotation_seconds=fresh.settings.qr_rotation_seconds,
                                           activity_id=s.activity.id, purpose=tokens.CHECK_IN,
                                           now=utcnow()).token
    refused = await scan(fresh.client, CHECK_INS, forged_code, s.volunteer)
    assert refused.status_code == 400 and refused.json()["code"] == "qr_token_invalid"
    forged_card = tokens.issue_card_token(secret_key=DEV_SECRET, volunteer_id=s.volunteer.volunteer.id, card_version=1)
    refused = await scan(fresh.client, CHECK_INS, code(fresh.settings, s.activity.id), s.leader,
                         volunteer_card=forged_card)
    assert refused.status_code == 400 and refused.json()["code"] == "card_invalid"
    forged_feed = volunteer_feed_token(DEV_SECRET, s.volunteer.volunteer.id)
    assert (await fresh.client.get(f"/api/calendar/volunteer/{forged_feed}.ics")).status_code == 404


async def test_id_numbers_in_the_sqlite_file_do_not_open_with_the_signing_key(installs) -> None:  # noqa: ANN001
    a, _ = installs
    organiser: Person = a.scene.organiser
    async with a.db.sessionmaker() as session:
        await make_person(session, "volunteer", community=a.scene.org.community)
    created = await a.client.post("/api/volunteers", headers=organiser.headers, json={
        "community_id": a.scene.org.community.id, "real_name": "王秀英", "phone": "13900001234",
        "id_number": VALID_ID})
    assert created.status_code == 201, created.text
    database_file = a.settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database_file) as conn:
        (stored,) = conn.execute("SELECT id_number_encrypted FROM volunteer WHERE id = ?",
                                 (created.json()["id"],)).fetchone()
    assert VALID_ID not in stored
    assert vault(a.settings).decrypt(stored) == VALID_ID
    with pytest.raises((ValueError, InvalidTag)):
        IdentityVault(a.settings.secret_key).decrypt(stored)
    # Not even trying the AES key derived from the signing key on the raw bytes opens it.
    from servicebank.volunteers.identity import _DataKey

    raw = base64.urlsafe_b64decode(stored.rpartition(":")[2])
    with pytest.raises(InvalidTag):
        _DataKey(a.settings.secret_key).open(raw, stored.partition(":")[0])
