"""Rotating keys: codes signed with the old signing key work through the grace period and not after; a new
data key re-encrypts every stored ID number in batches, and an interrupted run leaves every row readable."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from servicebank import keyring
from servicebank.checkins import tokens
from servicebank.cli import cli
from servicebank.config import DEV_SECRET, Settings, get_settings
from servicebank.keys_cli import finish_embedded_rotation
from servicebank.org.models import Community
from servicebank.volunteers import rekey
from servicebank.volunteers.identity import IdentityVault, _DataKey, vault
from servicebank.volunteers.models import Volunteer
from tests.checkins.helpers import card, code, scan, scene, utcnow
from tests.conftest import TEST_SECRET
from tests.factories import make_org

CHECK_INS = "/api/check-ins"
ROWS = 1234  # more than two batches of 500


def run_cli(args: list[str], env: dict[str, str]) -> dict:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, args, env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def embedded_env(data_dir: Path, settings: Settings) -> dict[str, str]:
    """An embedded install in `data_dir` whose database is the test's (SQLite or PostgreSQL)."""
    return {"SERVICEBANK_DATA_DIR": str(data_dir), "SERVICEBANK_DATABASE_URL": settings.database_url}


def settings_from(env: dict[str, str]) -> Settings:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Settings.from_env()
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)


# --- signing key -------------------------------------------------------------------------------------------

async def test_codes_signed_with_the_old_key_work_within_the_grace_period_and_are_refused_after(
        settings, db, session) -> None:  # noqa: ANN001
    import httpx

    from servicebank.app import create_app

    s = await scene(session)
    old_code, old_card = code(settings, s.activity.id), card(settings, s.volunteer.volunteer.id)
    rotated = settings.replace(secret_key="new-signing-key-" + "n" * 40)

    async def check_in(until: dt.datetime, token: str, **body: str):  # noqa: ANN202
        app = create_app(rotated.replace(previous_secret_keys=(keyring.RetiredKey(TEST_SECRET, until),)), db=db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            return await scan(c, CHECK_INS, token, s.leader if body else s.volunteer, **body)

    ended = utcnow() - dt.timedelta(seconds=1)
    refused = await check_in(ended, old_code)
    assert refused.status_code == 400 and refused.json()["code"] == "qr_token_invalid"
    refused = await check_in(ended, code(rotated, s.activity.id), volunteer_card=old_card)
    assert refused.status_code == 400 and refused.json()["code"] == "card_invalid"
    within = utcnow() + dt.timedelta(days=1)
    assert (await check_in(within, old_code)).status_code == 201
    assert (await check_in(within, code(rotated, s.activity.id), volunteer_card=old_card)).status_code == 200


def test_rotate_signing_keeps_the_old_key_for_the_grace_period_only(tmp_path) -> None:  # noqa: ANN001
    env = {"SERVICEBANK_DATA_DIR": str(tmp_path)}
    before = settings_from(env)
    old_card = tokens.issue_card_token(secret_key=before.secret_key, volunteer_id=7, card_version=1)
    started = dt.datetime.now(dt.UTC)
    out = run_cli(["keys", "rotate", "--signing", "--grace-days", "3", "--json"], env)
    after = settings_from(env)
    assert after.secret_key != before.secret_key and after.data_key == before.data_key
    (retired,) = after.previous_secret_keys
    assert retired.key == before.secret_key and out["accept_until"] == retired.accept_until.isoformat("T", "seconds")
    assert started + dt.timedelta(days=3) <= retired.accept_until <= dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert tokens.verify_card_token(old_card, secret_key=after.signing_keys(retired.accept_until
                                                                           - dt.timedelta(seconds=1))) == (7, 1)
    with pytest.raises(tokens.TokenError):
        tokens.verify_card_token(old_card, secret_key=after.signing_keys(retired.accept_until))
    # New codes are signed with the new key only.
    assert after.signing_keys(retired.accept_until)[0] == after.secret_key
    assert out["signing_key"] not in json.dumps(out["keys_file"]) and after.secret_key not in json.dumps(out)


def test_rotate_without_saying_which_key_is_refused(tmp_path) -> None:  # noqa: ANN001
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["keys", "rotate", "--json"], env={"SERVICEBANK_DATA_DIR": str(tmp_path)})
    get_settings.cache_clear()
    assert result.exit_code == 2 and json.loads(result.stderr)["error"] == "no_key_chosen"


def test_in_production_rotate_prints_the_variables_to_set(tmp_path) -> None:  # noqa: ANN001
    env = {"SERVICEBANK_MODE": "production", "SERVICEBANK_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1/db",
           "SERVICEBANK_REDIS_URL": "redis://127.0.0.1:1", "SERVICEBANK_SECRET_KEY": "s" * 48,
           "SERVICEBANK_DATA_KEY": "d" * 48, "SERVICEBANK_DATA_DIR": str(tmp_path)}
    printed = run_cli(["keys", "rotate", "--signing", "--data", "--json"], env)["env"]
    assert printed["SERVICEBANK_PREVIOUS_SECRET_KEYS"] == "s" * 48
    assert printed["SERVICEBANK_PREVIOUS_DATA_KEYS"] == "d" * 48
    assert len({printed["SERVICEBANK_SECRET_KEY"], printed["SERVICEBANK_DATA_KEY"], "s" * 48, "d" * 48}) == 4
    rotated = settings_from(env | printed).validate()
    assert rotated.signing_keys() == (printed["SERVICEBANK_SECRET_KEY"], "s" * 48)
    assert not (tmp_path / keyring.KEYS_FILE).exists()


# --- data key ----------------------------------------------------------------------------------------------

def legacy_encrypt(key: str, number: str) -> str:
    """What the code before per-install keys stored: `v1:` and no key id, sealed with the shared key."""
    nonce = os.urandom(12)
    return "v1:" + base64.urlsafe_b64encode(nonce + _DataKey(key).aead.encrypt(nonce, number.encode(), b"v1")).decode()


async def seed_id_numbers(session, id_vault: IdentityVault, *, legacy: int = 0) -> dict[int, str]:  # noqa: ANN001
    """ROWS volunteers with ID numbers under `id_vault`'s key; the first `legacy` in the old shared format."""
    org = await make_org(session)
    numbers = [f"E{n:08d}" for n in range(ROWS)]
    rows = [Volunteer(community_id=org.community.id, number=f"K-{n:06d}", real_name="测试", phone=f"139{n:08d}",
                      id_type="护照", id_number_last4=number[-4:], id_number_masked=number[:3] + "***",
                      id_number_encrypted=(legacy_encrypt(DEV_SECRET, number) if n < legacy
                                           else id_vault.encrypt(number)),
                      id_number_digest=_DataKey(DEV_SECRET).digest(number) if n < legacy else id_vault.digest(number))
            for n, number in enumerate(numbers)]
    session.add_all(rows)
    await session.commit()
    return {row.id: number for row, number in zip(rows, numbers, strict=True)}


async def stored(db) -> dict[int, tuple[str, str]]:  # noqa: ANN001
    async with db.session_scope() as s:
        rows = await s.execute(select(Volunteer.id, Volunteer.id_number_encrypted, Volunteer.id_number_digest)
                               .where(Volunteer.id_number_encrypted.is_not(None)))
        return {r[0]: (r[1], r[2]) for r in rows}


async def test_rotate_data_reencrypts_every_row_and_all_still_decrypt(
        settings, db, session, tmp_path) -> None:  # noqa: ANN001
    env = embedded_env(tmp_path, settings)
    before = settings_from(env)
    expected = await seed_id_numbers(session, vault(before), legacy=10)
    out = await asyncio.to_thread(run_cli, ["keys", "rotate", "--data", "--json"], env)
    assert out["reencryption"] == {"reencrypted": ROWS, "unreadable": [], "remaining": 0}
    after = settings_from(env)
    new_vault, old_vault = vault(after), IdentityVault(before.data_key or "")
    assert after.data_key != before.data_key and after.previous_data_keys == (before.data_key,)
    rows = await stored(db)
    assert set(rows) == set(expected)
    for volunteer_id, (encrypted, digest) in rows.items():
        assert encrypted.startswith(new_vault.current_prefix)
        number = expected[volunteer_id]
        assert new_vault.decrypt(encrypted) == number and digest == new_vault.digest(number)
        with pytest.raises(ValueError):
            old_vault.decrypt(encrypted)
    # The next `servicebank up` finds nothing left under the old key and forgets it.
    await asyncio.to_thread(finish_embedded_rotation, after)
    assert settings_from(env).previous_data_keys == ()


async def test_an_interrupted_reencryption_leaves_every_row_readable_and_a_rerun_finishes(
        settings, db, session, tmp_path) -> None:  # noqa: ANN001
    env = embedded_env(tmp_path, settings)
    expected = await seed_id_numbers(session, vault(settings_from(env)))
    path = tmp_path / keyring.KEYS_FILE
    keyring.write(path, keyring.rotate_data(keyring.read(path)))
    rotated = vault(settings_from(env))
    async with db.session_scope() as s:  # one batch commits, then the process "dies"
        batch = await rekey.reencrypt_batch(s, vault=rotated, after_id=0, limit=500)
    assert batch.reencrypted == 500
    rows = await stored(db)
    assert sum(e.startswith(rotated.current_prefix) for e, _ in rows.values()) == 500
    assert all(rotated.decrypt(e) == expected[i] for i, (e, _) in rows.items())
    out = await asyncio.to_thread(run_cli, ["keys", "reencrypt", "--batch-size", "300", "--json"], env)
    assert out == {"reencrypted": ROWS - 500, "unreadable": [], "remaining": 0}
    assert all(e.startswith(rotated.current_prefix) and rotated.decrypt(e) == expected[i]
               for i, (e, _) in (await stored(db)).items())
    status = await asyncio.to_thread(run_cli, ["keys", "status", "--json"], env)
    assert status["id_numbers_to_reencrypt"] == 0 and len(status["previous_data_keys"]) == 1


async def test_upgrading_keeps_old_id_numbers_readable_and_unique_then_moves_them_to_the_install_key(
        settings, db, session, tmp_path) -> None:  # noqa: ANN001
    import httpx

    from servicebank.app import create_app
    from tests.factories import make_person

    expected = await seed_id_numbers(session, IdentityVault(DEV_SECRET), legacy=ROWS)  # all `v1:`, shared key
    upgraded = settings_from(embedded_env(tmp_path, settings))  # first start of this version: makes its keys
    assert all(vault(upgraded).decrypt(e) == expected[i] for i, (e, _) in (await stored(db)).items())
    community_id = (await session.get(Volunteer, next(iter(expected)))).community_id
    organiser = await make_person(session, "organiser", community=await session.get(Community, community_id))
    app = create_app(upgraded.replace(publish_events=False, embedded_worker=False), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        duplicate = await c.post("/api/volunteers", headers=organiser.headers, json={
            "community_id": community_id, "real_name": "重复", "phone": "13700000001", "id_type": "护照",
            "id_number": expected[next(iter(expected))]})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_id_number"
    await asyncio.to_thread(finish_embedded_rotation, upgraded)
    for volunteer_id, (encrypted, _) in (await stored(db)).items():
        assert encrypted.startswith(vault(upgraded).current_prefix)
        assert vault(upgraded).decrypt(encrypted) == expected[volunteer_id]
        with pytest.raises(ValueError):
            IdentityVault(DEV_SECRET).decrypt(encrypted)
