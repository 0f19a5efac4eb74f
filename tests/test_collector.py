"""A started API or worker keeps its start-up heap out of the garbage collector's walks (kernel/collector.py),
unless told not to. Fresh interpreters: freezing the test process would keep every later test's leftovers."""

from __future__ import annotations

import os
import subprocess
import sys

# The API's lifespan, or a worker boot on the in-process broker, each in a fresh interpreter (a process freezes
# once); prints the frozen count after it.
PROBES = {
    "api": """
import asyncio, gc
from litestar.testing import AsyncTestClient
from servicebank.app import create_app

async def api():
    async with AsyncTestClient(create_app()) as client:
        assert (await client.get("/health/live")).status_code == 200
        return gc.get_freeze_count()

print("api", asyncio.run(api()))
""",
    "worker": """
import gc
import dramatiq
from servicebank.workers import tasks  # every domain's actors, as `dramatiq servicebank.workers.tasks` loads them
from servicebank.workers.broker import broker

worker = dramatiq.Worker(broker, worker_threads=1)
worker.start()
print("worker", gc.get_freeze_count())
worker.stop()
""",
}


def _frozen_counts(tmp_path, freeze: str) -> dict[str, int]:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", SERVICEBANK_EMBEDDED_WORKER="0",
               SERVICEBANK_FREEZE_STARTUP_HEAP=freeze)
    counts = {}
    for name, probe in PROBES.items():
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr
        counts[name] = int(result.stdout.split(f"{name} ", 1)[1].split()[0])
    return counts


def test_the_api_and_a_worker_freeze_their_start_up_heap(tmp_path) -> None:  # noqa: ANN001
    counts = _frozen_counts(tmp_path, "1")
    # The framework, the mappers and the app: far more than a handful of objects.
    assert counts["api"] > 50_000 and counts["worker"] > 50_000, counts


def test_the_freeze_can_be_turned_off(tmp_path) -> None:  # noqa: ANN001
    assert _frozen_counts(tmp_path, "0") == {"api": 0, "worker": 0}
