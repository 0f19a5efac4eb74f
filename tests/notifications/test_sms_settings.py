"""Bad SMS settings are refused at start, with the variable to fix in the message; quiet hours cross midnight."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from servicebank.config import Settings, SettingsError
from servicebank.notifications.sms_limits import quiet_until
from servicebank.sms_settings import TEMPLATE_KINDS, SmsSettings
from tests.conftest import TEST_DATA_KEY, TEST_SECRET

ALL_TEMPLATES = ",".join(f"{kind}=SMS_{n}" for n, kind in enumerate(TEMPLATE_KINDS))


def start_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    """Settings read from these variables and checked, as `servicebank serve` does at start."""
    monkeypatch.setenv("SERVICEBANK_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("SERVICEBANK_DATA_KEY", TEST_DATA_KEY)
    for name, value in env.items():
        monkeypatch.setenv(f"SERVICEBANK_SMS_{name}", value)
    return Settings.from_env().validate()


def test_embedded_default_is_the_log_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    sms = start_with(monkeypatch).sms
    assert sms.provider == "log" and sms.template_for("activity.reminder") == "activity.reminder"


def test_a_complete_gateway_configuration_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    sms = start_with(monkeypatch, PROVIDER="gateway", GATEWAY_URL="https://sms.example.cn/send", GATEWAY_KEY="acct",
                     GATEWAY_SECRET="s" * 32, TEMPLATES=ALL_TEMPLATES, PER_DAY="20").sms
    assert sms.template_for("activity.reminder") == "SMS_0" and sms.per_day == 20


@pytest.mark.parametrize(("env", "says"), [
    ({"PROVIDER": "carrier-pigeon"}, "SERVICEBANK_SMS_PROVIDER must be one of log, gateway"),
    ({"PROVIDER": "gateway", "GATEWAY_KEY": "a", "GATEWAY_SECRET": "b" * 20}, "needs SERVICEBANK_SMS_GATEWAY_URL"),
    ({"PROVIDER": "gateway", "GATEWAY_URL": "https://sms.example.cn/send"},
     "GATEWAY_URL is set without credentials"),
    ({"PROVIDER": "gateway", "GATEWAY_URL": "https://sms.example.cn/send", "GATEWAY_KEY": "a",
      "GATEWAY_SECRET": "b" * 20, "SIGNATURE_SCHEME": "md5"}, "SIGNATURE_SCHEME 'md5' is unknown"),
    ({"PROVIDER": "gateway", "GATEWAY_URL": "https://sms.example.cn/send", "GATEWAY_KEY": "a",
      "GATEWAY_SECRET": "b" * 20, "TEMPLATES": "activity.reminder=SMS_1"}, "no registered template id for: activity.starting_soon, signup"),
    ({"TEMPLATES": "activity.reminder"}, "must look like kind=TEMPLATE_ID"),
    ({"TEMPLATES": "birthday=SMS_9"}, "never sent by SMS: birthday"),
    ({"QUIET_HOURS": "late"}, "SERVICEBANK_SMS_QUIET_HOURS must look like 22:00-08:00"),
    ({"PER_MINUTE": "5", "PER_HOUR": "2"}, "minute <= hour <= day"),
    ({"PER_DAY": "many"}, "SERVICEBANK_SMS_PER_DAY must be a whole number"),
])
def test_bad_settings_are_refused_at_start(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        start_with(monkeypatch, **env)


def test_production_refuses_a_short_gateway_secret() -> None:
    sms = SmsSettings(provider="gateway", gateway_url="https://sms.example.cn/send", gateway_key="a",
                      gateway_secret="short", templates=tuple((k, "T") for k in TEMPLATE_KINDS))
    sms.check(production=False)
    with pytest.raises(RuntimeError, match="too short"):
        sms.check(production=True)


@pytest.mark.parametrize(("utc", "until"), [
    (dt.datetime(2026, 12, 7, 13, 59, tzinfo=dt.UTC), None),  # 21:59 in Shanghai
    (dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC)),  # 22:00
    (dt.datetime(2026, 12, 7, 19, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC)),  # 03:00
    (dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC), None),  # 08:00
])
def test_quiet_hours_cross_midnight_in_the_local_time_zone(utc: dt.datetime, until: dt.datetime | None) -> None:
    assert quiet_until(utc, SmsSettings(), "Asia/Shanghai") == until
    assert quiet_until(utc, SmsSettings(quiet_hours="off"), "Asia/Shanghai") is None


def test_embedded_mode_makes_its_vapid_key_once(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from servicebank import keyring

    first = keyring.load_or_create_vapid(tmp_path)
    assert keyring.load_or_create_vapid(tmp_path) == first and "PRIVATE KEY" in first
    assert (tmp_path / keyring.VAPID_FILE).stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SERVICEBANK_DATA_DIR", str(tmp_path))
    assert start_with(monkeypatch).vapid_private_key == first


def test_a_bad_vapid_key_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEBANK_VAPID_PRIVATE_KEY", "not a key")
    with pytest.raises(SettingsError, match="SERVICEBANK_VAPID_PRIVATE_KEY is not a PEM private key"):
        start_with(monkeypatch)


@pytest.mark.parametrize(("command", "env", "names"), [
    ("serve", {"SERVICEBANK_SMS_PROVIDER": "gateway"}, "SERVICEBANK_SMS_GATEWAY_URL"),
    ("worker", {"SERVICEBANK_SMS_QUIET_HOURS": "late"}, "SERVICEBANK_SMS_QUIET_HOURS"),
    ("scheduler", {"SERVICEBANK_VAPID_PRIVATE_KEY": "not a key"}, "SERVICEBANK_VAPID_PRIVATE_KEY"),
])
def test_the_processes_will_not_start_with_bad_settings(tmp_path, command: str, env: dict[str, str],  # noqa: ANN001
                                                        names: str) -> None:
    """The real commands, not only the settings object: exit code 2 and the variable to fix on stderr."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    result = subprocess.run([sys.executable, "-m", "servicebank.cli", command], cwd=tmp_path, env={**clean, **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "bad_settings" in result.stderr and names in result.stderr
