"""Database: declarative bases, engine and sessions, the request transaction, session_scope()."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from advanced_alchemy.base import BigIntBase, DefaultBase, orm_registry
from sqlalchemy import BigInteger, any_, bindparam, event, exc, make_url
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import CursorResult, Result

from servicebank.config import Settings
from servicebank.kernel.dialect import is_postgres
from servicebank.kernel.errors import is_connection_failure
from servicebank.kernel.replica import REPLICA_CONNECT_TIMEOUT, Replica
from servicebank.kernel.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Tables with a BigInt `id` primary key inherit Base; tables with their own keys inherit PlainBase.
Base = BigIntBase
PlainBase = DefaultBase
metadata = orm_registry.metadata
# advanced-alchemy names unique constraints after their first column only, which collides for
# two multi-column constraints starting with the same column; name them after all their columns.
metadata.naming_convention = {
    **cast("dict[str, Any]", metadata.naming_convention),
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}

Publisher = Callable[[Sequence[int]], None]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Deferred SQLite transactions that later write fail at once with SQLITE_BUSY when another
    # writer got there first; we begin every transaction IMMEDIATE instead (see _sqlite_begin),
    # so turn off the driver's own transaction handling and wait for locks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _discard_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # A pooled connection whose socket the driver already saw close (PostgreSQL restarted, an
    # administrator terminated the backend) is replaced at checkout, with no round trip. A ping per
    # checkout (pool_pre_ping) costs the asyncpg dialect BEGIN, a query and ROLLBACK: three round
    # trips on every request, more than the one statement a check-in needs.
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise exc.DisconnectionError("the pooled connection was closed by the server")


def _unique_statement_name() -> str:
    return f"__sb_{uuid.uuid4().hex}__"


def make_engine(settings: Settings, *, connect_timeout: float | None = None) -> AsyncEngine:
    """An async engine for the configured database, tuned for its dialect; `connect_timeout` (seconds) replaces
    asyncpg's 60 s wait for a new connection (PostgreSQL only)."""
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        sync_engine: Engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_pragmas)
        event.listen(sync_engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if settings.db_pgbouncer:
        # PgBouncer hands each transaction whichever server connection is free: a statement prepared under
        # asyncpg's numbered names in one transaction is missing (or another client's) in the next. Unique
        # names, and no cache of prepared statements per connection, on SQLAlchemy's side and on asyncpg's.
        url = make_url(url).update_query_dict({"prepared_statement_cache_size": "0"}).render_as_string(False)
        connect_args = {"statement_cache_size": 0, "prepared_statement_name_func": _unique_statement_name}
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    engine = create_async_engine(
        url,
        connect_args=connect_args,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # Only where something between us and PostgreSQL drops idle connections silently (a NAT, a
        # firewall): the driver then cannot know, and a ping is the only way to find out.
        pool_pre_ping=settings.db_pre_ping,
        pool_recycle=1800,
    )
    event.listen(engine.sync_engine, "checkout", _discard_closed_connection)
    return engine


def among(session: AsyncSession | Session, column: Any, ids: Sequence[int], name: str = "ids") -> Any:
    """`column IN ids` for a list of integer ids that changes with every call.

    On PostgreSQL the ids travel as one array parameter (`= ANY(:ids)`): an IN list is rendered again,
    parameter by parameter, on every call, which costs about 1 ms of CPU per 100 ids.
    """
    if is_postgres(session):
        return column == any_(bindparam(name, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(list(ids))


async def end_failed(session: AsyncSession, error: BaseException) -> None:
    """Roll back after `error`; when the connection itself failed, invalidate it instead of pooling it again.

    A statement sent straight to asyncpg (the one-statement check-in) fails outside SQLAlchemy, which
    then cannot know the connection is broken: without this it would go back to the pool, and the
    next request would find it mid-operation ("another operation is in progress").
    """
    if is_connection_failure(error):
        await session.invalidate()
    else:
        await session.rollback()


class Database:
    """One engine and its session factory; workers and the API each own one."""

    def __init__(self, settings: Settings, *, publisher: Publisher | None = None) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.publisher = publisher
        # Every session is a unit of work: its commit runs the after-commit steps registered on it.
        self.sessionmaker = async_sessionmaker(self.engine, class_=UnitOfWork, expire_on_commit=False,
                                               info={"db": self})
        # Reads that may be a moment old go to a streaming replica when one is configured (kernel/replica.py).
        self.replica: Replica | None = None
        if settings.database_replica_url:
            replica_engine = make_engine(settings.replace(database_url=settings.database_replica_url),
                                         connect_timeout=REPLICA_CONNECT_TIMEOUT)
            self.replica = Replica(self, settings, replica_engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def read_connections(self) -> Any:
        """asyncpg connections of their own for the reads kernel/direct.py sends outside any transaction
        (PostgreSQL through asyncpg only), one set per event loop. SQLAlchemy's session costs about 0.4 ms of
        CPU to check a connection out, begin, commit and check it in again, seven times what asyncpg spends on
        the read itself (bench/reads.md); the login read on every request paid that for nothing."""
        from servicebank.kernel.direct import ReadConnections

        key = id(asyncio.get_running_loop())
        sets = self.__dict__.setdefault("_read_connections", {})
        if key not in sets:
            _args, params = self.engine.dialect.create_connect_args(self.engine.url)
            for sqlalchemy_only in ("prepared_statement_cache_size", "prepared_statement_name_func",
                                    "async_creator_fn"):
                params.pop(sqlalchemy_only, None)
            if self.settings.db_pgbouncer:
                params["statement_cache_size"] = 0  # unnamed statements only (see make_engine)
            sets[key] = ReadConnections(dict(params), size=self.settings.db_pool_size)
        return sets[key]

    @contextlib.asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException as error:
                await end_failed(session, error)
                raise

    async def dispose(self) -> None:
        for connections in self.__dict__.pop("_read_connections", {}).values():
            connections.close()
        kept_logins = self.__dict__.pop("_principal_cache", None)  # accounts/principal_cache.py: its poller
        if kept_logins is not None:
            kept_logins.close()
        if self.replica is not None:
            await self.replica.dispose()
        await self.engine.dispose()


def session_timezone(session: AsyncSession | Session) -> str:
    """The configured time zone of the Database the session belongs to (the default zone for a bare session)."""
    db = session.info.get("db")
    return db.settings.timezone if db is not None else Settings.timezone


def local_date(session: AsyncSession | Session, at: dt.datetime) -> dt.date:
    """The calendar day `at` falls on in the configured time zone, never the machine's own zone."""
    return at.astimezone(ZoneInfo(session_timezone(session))).date()


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (`Result` is typed without it; the cursor result has it)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def table_of(model: Any) -> Table:
    """A mapped class's Table (typed as the Table it is, for insert()/update() on its columns)."""
    return cast("Table", model.__table__)
