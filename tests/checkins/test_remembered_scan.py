"""A scan remembered through a slow login (issue 17): the service checks the kiosk code at the time of the scan
and records that time; every other refusal still applies."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.checkins import tokens
from servicebank.checkins.service import Scanner, check_in, check_out
from servicebank.kernel.errors import DomainError
from tests.checkins.helpers import code, scene, set_policy, utcnow

LOGIN_TIME = dt.timedelta(minutes=5)


def _scanner(s) -> Scanner:  # noqa: ANN001
    v = s.volunteer.volunteer
    return Scanner(volunteer_id=v.id, volunteer_community_id=v.community_id)


async def test_check_in_carries_the_scan_time_although_the_code_rotated(session, settings) -> None:
    s = await scene(session, starts_in=-dt.timedelta(minutes=20))
    scanned_at = utcnow().replace(microsecond=0) - LOGIN_TIME
    token = code(settings, s.activity.id, at=scanned_at)
    with pytest.raises(tokens.TokenError) as late:
        await check_in(session, settings=settings, token=token, now=utcnow(), scanner=_scanner(s))
    assert late.value.code == "qr_token_expired"
    result = await check_in(session, settings=settings, token=token, now=utcnow(), scanner=_scanner(s),
                            scanned_at=scanned_at)
    assert result.created and result.attendance.checked_in_at == scanned_at


async def test_own_scan_by_login_with_a_remembered_time_takes_the_checked_path(session, settings) -> None:
    s = await scene(session, starts_in=-dt.timedelta(minutes=20))
    scanned_at = utcnow().replace(microsecond=0) - LOGIN_TIME
    result = await check_in(session, settings=settings, token=code(settings, s.activity.id, at=scanned_at),
                            now=utcnow(), bearer=s.volunteer.token, scanned_at=scanned_at)
    assert result.created and result.attendance.checked_in_at == scanned_at


async def test_the_code_must_have_been_valid_at_the_remembered_time(session, settings) -> None:
    s = await scene(session, starts_in=-dt.timedelta(minutes=20))
    now = utcnow()
    with pytest.raises(tokens.TokenError) as refused:  # a code shown now cannot have been scanned before
        await check_in(session, settings=settings, token=code(settings, s.activity.id, at=now), now=now,
                       scanner=_scanner(s), scanned_at=now - LOGIN_TIME)
    assert refused.value.code == "qr_token_invalid"


async def test_geofence_still_refuses_a_remembered_scan(session, settings) -> None:
    s = await scene(session, starts_in=-dt.timedelta(minutes=20))
    await set_policy(session, s.activity, radius_m=200, geofence_mode="refuse")
    scanned_at = utcnow() - LOGIN_TIME
    with pytest.raises(DomainError) as refused:
        await check_in(session, settings=settings, token=code(settings, s.activity.id, at=scanned_at), now=utcnow(),
                       scanner=_scanner(s), scanned_at=scanned_at, latitude=39.95, longitude=116.40)
    assert refused.value.code == "outside_geofence"


async def test_a_scan_before_the_window_opened_is_still_too_early(session, settings) -> None:
    s = await scene(session, starts_in=dt.timedelta(minutes=34))  # opens 30 minutes before: in 4 minutes
    scanned_at = utcnow() - LOGIN_TIME
    with pytest.raises(DomainError) as refused:
        await check_in(session, settings=settings, token=code(settings, s.activity.id, at=scanned_at), now=utcnow(),
                       scanner=_scanner(s), scanned_at=scanned_at)
    assert refused.value.code == "checkin_not_open"


async def test_check_out_closes_at_the_scan_time(session, settings) -> None:
    s = await scene(session, starts_in=-dt.timedelta(minutes=60))
    arrived = utcnow() - dt.timedelta(minutes=50)
    await check_in(session, settings=settings, token=code(settings, s.activity.id, at=arrived), now=arrived,
                   scanner=_scanner(s))
    scanned_at = utcnow().replace(microsecond=0) - LOGIN_TIME
    token = code(settings, s.activity.id, tokens.CHECK_OUT, at=scanned_at)
    result = await check_out(session, settings=settings, token=token, now=utcnow(), scanner=_scanner(s),
                             scanned_at=scanned_at)
    assert result.created and result.attendance.checked_out_at == scanned_at
