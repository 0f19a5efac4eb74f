"""The one-statement paths (fast_scan.py) and the general path refuse alike: every refusal code of a volunteer's own
check-in and check-out, driven through both on PostgreSQL, gives the same answer and writes nothing.

The conditions are declared once (checkins/self_scan.py); this test is the guard for what is not: a refusal
written into the service outside that list would be skipped by the statement, and the last test here names
any refusal code of the scan modules that has no case below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from servicebank.accounts.models import AuthSession, Role, User
from servicebank.activities.models import ActivityStatus
from servicebank.checkins import fast_scan, self_scan, service, tokens
from servicebank.volunteers.models import Volunteer, VolunteerStatus
from tests.checkins.helpers import attendance_count, code, event_types, scene, set_policy
from tests.factories import make_person

PATHS = {tokens.CHECK_IN: "/api/check-ins", tokens.CHECK_OUT: "/api/check-outs"}
FAR = {"latitude": 39.95, "longitude": 116.40}
# Refusals no volunteer's own scan can meet: staff signing someone in (代签).
NOT_OWN_SCAN = {"card_invalid", "volunteer_not_found", "card_other_community", "not_your_volunteer", "card_revoked"}


@dataclasses.dataclass(frozen=True)
class Case:
    code: str
    status: int
    # Builds the situation; returns the request's headers, the activity of the kiosk code and more of the body.
    setup: Callable[[Any, Any], Awaitable[tuple[dict[str, str], int, dict[str, Any]]]]


async def _expired_login(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    await session.execute(update(AuthSession).where(AuthSession.user_id == s.volunteer.user.id)
                          .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    await session.commit()
    return s.volunteer.headers, s.activity.id, {}


async def _disabled_account(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    await session.execute(update(User).where(User.id == s.volunteer.user.id).values(is_active=False))
    await session.commit()
    return s.volunteer.headers, s.activity.id, {}


async def _staff_account(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    return s.organiser.headers, s.activity.id, {}


async def _gone_activity(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    return s.volunteer.headers, s.activity.id + 10_000, {}


def _activity_in(status: str):  # noqa: ANN202
    async def setup(session, settings):  # noqa: ANN001, ANN202
        s = await scene(session, status=status)
        return s.volunteer.headers, s.activity.id, {}
    return setup


async def _suspended(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    await session.execute(update(Volunteer).where(Volunteer.id == s.volunteer.volunteer.id)
                          .values(status=VolunteerStatus.SUSPENDED))
    await session.commit()
    return s.volunteer.headers, s.activity.id, {}


def _timed(**fields: Any):  # noqa: ANN202
    async def setup(session, settings):  # noqa: ANN001, ANN202
        s = await scene(session, **fields)
        return s.volunteer.headers, s.activity.id, {}
    return setup


async def _outsider(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    outsider = await make_person(session, Role.VOLUNTEER, community=s.org.other)
    return outsider.headers, s.activity.id, {}


async def _walk_ins_off(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    await set_policy(session, s.activity, allow_walk_ins=False)
    walker = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    return walker.headers, s.activity.id, {}


async def _full(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session, capacity=1)  # the volunteer's confirmed place fills it
    walker = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    return walker.headers, s.activity.id, {}


def _geofenced(**position: float):  # noqa: ANN202
    async def setup(session, settings):  # noqa: ANN001, ANN202
        s = await scene(session)
        await set_policy(session, s.activity, radius_m=200, geofence_mode="refuse")
        return s.volunteer.headers, s.activity.id, position
    return setup


async def _other_activity_expected(session, settings):  # noqa: ANN001, ANN202
    s = await scene(session)
    return s.volunteer.headers, s.activity.id, {"activity_id": s.activity.id + 1}


# The scanner's conditions (self_scan.LOGIN, ACTIVITY, VOLUNTEER), which check-in and check-out share.
SCANNER_CASES = [
    Case("qr_token_other_activity", 400, _other_activity_expected),
    Case("not_authenticated", 401, _expired_login),
    Case("not_authenticated", 401, _disabled_account),
    Case("volunteer_required", 403, _staff_account),
    Case("activity_not_found", 404, _gone_activity),
    Case("activity_cancelled", 409, _activity_in(ActivityStatus.CANCELLED)),
    Case("activity_not_published", 409, _activity_in(ActivityStatus.DRAFT)),
    Case("activity_not_published", 409, _activity_in(ActivityStatus.PENDING_APPROVAL)),
    Case("volunteer_not_active", 403, _suspended),
]

CASES = [
    *SCANNER_CASES,
    Case("checkin_not_open", 409, _timed(starts_in=dt.timedelta(minutes=45))),
    Case("activity_ended", 409, _timed(starts_in=dt.timedelta(hours=-3), duration=dt.timedelta(hours=2))),
    Case("volunteer_other_community", 403, _outsider),
    Case("walk_in_not_allowed", 403, _walk_ins_off),
    Case("activity_full", 409, _full),
    Case("location_required", 422, _geofenced()),
    Case("outside_geofence", 403, _geofenced(**FAR)),
]

CHECK_OUT_CASES = [*SCANNER_CASES, Case("not_checked_in", 409, _timed())]


def _case_id(case: Case) -> str:
    return f"{case.code}:{case.setup.__qualname__.split('.')[0]}"


async def _one_path(case: Case, *, purpose: str, path: str, client, session, settings,  # noqa: ANN001
                    db) -> tuple[int, str]:
    """The answer of one path, one statement (fast_scan) or general; asserts it ran and wrote nothing."""
    sent = {"n": 0}
    one_statement = {tokens.CHECK_IN: "self_check_in", tokens.CHECK_OUT: "self_check_out"}[purpose]
    original = getattr(fast_scan, one_statement)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        sent["n"] += 1
        return await original(*args, **kwargs)

    headers, activity_id, body = await case.setup(session, settings)
    written = (await attendance_count(db), await event_types(db))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_scan, one_statement, counted)
        if path == "general":
            patch.setattr(fast_scan, "available", lambda _session: False)
        response = await client.post(PATHS[purpose], json={"token": code(settings, activity_id, purpose), **body},
                                     headers=headers)
    assert (await attendance_count(db), await event_types(db)) == written, f"{path} wrote on a refusal"
    refused_before_any_query = case.code == "qr_token_other_activity"
    assert sent["n"] == (path != "general" and not refused_before_any_query), f"{path} took the other path"
    return response.status_code, response.json().get("code")


@pytest.mark.postgres_only
@pytest.mark.parametrize("case", CASES, ids=_case_id)
async def test_both_check_in_paths_refuse_alike_and_write_nothing(case: Case, client, session, settings,  # noqa: ANN001
                                                                  db) -> None:
    answers = [await _one_path(case, purpose=tokens.CHECK_IN, path=path, client=client, session=session,
                               settings=settings, db=db) for path in ("fast", "general")]
    assert answers == [(case.status, case.code)] * 2


@pytest.mark.postgres_only
@pytest.mark.parametrize("case", CHECK_OUT_CASES, ids=_case_id)
async def test_both_check_out_paths_refuse_alike_and_write_nothing(case: Case, client, session,  # noqa: ANN001
                                                                   settings, db) -> None:
    answers = [await _one_path(case, purpose=tokens.CHECK_OUT, path=path, client=client, session=session,
                               settings=settings, db=db) for path in ("fast", "general")]
    assert answers == [(case.status, case.code)] * 2


def test_every_refusal_of_an_own_scan_has_a_case() -> None:
    covered = {c.code for c in (*CASES, *CHECK_OUT_CASES)}
    declared = {code for condition in self_scan.SELF_CHECK_IN for code in condition.codes}
    assert declared <= covered, f"conditions without a parity case: {sorted(declared - covered)}"
    raised = set()
    for module in (service, self_scan):
        raised |= set(re.findall(r'code="([a-z_]+)"', Path(module.__file__).read_text(encoding="utf-8")))
    missing = raised - covered - NOT_OWN_SCAN
    assert not missing, f"refusal codes of the scan modules without a parity case: {sorted(missing)}"
    # Every condition of the statement but the first-scan one refuses, or names the full check's refusals.
    assert all(c.refuse or c.codes for c in self_scan.SELF_CHECK_IN if c is not self_scan.FIRST_SCAN)
