"""The request indexes that serve one phase are partial (models.py): an accept writes fewer index entries. They only
help if PostgreSQL can prove from the query alone, before it sees any parameter, that the query's states are among
the index's. These tests plan each list and periodic query as a generic plan (what a prepared statement reused by
asyncpg gets) and require the partial index in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel import direct
from servicebank.requests import repository
from servicebank.requests.models import RequestStatus, ServiceRequest

pytestmark = pytest.mark.postgres_only


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(value)


async def _generic_plan(session: AsyncSession, statement: Any, values: dict[str, Any],  # noqa: ANN401
                        without: tuple[str, ...] = ()) -> str:
    """PostgreSQL's generic plan of `statement`, sequential scans priced out so that only a usable index is left.

    `without` names indexes dropped for the probe, inside a savepoint that is rolled back: on an empty table two
    usable indexes cost the same, and which one the planner picks then is a coin toss, not the property tested."""
    text, carried, _compiled = direct.named(statement)
    sql, names = direct.numbered(text)
    given = {**carried, **values}
    connection = direct.driver(await (await session.connection()).get_raw_connection())
    await connection.execute("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
    savepoint = connection.transaction()
    await savepoint.start()
    try:
        for index in without:
            await connection.execute(f"DROP INDEX {index}")
        await connection.execute(f"PREPARE probe AS {sql}")
        try:
            rows = await connection.fetch(f"EXPLAIN EXECUTE probe({', '.join(_literal(given[n]) for n in names)})")
        finally:
            await connection.execute("DEALLOCATE probe")  # a prepared statement outlives the savepoint
    finally:
        await savepoint.rollback()
        await connection.execute("RESET plan_cache_mode; RESET enable_seqscan")
    return "\n".join(row[0] for row in rows)


async def test_the_hall_and_the_queue_read_the_partial_queue_index(session) -> None:  # noqa: ANN001
    hall = await _generic_plan(session, repository._hall_json(50, 0),
                               {"community_id": 1, "volunteer_id": 1, "works_in": False})
    assert "ix_service_request_queue" in hall, hall
    queue = await _generic_plan(session, repository._in_states_json(tuple(sorted(RequestStatus.WAITING))),
                                {"community_id": 1, "depth": 50, "limit": 50, "offset": 0})
    assert queue.count("ix_service_request_queue") == 3, queue


async def test_the_periodic_queries_read_their_partial_indexes(session) -> None:  # noqa: ANN001
    from sqlalchemy import select

    R = ServiceRequest
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    ended = select(R.id).where(repository.in_state(*RequestStatus.WAITING), R.window_end < now)
    # The queue index holds the same states; without it the window index must still serve, on its own predicate.
    plan = await _generic_plan(session, ended, {}, without=("ix_service_request_queue",))
    assert "ix_service_request_window" in plan, plan
    visits = select(R.id).where(repository.in_state(RequestStatus.ACCEPTED), R.visit_at > now)
    plan = await _generic_plan(session, visits, {})
    assert "ix_service_request_visit" in plan, plan


def test_an_unknown_state_is_refused_before_it_reaches_the_statement() -> None:
    with pytest.raises(ValueError, match="unknown request states"):
        repository.in_state("open'; DROP TABLE service_request; --")
