"""`servicebank worker` gives Dramatiq its short poll before Dramatiq is imported.

Dramatiq reads its worker timeout (the longest sleep of a consumer between looks at a queue, 1 s by default)
once, when it is imported. The tally's lag p99 at a steady 1,000 events/s went from 1.0 s to 0.36 s with
100 ms (bench/points.md); set after the import, the setting would silently do nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests import processes

# Runs the real command with Dramatiq's command line replaced by one that reports the timeout its workers get.
PROBE = textwrap.dedent("""
    import sys, types
    fake = types.ModuleType("dramatiq.cli")
    def main(args):
        import inspect
        from dramatiq.worker import Worker
        print("worker_timeout", inspect.signature(Worker).parameters["worker_timeout"].default)
        return 0
    fake.main = main
    fake.make_argument_parser = lambda: types.SimpleNamespace(parse_args=lambda argv: argv)
    sys.modules["dramatiq.cli"] = fake
    from servicebank.cli import cli
    cli(["worker"])
""")


def _timeout_given(env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("worker_timeout", 1)[1].split()[0]


def test_the_worker_polls_every_100_ms_unless_told_otherwise(postgres_url, redis_server) -> None:  # noqa: ANN001
    env = processes.production_env(postgres_url, redis_server.url)
    assert _timeout_given(env) == "100"
    assert _timeout_given({**env, "SERVICEBANK_WORKER_POLL_MS": "250"}) == "250"


def test_the_broker_gives_back_a_killed_workers_messages_within_minutes(redis_server) -> None:  # noqa: ANN001
    """Dramatiq's default (maintenance on 1 command in 1,000) left a SIGKILLed worker's messages stranded for about a
    quarter of an hour; workers/broker.py asks for 1 in 100."""
    from servicebank.config import Settings
    from servicebank.workers.broker import MAINTENANCE_CHANCE, make_broker

    broker = make_broker(Settings(database_url="sqlite+aiosqlite:///:memory:", redis_url=redis_server.url))
    assert broker.maintenance_chance == MAINTENANCE_CHANCE >= 10_000  # type: ignore[attr-defined]
