"""Bad settings, bad input and a database outage get clear answers, never a stack trace."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from servicebank.config import DEV_SECRET, Settings, SettingsError

PG = "postgresql+asyncpg://u@127.0.0.1/db"
GOOD_SECRET = "s" * 48


@pytest.mark.parametrize("changes, fragment", [
    ({"secret_key": DEV_SECRET}, "SECRET_KEY"),
    ({"secret_key": ""}, "SECRET_KEY"),
    ({"secret_key": "short"}, "SECRET_KEY"),
    ({"database_url": "sqlite+aiosqlite:///x.db"}, "PostgreSQL"),
    ({"redis_url": None}, "REDIS_URL"),
])
def test_production_refuses_unsafe_settings(changes: dict, fragment: str) -> None:
    settings = Settings(mode="production", database_url=PG, redis_url="redis://127.0.0.1:1/0", secret_key=GOOD_SECRET,
                        data_key="d" * 48)
    settings.validate()
    with pytest.raises(SettingsError, match=fragment):
        settings.replace(**changes).validate()


@pytest.mark.parametrize("raw, expected", [("true", True), ("ON", True), ("0", False), ("no", False), ("", False)])
def test_a_yes_no_setting_reads_the_usual_spellings(monkeypatch, raw: str, expected: bool) -> None:  # noqa: ANN001
    monkeypatch.setenv("SERVICEBANK_DB_PRE_PING", raw)
    assert Settings.from_env().db_pre_ping is expected


def test_a_yes_no_setting_with_a_typo_is_refused_not_read_as_no(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SERVICEBANK_DB_PRE_PING", "ture")
    with pytest.raises(SettingsError, match="SERVICEBANK_DB_PRE_PING must be true or false"):
        Settings.from_env()


def test_production_server_will_not_start_with_the_default_secret(tmp_path) -> None:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_MODE="production", SERVICEBANK_DATABASE_URL=PG, SERVICEBANK_REDIS_URL="redis://127.0.0.1:1")
    result = subprocess.run([sys.executable, "-m", "servicebank.cli", "serve"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad_settings" in result.stderr and "SERVICEBANK_SECRET_KEY" in result.stderr


async def test_oversized_body_is_refused_with_a_code(client, settings) -> None:  # noqa: ANN001
    body = b"x" * (settings.max_upload_bytes + 1)
    response = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "payload_too_large"


async def test_malformed_json_and_unknown_routes_are_problems(client) -> None:  # noqa: ANN001
    bad = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"
    missing = await client.post("/api/auth/login", json={"login": "x"})
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_input"
    assert "password" in missing.json()["detail"]
    unknown = await client.get("/api/no-such-thing")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


@pytest.mark.postgres_only
async def test_database_outage_answers_503_then_recovers(client, postgres_server) -> None:  # noqa: ANN001
    if not hasattr(postgres_server, "stop"):
        pytest.skip("an external PostgreSQL cannot be stopped by the test")
    assert (await client.post("/api/auth/login", json={"login": "nobody", "password": "x"})).status_code == 401
    postgres_server.stop("immediate")
    try:
        down = await client.post("/api/auth/login", json={"login": "nobody", "password": "x"})
        assert down.status_code == 503, down.text
        assert down.json()["code"] == "database_unavailable"
        assert down.headers["retry-after"]
        health = await client.get("/health")
        assert health.status_code == 503 and health.json()["database"]["ok"] is False
    finally:
        postgres_server.start()
    again = await client.post("/api/auth/login", json={"login": "nobody", "password": "x"})
    assert again.status_code == 401, again.text
    assert (await client.get("/health/ready")).status_code == 200
