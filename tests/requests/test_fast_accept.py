"""The one-statement 接单 (requests/fast_accept.py) on PostgreSQL: it takes the plain case exactly as the general
path would (row, visit time, outbox event, answer), exactly one of many volunteers accepting at once over HTTP wins,
and whatever it does not take goes the general path (a revoked login, a request already taken)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from servicebank.accounts.models import AuthSession, Role
from servicebank.accounts.sessions import hash_token
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent
from servicebank.requests import dispatch, hooks, reminders
from servicebank.requests.models import RequestStatus, ServiceRequest
from tests.factories import make_person
from tests.requests.support import make_street, open_in_hall, principal_of

pytestmark = pytest.mark.postgres_only


def _no_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the general path fail loudly: the request under test must be taken by the one statement."""

    async def general(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the general path ran")

    monkeypatch.setattr(dispatch, "accept", general)


async def _events(session, request_id: int) -> list[tuple[str, dict]]:  # noqa: ANN001
    rows = (await session.execute(select(OutboxEvent.type, OutboxEvent.payload).order_by(OutboxEvent.id))).all()
    return [(t, p) for t, p in rows if p.get("request_id") == request_id and t == "request.accepted"]


async def test_the_one_statement_accepts_as_the_general_path_does(client, db, session, monkeypatch) -> None:  # noqa: ANN001
    street = await make_street(session)
    fast_id = await open_in_hall(client, street)
    general_id = await open_in_hall(client, street)
    async with db.session_scope() as s:  # the general path, for the comparison
        await dispatch.accept(s, principal=await principal_of(db, street.second.user.id), request_id=general_id)
    with monkeypatch.context() as patch:
        _no_general_path(patch)
        r = await client.post(f"/api/requests/{fast_id}/accept", headers=street.second.headers)
    assert r.status_code == 200, r.text
    fast = r.json()
    general = (await client.get(f"/api/requests/{general_id}", headers=street.second.headers)).json()
    differ = {"id", "created_at", "accepted_at", "windows"}  # ordered a moment apart
    assert {k: v for k, v in fast.items() if k not in differ} == {k: v for k, v in general.items() if k not in differ}
    # The assigned volunteer sees the address and phone from now on.
    assert fast["status"] == "accepted" and fast["volunteer_id"] == street.second.volunteer.id
    assert fast["phone"] == "13800001111" and "3号楼" in fast["address"]
    async with db.session_scope() as s:
        rows = {r.id: r for r in (await s.scalars(select(ServiceRequest).where(
            ServiceRequest.id.in_([fast_id, general_id])))).all()}
        for row in rows.values():
            assert row.visit_at == reminders.visit_start(row.time_windows, row.accepted_at) is not None
        assert rows[fast_id].volunteer_id == rows[general_id].volunteer_id
        assert [p for _, p in await _events(s, fast_id)] == [
            {"request_id": fast_id, "user_id": street.second.user.id, "volunteer_id": street.second.volunteer.id}]


async def test_many_accepting_at_once_over_http_exactly_one_wins(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await open_in_hall(client, street)
    people = [await make_person(session, Role.VOLUNTEER, community=street.org.community) for _ in range(12)]
    answers = await asyncio.gather(*(client.post(f"/api/requests/{request_id}/accept", headers=p.headers)
                                     for p in people))
    assert sorted(r.status_code for r in answers) == [200] + [409] * 11
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"request_already_taken"}
    winner = people[[r.status_code for r in answers].index(200)]
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        assert row.status == RequestStatus.ACCEPTED and row.volunteer_id == winner.volunteer.id
        assert len(await _events(s, request_id)) == 1


async def test_a_revoked_or_expired_login_is_refused_and_nothing_changes(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await open_in_hall(client, street)
    for column in ("revoked_at", "expires_at"):
        person = await make_person(session, Role.VOLUNTEER, community=street.org.community)
        async with db.session_scope() as s:
            await s.execute(update(AuthSession).where(AuthSession.token_hash == hash_token(person.token))
                            .values({column: utcnow() - dt.timedelta(seconds=1)}))
        r = await client.post(f"/api/requests/{request_id}/accept", headers=person.headers)
        assert r.status_code == 401, r.text
    async with db.session_scope() as s:
        assert (await s.get(ServiceRequest, request_id)).status == RequestStatus.OPEN
        assert await _events(s, request_id) == []


async def test_the_visit_time_in_sql_is_the_first_window_not_over(client, db, session, monkeypatch) -> None:  # noqa: ANN001
    """fast_accept's SQL for reminders.visit_start, on windows out of order, partly over, with offsets."""
    street = await make_street(session)
    now = utcnow()
    shanghai = dt.timezone(dt.timedelta(hours=8))

    def at(hours: float, tz: dt.tzinfo = dt.UTC) -> str:
        return (now + dt.timedelta(hours=hours)).astimezone(tz).isoformat()

    cases = [
        [[at(5), at(6)], [at(2), at(3)]],  # out of order: the earlier one
        [[at(-3), at(-2)], [at(4), at(5)]],  # the first is over
        [[at(-1), at(1)], [at(3), at(4)]],  # the first has begun and is not over: its start
        [[at(2, shanghai), at(3, shanghai)], [at(1), at(4)]],  # offsets: compared as instants
        [[at(-5), at(-4)]],  # all over: none
    ]
    _no_general_path(monkeypatch)
    for windows in cases:
        request_id = await open_in_hall(client, street)
        async with db.session_scope() as s:
            await s.execute(update(ServiceRequest).where(ServiceRequest.id == request_id).values(time_windows=windows))
        helper = await make_person(session, Role.VOLUNTEER, community=street.org.community)
        assert (await client.post(f"/api/requests/{request_id}/accept", headers=helper.headers)).status_code == 200
        async with db.session_scope() as s:
            row = await s.get(ServiceRequest, request_id)
            assert row.visit_at == reminders.visit_start(windows, row.accepted_at), windows


def test_every_domain_refusing_acceptance_also_answers_in_sql() -> None:
    """Else the one statement would accept what that domain's refusal forbids (fast_accept.available)."""
    import servicebank.registry  # noqa: F401 - every domain's answers

    assert len(hooks.acceptance_refusals) >= 2
    assert len(hooks.acceptance_rules_apply) == len(hooks.acceptance_refusals)
