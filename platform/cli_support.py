"""Helpers for `servicebank` commands: run async code with a database, print for people or --json,
and show progress for long jobs (a bar on a terminal, JSON lines on stderr with --json)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from servicebank.config import get_settings

if TYPE_CHECKING:  # the database layer (SQLAlchemy, advanced-alchemy) loads only when a command runs
    from servicebank.kernel.db import Database

T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def run_with_db(work: Callable[[Database], Awaitable[T]], *, publish: bool = True) -> T:
    """Run `work(db)` on a fresh database connection; events recorded are sent after commit."""

    from servicebank.kernel.db import Database

    async def main() -> T:
        publisher = None
        if publish:
            from servicebank.workers.runtime import publish_event_ids

            publisher = publish_event_ids
        db = Database(get_settings(), publisher=publisher)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def emit(data: Any, *, as_json: bool, human: Callable[[Any], str] | str | None = None) -> None:
    """Print data as JSON, or as the human text given."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))
    elif callable(human):
        click.echo(human(data))
    elif human is not None:
        click.echo(human)
    else:
        click.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))


def fail(message: str, *, code: str, as_json: bool, exit_code: int = 1) -> None:
    """Print an error with its stable code and exit non-zero."""
    if as_json:
        click.echo(json.dumps({"error": code, "message": message}, ensure_ascii=False), err=True)
    else:
        click.echo(f"error [{code}]: {message}", err=True)
    sys.exit(exit_code)


class Progress:
    """Progress of a long job: call advance(n); prints a bar or JSON lines on stderr."""

    def __init__(self, label: str, total: int | None, *, as_json: bool) -> None:
        self.label, self.total, self.as_json = label, total, as_json
        self.done = 0
        self._last = 0.0
        self._started = time.monotonic()
        self._tty = sys.stderr.isatty()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= 0.5 or (self.total is not None and self.done >= self.total):
            self._last = now
            self._print()

    def _print(self, final: bool = False) -> None:
        elapsed = time.monotonic() - self._started
        if self.as_json:
            sys.stderr.write(json.dumps({"progress": self.label, "done": self.done, "total": self.total,
                                         "elapsed_s": round(elapsed, 1)}) + "\n")
            return
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 30)
            text = f"{self.label} [{bar:<30}] {self.done}/{self.total} ({share:.0%}) {elapsed:.1f}s"
        else:
            text = f"{self.label}: {self.done} {elapsed:.1f}s"
        sys.stderr.write(("\r" if self._tty and not final else "") + text + ("\n" if final or not self._tty else ""))
        sys.stderr.flush()

    def finish(self) -> None:
        self._print(final=True)


@contextmanager
def progress(label: str, total: int | None, *, as_json: bool) -> Iterator[Progress]:
    bar = Progress(label, total, as_json=as_json)
    try:
        yield bar
    finally:
        bar.finish()
