"""Token signing rules, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.checkins import rules, tokens

SECRET = "s" * 40
NOW = dt.datetime(2025, 5, 1, 1, 0, 10, tzinfo=dt.UTC)


def _issue(at: dt.datetime, purpose: str = "check-in", activity_id: int = 7) -> str:
    return tokens.issue_kiosk_token(secret_key=SECRET, rotation_seconds=30, activity_id=activity_id, purpose=purpose,
                                    now=at).token


def _verify(token: str, purpose: str = "check-in", at: dt.datetime = NOW) -> int:
    return tokens.verify_kiosk_token(token, secret_key=SECRET, rotation_seconds=30, purpose=purpose, now=at)


def test_current_and_previous_window_only() -> None:
    assert _verify(_issue(NOW)) == 7
    assert _verify(_issue(NOW - dt.timedelta(seconds=30))) == 7
    with pytest.raises(tokens.TokenError) as err:
        _verify(_issue(NOW - dt.timedelta(seconds=60)))
    assert err.value.code == "qr_token_expired"
    with pytest.raises(tokens.TokenError) as err:
        _verify(_issue(NOW + dt.timedelta(seconds=30)))
    assert err.value.code == "qr_token_invalid"


def test_card_signature_is_not_a_kiosk_signature() -> None:
    card = tokens.issue_card_token(secret_key=SECRET, volunteer_id=7, card_version=1)
    assert tokens.verify_card_token(card, secret_key=SECRET) == (7, 1)
    with pytest.raises(tokens.TokenError):
        _verify("i" + card[1:])


def test_served_minutes_are_clamped_to_the_window() -> None:
    start = NOW
    end = NOW + dt.timedelta(hours=2)
    assert rules.served_minutes(checked_in_at=start - dt.timedelta(minutes=30), checked_out_at=end + dt.timedelta(
        hours=1), starts_at=start, ends_at=end) == 120
    assert rules.served_minutes(checked_in_at=start + dt.timedelta(minutes=10, seconds=59),
                                checked_out_at=start + dt.timedelta(minutes=40), starts_at=start, ends_at=end) == 29
    assert rules.served_minutes(checked_in_at=end + dt.timedelta(minutes=1), checked_out_at=end + dt.timedelta(
        minutes=5), starts_at=start, ends_at=end) == 0


def test_service_date_is_the_local_day_of_the_start() -> None:
    late_utc = dt.datetime(2025, 4, 30, 17, 30, tzinfo=dt.UTC)  # 01:30 on 1 May in Shanghai
    assert rules.service_date(late_utc, "Asia/Shanghai") == dt.date(2025, 5, 1)


def test_distance() -> None:
    assert rules.distance_m(39.9042, 116.4074, 39.9042, 116.4074) == 0
    assert 1100 < rules.distance_m(39.9042, 116.4074, 39.9142, 116.4074) < 1120


def _pass(at: dt.datetime = NOW, browser: str = "browser-a", purpose: str = "check-in") -> str:
    return tokens.issue_scan_pass(secret_key=SECRET, purpose=purpose, activity_id=7, scanned_at=at, browser=browser)


def _remembered(value: str, *, browser: str = "browser-a", activity_id: int = 7, purpose: str = "check-in",
                at: dt.datetime = NOW) -> dt.datetime | None:
    return tokens.verify_scan_pass(value, secret_key=SECRET, purpose=purpose, activity_id=activity_id,
                                   browser=browser, now=at, max_age=dt.timedelta(minutes=10))


def test_scan_pass_remembers_the_scan_time_for_its_browser_activity_and_purpose_only() -> None:
    scanned = NOW.replace(microsecond=0)
    assert _remembered(_pass(scanned), at=NOW + dt.timedelta(minutes=9)) == scanned
    assert _remembered(_pass(scanned), at=NOW + dt.timedelta(minutes=11)) is None  # the window is over
    assert _remembered(_pass(scanned + dt.timedelta(minutes=1))) is None  # not from the future
    assert _remembered(_pass(), browser="browser-b") is None
    assert _remembered(_pass(), browser="") is None
    assert _remembered(_pass(), activity_id=8) is None
    assert _remembered(_pass(), purpose="check-out") is None
    assert _remembered(_pass()[:-2] + "AA") is None
    assert _remembered("garbage") is None
    kiosk_signature = _issue(NOW).rpartition(".")[2]
    assert _remembered(_pass().rpartition(".")[0] + "." + kiosk_signature) is None


def test_kiosk_token_target_reads_purpose_and_activity() -> None:
    assert tokens.kiosk_token_target(_issue(NOW, "check-out", 9)) == ("check-out", 9)
    assert tokens.kiosk_token_target("x.1.2.3") is None and tokens.kiosk_token_target("") is None
