"""Core statements sent straight to asyncpg, past SQLAlchemy's statement and result handling.

For the reads and writes every request or scan makes (the login, a scan, a board's names): SQLAlchemy's
per-statement work (compiling or looking up the cache key, wrapping parameters and rows) and, for a read
that opens the request's transaction, the BEGIN and COMMIT around it, cost the API more CPU than the
query costs PostgreSQL (bench/reads.md, bench/checkin.md). A statement here is built once (a module-level
function under lru_cache, with `bindparam`s) and compiled once to PostgreSQL text with numbered parameters.
`fetch_mapping` runs it on the session's connection: inside the session's transaction when one is open, else
on its own (autocommit), which is enough for a single-statement write. `read` takes a read outside any
transaction to asyncpg's own pool, past the session's checkout, BEGIN and COMMIT as well.

On any other database or driver (SQLite, the embedded mode) the same statement goes through the session.
"""

from __future__ import annotations

import asyncio
import json
import re
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import ARRAY

from servicebank.kernel.dialect import is_asyncpg


def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """SQL with `:name` parameters in asyncpg's numbered form, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    # ":name" but not the "::type" of a cast.
    return re.sub(r"(?<!:):([a-z_][a-z_0-9]*)", number, sql), tuple(names)


def named(statement: Any) -> tuple[str, dict[str, Any], Any]:
    """A statement as PostgreSQL text with `:name` parameters (to embed in a larger statement before numbering),
    the values it carries itself (a literal compared in it), and the compiled form."""
    done = statement.compile(dialect=postgresql.dialect(paramstyle="named"))
    return done.string, {name: value for name, value in done.params.items() if not done.binds[name].required}, done


@lru_cache(maxsize=64)
def compiled(statement: Any) -> tuple[str, tuple[str, ...], dict[str, Any], frozenset[str]]:
    """A statement built once (keyed by identity) as PostgreSQL text with numbered parameters: the text, the
    parameter names in order, the values the statement carries itself (a literal compared in it), and the
    names of JSON parameters (sent as JSON text)."""
    text, carried, done = named(statement)
    sql, names = numbered(text)
    as_json = frozenset(name for name in names if isinstance(done.binds[name].type, sqltypes.JSON))
    return sql, names, carried, as_json


def _arguments(statement: Any, values: dict[str, Any]) -> tuple[str, list[Any]]:
    sql, names, carried, as_json = compiled(statement)
    given = [values[n] if n in values else carried[n] for n in names]
    return sql, [json.dumps(v) if n in as_json else v for n, v in zip(names, given, strict=True)]


def driver(connection: Any) -> Any:  # noqa: ANN401
    """The asyncpg connection under SQLAlchemy's adapter (the caller checked the driver)."""
    found = connection.driver_connection
    assert found is not None, "a checked-out connection has a driver connection"
    return found


def among_ids(column: Any, name: str = "ids", *, array: bool, item: Any = BigInteger) -> Any:
    """`column IN :name` for a statement built once and given a list of integer ids (or of `item`s) at each call:
    one array parameter (`= ANY`) when sent straight to asyncpg (`array`, see `sends_direct`), an expanding IN
    otherwise."""
    if array:
        return column == any_(bindparam(name, type_=ARRAY(item)))
    return column.in_(bindparam(name, expanding=True))


def sends_direct(session: AsyncSession) -> bool:
    """Whether `read` and `fetch_mapping` send straight to asyncpg here (else through the session)."""
    return is_asyncpg(session)


def parameter(value: Any) -> Any:
    """A value for a statement written as text (not built with Core): lists and dicts are JSON there.
    Sent past SQLAlchemy, its asyncpg JSON codec takes the JSON text."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


async def read(session: AsyncSession, statement: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every row of the read `statement` with the named `values`, as tuples in the statement's column order.

    Inside the session's transaction when it has one open (a write before it is seen); otherwise on a
    connection of asyncpg's own pool (Database.read_pool), so the session never checks a connection out,
    begins or commits for it."""
    if not is_asyncpg(session):
        return [tuple(row) for row in (await session.execute(statement, values)).all()]
    sql, arguments = _arguments(statement, values)
    db = session.info.get("db")
    if session.in_transaction() or db is None:
        connection = driver(await (await session.connection()).get_raw_connection())
        return [tuple(record) for record in await connection.fetch(sql, *arguments)]
    connections = db.read_connections()
    connection = await connections.acquire()
    try:
        rows = await connection.fetch(sql, *arguments)
    except BaseException:
        connections.discard(connection)  # cancelled mid-read or failed: never handed out again
        raise
    connections.release(connection)
    return [tuple(record) for record in rows]


class ReadConnections:
    """Idle asyncpg connections for `read`, at most `size` open. A plain list: asyncpg's Pool spent about
    0.1 ms of CPU per read on its tasks and the reset query it sends at every release, which reads that
    change no session state (no SET, LISTEN, lock or open transaction) do not need."""

    def __init__(self, connect: dict[str, Any], *, size: int) -> None:
        self._connect = connect
        self._idle: list[Any] = []
        self._slots = asyncio.Semaphore(max(size, 1))

    async def acquire(self) -> Any:
        await self._slots.acquire()
        try:
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():  # PostgreSQL restarted or ended the backend meanwhile
                    return connection
            import asyncpg

            return await asyncpg.connect(**self._connect)
        except BaseException:
            self._slots.release()
            raise

    def release(self, connection: Any) -> None:
        if connection.is_closed() or connection.is_in_transaction():
            connection.terminate()
        else:
            self._idle.append(connection)
        self._slots.release()

    def discard(self, connection: Any) -> None:
        connection.terminate()
        self._slots.release()

    def close(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            try:
                connection.terminate()
            except Exception:  # noqa: BLE001 - its event loop is gone (a CLI's asyncio.run ended): the socket is too
                pass


async def fetch_mapping(session: AsyncSession, statement: Any, values: dict[str, Any]) -> dict[str, Any] | None:
    """The first row as {column label: value}, or None."""
    if not is_asyncpg(session):
        row = (await session.execute(statement, values)).first()
        return None if row is None else dict(row._mapping)
    sql, arguments = _arguments(statement, values)
    connection = driver(await (await session.connection()).get_raw_connection())
    record = await connection.fetchrow(sql, *arguments)
    return None if record is None else dict(record.items())
