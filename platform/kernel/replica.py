"""Reads that may be a moment old, sent to a PostgreSQL streaming replica when one is configured.

The 台账, the dashboard, the exports and the public pages read a lot and write nothing; on a replica they
leave the primary its CPU for check-ins and postings. A read goes to the primary instead when:
- no replica is configured (SERVICEBANK_DATABASE_REPLICA_URL unset: SQLite, or one server);
- the replica could not be reached: it is left alone for `replica_retry_seconds`, then tried again;
- the replica lags more than `replica_max_lag_seconds` behind (measured at most once a second per process);
- the person asking wrote something a moment ago (the `sb_primary` cookie, set by web/render on every
  unsafe request while a replica is configured): they must see what they just did.

Either way the handler gets an ordinary session. On the replica it is rolled back at the end (PostgreSQL refuses
writes there anyway); on the primary it is the request's own session.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicebank.config import Settings
from servicebank.kernel.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from servicebank.kernel.db import Database

log = logging.getLogger(__name__)

# Replay lag in seconds: 0 while the replica has replayed all it received (an idle primary sends
# nothing, and the last replayed transaction's age would then look like lag), else the age of the last
# transaction it replayed. Not a replica at all (a misconfigured URL pointing at a primary): 0.
LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0) END")
LAG_CHECK_EVERY = 1.0
# How long a new connection to the replica may take before it counts as unreachable (seconds). A replica host
# that hangs, or a network that drops its packets, completes no handshake and sends no refusal: with asyncpg's
# default of 60 s every read meant for the replica waited that long, again after each retry period. On a LAN a
# connection takes milliseconds; the primary, which must not be given up on so easily, keeps the default.
REPLICA_CONNECT_TIMEOUT = 3.0
STICKY_COOKIE = "sb_primary"


class Replica:
    """The replica's engine and what this process last learned of it (reachable, lag)."""

    def __init__(self, primary: Database, settings: Settings, engine: AsyncEngine) -> None:
        self.primary = primary
        self.max_lag = settings.replica_max_lag_seconds
        self.retry_after = settings.replica_retry_seconds
        self.engine = engine
        # info["db"] is the primary: the time zone and settings are the install's; reads sent straight to
        # asyncpg (kernel/direct.py) run inside this session's transaction, so on the replica's connection.
        self.sessionmaker = async_sessionmaker(self.engine, class_=UnitOfWork, expire_on_commit=False,
                                               info={"db": primary, "replica": True})
        self._down_until = 0.0
        self._lag_checked_at = -LAG_CHECK_EVERY
        self._lag = 0.0
        self.reads = {"replica": 0, "primary": 0}

    @property
    def lag_seconds(self) -> float:
        """The replay lag last measured."""
        return self._lag

    @property
    def reachable(self) -> bool:
        """Not left alone after a failed connection (as far as this process knows)."""
        return time.monotonic() >= self._down_until

    async def _ready(self, session: AsyncSession) -> bool:
        """Open the replica session's transaction and, once a second, measure the lag; False (and left alone
        for a while) if the replica cannot be reached."""
        try:
            connection = await session.connection()
            now = time.monotonic()
            if now - self._lag_checked_at >= LAG_CHECK_EVERY:
                self._lag_checked_at = now
                self._lag = float((await connection.execute(LAG_SQL)).scalar_one() or 0)
        except (OSError, DBAPIError, InterfaceError, OperationalError) as error:
            self._down_until = time.monotonic() + self.retry_after
            log.warning("read replica unreachable, reading from the primary for %.0f s: %s", self.retry_after,
                        str(error).splitlines()[0] if str(error) else type(error).__name__)
            return False
        if self._lag > self.max_lag:
            log.info("read replica %.1f s behind (limit %.1f s): reading from the primary", self._lag, self.max_lag)
            return False
        return True

    async def open(self) -> AsyncSession | None:
        """A session on the replica ready to read, or None (read from the primary)."""
        if not self.reachable:
            return None
        if self._lag > self.max_lag and time.monotonic() - self._lag_checked_at < LAG_CHECK_EVERY:
            return None
        session = self.sessionmaker()
        if await self._ready(session):
            return session
        await _discard(session)
        return None

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _discard(session: AsyncSession) -> None:
    try:
        await session.invalidate()
    except Exception:  # noqa: BLE001 - the connection is already gone; nothing else to release
        pass
    await session.close()


@contextlib.asynccontextmanager
async def read_session(db: Database, *, wants_primary: bool = False,
                       primary_session: AsyncSession | None = None) -> AsyncIterator[AsyncSession]:
    """A session for reads that may be a moment old: on the replica when it is usable (rolled back at the end),
    else `primary_session` (the request's own: SQLite has one connection, which a second session would wait
    for) or a new session on the primary, rolled back at the end."""
    replica: Replica | None = getattr(db, "replica", None)
    session = await replica.open() if replica is not None and not wants_primary else None
    if replica is not None:
        replica.reads["replica" if session is not None else "primary"] += 1
    if session is None and primary_session is not None:
        yield primary_session
        return
    if session is None:
        session = db.sessionmaker()
    try:
        yield session
    finally:
        try:
            await session.rollback()
        finally:
            await session.close()


def describe(db: Database) -> dict[str, Any]:
    """What /health and `servicebank doctor`-style reports show of the replica."""
    replica: Replica | None = getattr(db, "replica", None)
    if replica is None:
        return {"configured": False}
    return {"configured": True, "lag_seconds": round(replica.lag_seconds, 3),
            "reachable": replica.reachable, "reads": dict(replica.reads)}
