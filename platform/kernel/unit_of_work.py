"""The unit of work: a session whose commit also does what had to wait for that commit.

Some effects may only happen once a transaction is durable: sending the ids of the events it wrote
to the broker, pushing the leaderboard totals it changed to Redis. The code that causes such an
effect registers it on the unit of work (`unit_of_work(session).step(Kind).note(...)`); the code
that owns the transaction (the request's session, `Database.session_scope()`, the outbox runner,
the CLI) commits it, and `commit()` runs every registered step: `prepare` inside the transaction
just before the commit (it may still read the database), `run` after the commit succeeded. A
rollback drops the steps, and a savepoint that rolls back forgets what was noted inside it.
"""

from __future__ import annotations

import logging
import weakref
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_OWNER = "unit_of_work"


class AfterCommit:
    """One kind of after-commit work of a transaction: the items noted, then prepared and run once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.items: list[Any] = []

    def note(self, *items: Any) -> None:
        """Add items for this step (forgotten if the savepoint or transaction they belong to rolls back)."""
        self.items.extend(items)

    async def prepare(self) -> None:
        """Inside the transaction, just before the commit: read what the step needs (may raise: no commit)."""

    async def run(self) -> None:
        """After the commit succeeded; a failure is logged, the commit stands."""


Step = TypeVar("Step", bound=AfterCommit)


class UnitOfWork(AsyncSession):
    """An AsyncSession that owns the after-commit steps registered during its transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._steps: dict[type[AfterCommit], AfterCommit] = {}
        # SQLAlchemy's events see the sync session only; this finds the unit of work from there (unit_of_work_of).
        self.sync_session.info[_OWNER] = weakref.ref(self)

    def step(self, kind: type[Step]) -> Step:
        """This transaction's step of `kind`, registered on first use."""
        found = self._steps.get(kind)
        if found is None:
            found = self._steps[kind] = kind(self)
        return found  # type: ignore[return-value]  # the dict maps each kind to an instance of itself

    def begin_nested(self) -> _Savepoint:  # type: ignore[override]  # used as `async with` only
        """A savepoint; if it rolls back, the steps forget what was noted inside it."""
        return _Savepoint(self, super().begin_nested())

    async def commit(self) -> None:
        """Prepare the registered steps, commit, then run them."""
        await self.flush()  # steps that SQLAlchemy's events note for pending changes are noted before they are taken
        steps = list(self._steps.values())
        for step in steps:
            await step.prepare()
        self._steps.clear()
        await super().commit()
        # Noted by such an event while the commit flushed what a `prepare` changed: run as well (nothing to prepare).
        steps += self._steps.values()
        self._steps.clear()
        for step in steps:
            try:
                await step.run()
            except Exception:  # noqa: BLE001 - the commit stands; each step has its own safety net
                log.warning("after-commit step %s failed", type(step).__name__, exc_info=True)

    async def rollback(self) -> None:
        self._steps.clear()
        await super().rollback()

    async def invalidate(self) -> None:
        self._steps.clear()
        await super().invalidate()

    async def close(self) -> None:
        self._steps.clear()
        sync = self.sync_session
        if not sync.in_transaction() and not sync.identity_map and not sync.new and not sync.deleted:
            # Never used: a request answered from what the process keeps (a login, a board in Redis). There is
            # nothing to release, and SQLAlchemy's close would still cross into its greenlet to find that out
            # (a tenth of own rank's CPU, bench/reads_notes.md).
            return
        await super().close()

    def _marks(self) -> dict[type[AfterCommit], int]:
        return {kind: len(step.items) for kind, step in self._steps.items()}

    def _forget_since(self, marks: dict[type[AfterCommit], int]) -> None:
        for kind in list(self._steps):
            if kind in marks:
                del self._steps[kind].items[marks[kind]:]
            else:
                del self._steps[kind]


class _Savepoint:
    """`async with session.begin_nested():` that also undoes the notes made inside it on rollback."""

    def __init__(self, uow: UnitOfWork, inner: AsyncSessionTransaction) -> None:
        self.uow = uow
        self.inner = inner
        self.marks: dict[type[AfterCommit], int] = {}

    async def __aenter__(self) -> AsyncSessionTransaction:
        self.marks = self.uow._marks()  # noqa: SLF001 - the savepoint is part of the unit of work
        return await self.inner.__aenter__()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await self.inner.__aexit__(kind, error, tb)
        finally:
            if error is not None:
                self.uow._forget_since(self.marks)  # noqa: SLF001


def unit_of_work_of(sync_session: Session) -> UnitOfWork | None:
    """The unit of work around a sync session (as SQLAlchemy's events give it), if it is one of ours."""
    owner = sync_session.info.get(_OWNER)
    return owner() if owner is not None else None


def unit_of_work(session: AsyncSession) -> UnitOfWork:
    """The unit of work of a session opened by `Database` (whose commit runs the registered steps)."""
    if not isinstance(session, UnitOfWork):
        raise TypeError("after-commit steps need a session from Database.sessionmaker (a UnitOfWork)")
    return session
