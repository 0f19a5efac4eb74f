"""Logins resolved once per process and kept, forgotten the moment anything they were built from changes.

Every logged-in request starts by turning its token into a Principal. Read from PostgreSQL each time, that
read cost a per-person read (own rank, the account page) more CPU than the rest of its work (bench/reads.md).
So each API process keeps the Principal of a token it resolved, and serves it again only while nothing it was
built from can have changed:

- Whoever changes a login, its user, grants, volunteer (community, status, name), a community or a team
  (a logout, a password change, a role removed, an account disabled, a volunteer suspended...) marks its
  session; after that transaction commits, `changed_after_commit` forgets every Principal kept in this
  process at once (the next request of that caller reads the database again) and increments a generation
  number in Redis (GENERATION_KEY).
- Every process polls that number every POLL_SECONDS and forgets everything it keeps when it moved: another
  process's logout takes effect there within POLL_SECONDS.
- A process that could not read the number for TRUST_SECONDS (Redis unreachable, its poll stopped) serves
  nothing from the cache until it can again; without Redis the cache is never used.
- A Principal is kept at most `principal_cache_seconds` (the setting; 0 switches the cache off) and never
  past its session's expiry, which bounds even a generation bump that Redis refused after a commit.

A Principal read while a change commits is kept under the generation seen before the read, which that
change moves: such an entry is never served. The changes are caught from SQLAlchemy's events (flushed
objects, UPDATE/DELETE/INSERT statements and text SQL naming the tables), so no route or service has to
remember to invalidate anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
import weakref
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from servicebank.accounts.principal import Principal
from servicebank.kernel import redis_clients
from servicebank.kernel.unit_of_work import AfterCommit, unit_of_work_of

log = logging.getLogger(__name__)

GENERATION_KEY = "auth:principal-generation"
POLL_SECONDS = 0.2
TRUST_SECONDS = 1.0
MAX_ENTRIES = 20_000
# What a Principal is built from (accounts/sessions.py): a change to any of these rows may change a caller's rights.
WATCHED_TABLES = frozenset({"app_user", "auth_session", "role_grant", "volunteer", "community", "team"})
# A volunteer row changes often for reasons no Principal depends on; these columns it does depend on.
VOLUNTEER_COLUMNS = frozenset({"community_id", "status", "real_name"})
_CHANGED = "principals_changed"
_WRITE_SQL = re.compile(r"^\s*(?:with\b.*?\)\s*)?(update|delete\s+from|insert\s+into)\s+\"?(\w+)", re.I | re.S)


# Every cache of this process, for a change made through a session that is not a unit of work.
_all_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()


class PrincipalCache:
    """One process's kept Principals for one Database, and the generation they were kept under."""

    def __init__(self, *, redis_url: str | None, seconds: float) -> None:
        self.redis_url = redis_url
        self.seconds = seconds
        self.generation = 0  # moves whenever anything kept may be stale; entries of another generation are dead
        self.redis_generation: bytes | None = None
        self.synced_at = float("-inf")
        self._entries: dict[str, tuple[Principal, int, float, dt.datetime]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._poller_loop: Any = None

    @property
    def enabled(self) -> bool:
        return self.seconds > 0 and bool(self.redis_url)

    def get(self, token_hash: str) -> Principal | None:
        """The kept Principal of a token, if it may still be served."""
        if not self.enabled:
            return None
        self._ensure_poller()
        found = self._entries.get(token_hash)
        if found is None or time.monotonic() - self.synced_at > TRUST_SECONDS:
            return None
        principal, generation, kept_until, expires_at = found
        if generation != self.generation or time.monotonic() > kept_until or expires_at <= dt.datetime.now(dt.UTC):
            self._entries.pop(token_hash, None)
            return None
        return principal

    def put(self, token_hash: str, principal: Principal, *, generation: int, expires_at: dt.datetime) -> None:
        """Keep a Principal read from the database; `generation` is the one seen before that read began."""
        if not self.enabled or generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[token_hash] = (principal, generation, time.monotonic() + self.seconds, expires_at)

    def forget_all(self) -> None:
        self.generation += 1
        self._entries.clear()

    def close(self) -> None:
        """Stop polling (the Database is disposed)."""
        if self._poller is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is closed already: so is the task
                self._poller.cancel()
            self._poller = None
        self.synced_at = float("-inf")

    def _ensure_poller(self) -> None:
        loop = asyncio.get_running_loop()
        if self._poller is not None and self._poller_loop is loop and not self._poller.done():
            return
        self.synced_at = float("-inf")  # nothing is trusted until this loop's poller has read the generation
        self.forget_all()
        self._poller_loop = loop
        self._poller = loop.create_task(self._poll(), name="principal-cache-poll")

    async def _poll(self) -> None:
        client = redis_clients.loop_client(self.redis_url or "")
        while True:
            try:
                self.observe(await client.get(GENERATION_KEY))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis unreachable: after TRUST_SECONDS nothing is served from here
                log.debug("principal cache: cannot read the generation", exc_info=True)
            await asyncio.sleep(POLL_SECONDS)

    def observe(self, value: bytes | None) -> None:
        """The generation Redis holds now (None: never bumped); forget everything when it moved."""
        if value != self.redis_generation:
            self.redis_generation = value
            self.forget_all()
        self.synced_at = time.monotonic()

    async def bump(self) -> None:
        """After a commit that may change a Principal: forget here at once, then tell the other processes."""
        self.forget_all()
        if not self.redis_url:
            return
        try:
            self.redis_generation = str(await redis_clients.loop_client(self.redis_url).incr(GENERATION_KEY)).encode()
        except Exception:  # noqa: BLE001 - the commit stands; stop trusting this process's cache until a poll
            self.synced_at = float("-inf")
            log.warning("principal cache: Redis refused the generation bump; other processes keep logins at "
                        "most principal_cache_seconds", exc_info=True)


def cache_for(db: Any) -> PrincipalCache | None:
    """The Database's cache (None when there is no Database behind the session)."""
    if db is None:
        return None
    found = db.__dict__.get("_principal_cache")
    if found is None:
        settings = db.settings
        found = db.__dict__["_principal_cache"] = PrincipalCache(
            redis_url=settings.redis_url, seconds=getattr(settings, "principal_cache_seconds", 0.0))
        _all_caches.add(found)
    return found


class PrincipalsChanged(AfterCommit):
    """After a commit that touched what Principals are built from: forget them here and everywhere."""

    async def run(self) -> None:
        cache = cache_for(self.session.info.get("db"))
        if cache is not None:
            await cache.bump()


def _mark(session: Session) -> None:
    session.info[_CHANGED] = True
    uow = unit_of_work_of(session)
    if uow is not None:
        uow.step(PrincipalsChanged).note(True)  # after the commit: tell the other processes (Redis)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # This process forgets at the commit itself, whichever way the transaction was committed and before any
    # other after-commit work: no request of this process is answered from a Principal the commit changed.
    if not session.info.pop(_CHANGED, False):
        return
    cache = cache_for(session.info.get("db"))
    for each in [cache] if cache is not None else list(_all_caches):
        each.forget_all()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _touches_principal(obj: Any, deleted: bool) -> bool:
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table not in WATCHED_TABLES:
        return False
    if deleted or table != "volunteer":
        return True
    state = inspect(obj)
    return any(state.attrs[c].history.has_changes() for c in VOLUNTEER_COLUMNS if c in state.attrs)


@event.listens_for(Session, "before_flush")
def _flushed(session: Session, _context: Any, _instances: Any) -> None:
    # New logins (a login) and new volunteers change nobody's existing Principal; edits and deletions may.
    if any(_touches_principal(o, False) for o in session.dirty if session.is_modified(o)) or \
            any(_touches_principal(o, True) for o in session.deleted) or \
            any(getattr(getattr(o, "__table__", None), "name", None) in {"role_grant", "community"}
                for o in session.new):
        _mark(session)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    statement = state.statement
    if state.is_select:
        return
    table = getattr(getattr(statement, "table", None), "name", None)
    if table is None and hasattr(statement, "text"):
        match = _WRITE_SQL.match(statement.text)
        table = match.group(2).lower() if match else None
    if table in WATCHED_TABLES and not (table == "auth_session" and state.is_insert):
        _mark(state.session)


