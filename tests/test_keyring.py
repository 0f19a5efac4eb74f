"""Embedded mode's keys file: made once, private, shared by processes starting together, reused after restarts;
explicit keys win; production refuses weak or shared keys."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from servicebank import keyring
from servicebank.config import DEV_SECRET, Settings, SettingsError

PG = "postgresql+asyncpg://u@127.0.0.1/db"
GOOD_SECRET, GOOD_DATA_KEY = "s" * 48, "d" * 48


def from_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **env: str) -> Settings:
    monkeypatch.setenv("SERVICEBANK_DATA_DIR", str(data_dir))
    for name, value in env.items():
        monkeypatch.setenv(f"SERVICEBANK_{name}", value)
    return Settings.from_env().validate()


def test_first_start_makes_a_private_keys_file_and_restarts_reuse_it(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    first = from_env(monkeypatch, tmp_path)
    path = tmp_path / keyring.KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert (stored["signing_key"], stored["data_key"]) == (first.secret_key, first.data_key)
    assert len(first.secret_key) >= keyring.MIN_KEY_LENGTH and first.secret_key != first.data_key
    again = from_env(monkeypatch, tmp_path)
    assert (again.secret_key, again.data_key) == (first.secret_key, first.data_key)
    assert again.keys_file == str(path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_processes_starting_together_share_one_set_of_keys(tmp_path) -> None:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")} | {
        "SERVICEBANK_DATA_DIR": str(tmp_path)}
    script = "from servicebank.config import Settings; s = Settings.from_env(); print(s.secret_key, s.data_key)"
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(12)]
    seen = {proc.communicate(timeout=120)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    stored = json.loads((tmp_path / keyring.KEYS_FILE).read_text())
    assert seen == {f"{stored['signing_key']} {stored['data_key']}"}


def test_keys_set_in_the_environment_win_over_the_keys_file(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    made = from_env(monkeypatch, tmp_path)
    explicit = from_env(monkeypatch, tmp_path, SECRET_KEY="e" * 40, DATA_KEY="f" * 40)
    assert (explicit.secret_key, explicit.data_key) == ("e" * 40, "f" * 40)
    only_secret = from_env(monkeypatch, tmp_path, DATA_KEY="")
    assert (only_secret.secret_key, only_secret.data_key) == ("e" * 40, made.data_key)


def test_the_published_default_secret_is_refused_even_when_set_explicitly(
        monkeypatch, tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        from_env(monkeypatch, tmp_path, SECRET_KEY=DEV_SECRET)


def test_an_unreadable_keys_file_stops_the_start_with_the_reason(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / keyring.KEYS_FILE).write_text("{not json")
    with pytest.raises(SettingsError, match="servicebank.keys"):
        from_env(monkeypatch, tmp_path)


def production(**changes: object) -> Settings:
    base = Settings(mode="production", database_url=PG, redis_url="redis://127.0.0.1:1/0", secret_key=GOOD_SECRET,
                    data_key=GOOD_DATA_KEY)
    return base.replace(**changes)


@pytest.mark.parametrize("changes, fragment", [
    ({"secret_key": ""}, "SECRET_KEY"),
    ({"secret_key": "short"}, "SECRET_KEY"),
    ({"secret_key": DEV_SECRET}, "SECRET_KEY"),
    ({"data_key": None}, "SERVICEBANK_DATA_KEY"),
    ({"data_key": "short"}, "SERVICEBANK_DATA_KEY"),
    ({"data_key": GOOD_SECRET}, "must differ from SERVICEBANK_SECRET_KEY"),
])
def test_production_refuses_missing_short_default_or_shared_keys(changes: dict, fragment: str) -> None:
    production().validate()
    with pytest.raises(SettingsError, match=fragment):
        production(**changes).validate()


def test_production_reads_keys_from_the_environment_and_writes_no_file(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    settings = from_env(monkeypatch, tmp_path, MODE="production", DATABASE_URL=PG, REDIS_URL="redis://127.0.0.1:1",
                        SECRET_KEY=GOOD_SECRET, DATA_KEY=GOOD_DATA_KEY, PREVIOUS_SECRET_KEYS="o" * 40,
                        PREVIOUS_SECRET_KEYS_UNTIL="2030-01-01T00:00:00Z", PREVIOUS_DATA_KEYS="p" * 40)
    assert (settings.secret_key, settings.data_key, settings.keys_file) == (GOOD_SECRET, GOOD_DATA_KEY, None)
    assert settings.previous_data_keys == ("p" * 40,)
    assert settings.signing_keys(dt.datetime(2029, 12, 31, tzinfo=dt.UTC)) == (GOOD_SECRET, "o" * 40)
    assert settings.signing_keys(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == (GOOD_SECRET,)
    assert not (tmp_path / keyring.KEYS_FILE).exists()


def test_previous_secret_keys_without_an_end_of_grace_are_refused(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(SettingsError, match="PREVIOUS_SECRET_KEYS_UNTIL"):
        from_env(monkeypatch, tmp_path, SECRET_KEY=GOOD_SECRET, DATA_KEY=GOOD_DATA_KEY,
                 PREVIOUS_SECRET_KEYS="o" * 40)
