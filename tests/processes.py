"""Real `servicebank` processes for tests: production settings, their process tree read from /proc,
and a wait until every process of a tree is gone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from servicebank.config import Settings
from servicebank.kernel.db import Database, metadata

ROOT = Path(__file__).resolve().parents[1]
SECRET = "process-test-secret-" + "y" * 40
DATA_KEY = "process-test-data-key-" + "z" * 40  # production needs its own ID-number key


def production_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production install (as in docs/deploy.md), on the test servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_MODE="production", SERVICEBANK_DATABASE_URL=database_url,
               SERVICEBANK_REDIS_URL=redis_url, SERVICEBANK_SECRET_KEY=SECRET, SERVICEBANK_DATA_KEY=DATA_KEY,
               PYTHONPATH=str(ROOT), **extra)
    return env


def fresh_database(postgres_server, name: str) -> str:  # noqa: ANN001
    """A database of its own with the full schema (a test may break it on purpose)."""
    import servicebank.registry  # noqa: F401  (every model)

    url = postgres_server.create_database(name)

    async def build() -> None:
        db = Database(Settings(database_url=url))
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await db.dispose()

    asyncio.run(build())
    return url


def start(args: list[str], env: dict[str, str], log_dir: Path, name: str) -> subprocess.Popen[bytes]:
    """`servicebank <args>` with stdout and stderr in files under log_dir (read them with `output`)."""
    out = open(log_dir / f"{name}.out", "wb")  # noqa: SIM115 - the child keeps writing after we return
    err = open(log_dir / f"{name}.err", "wb")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "servicebank.cli", *args], cwd=log_dir, env=env,
                            stdout=out, stderr=err)


def output(log_dir: Path, name: str) -> str:
    return (log_dir / f"{name}.out").read_text() + (log_dir / f"{name}.err").read_text()


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the fields start after the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> set[int]:
    """Every process below pid right now."""
    parents = _parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def wait_gone(pids: set[int], timeout: float) -> set[int]:
    """Poll until none of pids runs; returns those still running after timeout."""
    deadline = time.monotonic() + timeout
    left = {p for p in pids if running(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = {p for p in left if running(p)}
    return left


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert proc is None or proc.poll() is None, f"the process exited ({proc.returncode}) before {what}"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def kill_all(pids: set[int]) -> None:
    """Clean-up after a failed test: SIGKILL these processes (ours: a tree snapshot taken earlier)."""
    for pid in pids:
        if running(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def stop_tree(proc: subprocess.Popen[bytes]) -> None:
    """Clean-up after a failed test: kill the process and what is left below it."""
    kill_all({*descendants(proc.pid), proc.pid})
    proc.wait(10)
