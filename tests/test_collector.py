"""A started API or worker keeps its start-up heap out of the garbage collector's walks and collects its youngest
generation less often (kernel/collector.py), unless told not to. Fresh interpreters: freezing the test process
would keep every later test's leftovers."""

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

print("api", asyncio.run(api()), gc.get_threshold()[0])
""",
    "worker": """
import gc
import dramatiq
from servicebank.workers import tasks  # every domain's actors, as `dramatiq servicebank.workers.tasks` loads them
from servicebank.workers.broker import broker

worker = dramatiq.Worker(broker, worker_threads=1)
worker.start()
print("worker", gc.get_freeze_count(), gc.get_threshold()[0])
worker.stop()
""",
}


def _collector_after_start(tmp_path, freeze: str, **env_extra: str) -> dict[str, tuple[int, int]]:  # noqa: ANN001
    """Per process: how many objects were frozen, and the youngest generation's threshold."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", SERVICEBANK_EMBEDDED_WORKER="0",
               SERVICEBANK_FREEZE_STARTUP_HEAP=freeze, **env_extra)
    found = {}
    for name, probe in PROBES.items():
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr
        frozen, threshold = result.stdout.split(f"{name} ", 1)[1].split()[:2]
        found[name] = (int(frozen), int(threshold))
    return found


def test_the_api_and_a_worker_freeze_their_start_up_heap(tmp_path) -> None:  # noqa: ANN001
    found = _collector_after_start(tmp_path, "1")
    # The framework, the mappers and the app: far more than a handful of objects.
    assert found["api"][0] > 50_000 and found["worker"][0] > 50_000, found
    # And their youngest generation is collected every 20,000 net new objects, not Python's 700.
    assert found["api"][1] == found["worker"][1] == 20_000, found


def test_the_young_threshold_is_a_setting(tmp_path) -> None:  # noqa: ANN001
    found = _collector_after_start(tmp_path, "1", SERVICEBANK_GC_YOUNG_THRESHOLD="5000")
    assert found["api"][1] == found["worker"][1] == 5000, found
    kept = _collector_after_start(tmp_path, "1", SERVICEBANK_GC_YOUNG_THRESHOLD="0")
    assert kept["api"][1] == kept["worker"][1] == 700, kept  # Python's own


def test_the_freeze_can_be_turned_off(tmp_path) -> None:  # noqa: ANN001
    found = _collector_after_start(tmp_path, "0")
    assert found == {"api": (0, 700), "worker": (0, 700)}, found
