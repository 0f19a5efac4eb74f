"""Faults survived: a stream of check-ins, check-outs and approvals runs against a real API process
while the Dramatiq worker is SIGKILLed repeatedly, Redis restarts once and PostgreSQL restarts once.
Afterwards every attendance has exactly its ledger postings, the ledger verifies, the leaderboards
match, the API answered 503 (never 500) while PostgreSQL was down, and nothing was lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from servicebank.kernel.db import Database
from servicebank.ledger.verify import verify
from tests.figures import figures_file
from tests.reliability.checkin_stream import Stream, arrange_patrol, count_postings, volunteer_day, wait_outbox_empty
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
VOLUNTEERS = int(os.environ.get("SERVICEBANK_TEST_FAULT_VOLUNTEERS", "700"))
# Kept in docs/ only when asked (SERVICEBANK_TEST_FIGURES_DIR=docs): a test run must not change the checkout.
FIGURES = figures_file("reliability-last-run.json")
pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


def _env(settings) -> dict[str, str]:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_DATABASE_URL=settings.database_url, SERVICEBANK_REDIS_URL=settings.redis_url,
               SERVICEBANK_SECRET_KEY=settings.secret_key, SERVICEBANK_DATA_KEY=settings.data_key or "",
               SERVICEBANK_EMBEDDED_WORKER="0",
               SERVICEBANK_OUTBOX_SWEEP_AFTER_SECONDS="3", PYTHONPATH=str(ROOT))
    return env


def _spawn(cmd: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - kept open for the child
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=out)


def _kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


async def test_stream_survives_worker_kills_and_redis_and_postgres_restarts(
        settings, db: Database, postgres_server, redis_server) -> None:  # noqa: ANN001
    if not hasattr(postgres_server, "stop") or not hasattr(redis_server, "restart"):
        pytest.skip("external servers cannot be restarted by the test")
    patrol = await arrange_patrol(db, VOLUNTEERS)
    env = _env(settings)
    port = free_port()
    api = _spawn([sys.executable, "-m", "uvicorn", "servicebank.app:create_app", "--factory", "--host", "127.0.0.1",
                  "--port", str(port), "--log-level", "warning"], env, log=Path(os.environ.get("SERVICEBANK_TEST_FAULT_LOG", "/dev/null")))
    scheduler = _spawn([sys.executable, "-m", "servicebank.cli", "scheduler"], env)
    worker_cmd = [sys.executable, "-m", "dramatiq", "servicebank.workers.tasks", "-p", "1", "-t", "4"]
    worker = _spawn(worker_cmd, env)
    faults = {"worker_sigkill": 0, "redis_restart": 0, "postgres_restart": 0}
    stream = Stream()
    base = f"http://127.0.0.1:{port}"
    done = asyncio.Event()

    async def inject() -> None:
        nonlocal worker
        step = 0
        while not done.is_set():
            await asyncio.sleep(2.0)
            step += 1
            _kill(worker)
            faults["worker_sigkill"] += 1
            worker = _spawn(worker_cmd, env)
            if step == 2:
                await asyncio.to_thread(redis_server.restart)
                faults["redis_restart"] += 1
            if step == 4:
                await asyncio.to_thread(postgres_server.stop, "immediate")
                await asyncio.sleep(2.0)
                await asyncio.to_thread(postgres_server.start)
                faults["postgres_restart"] += 1

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health/live", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "API did not start"
                await asyncio.sleep(0.2)
        injector = asyncio.create_task(inject())
        started = time.monotonic()
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            semaphore = asyncio.Semaphore(16)

            async def day(token: str) -> None:
                async with semaphore:
                    await volunteer_day(stream, client, patrol, token, secret_key=settings.secret_key,
                                        rotation_seconds=settings.qr_rotation_seconds)

            await asyncio.gather(*(day(t) for t in patrol.volunteer_tokens))
        stream_seconds = time.monotonic() - started
        done.set()
        await injector
        # Let the last worker and the scheduler's sweep finish the backlog.
        pending = await wait_outbox_empty(db, 180)
        assert not pending, f"{pending} events still unprocessed"
        # Redis lost its leaderboards in the restart: the first reader is served from SQL and
        # queues a rebuild from the ledger; wait for it.
        board = httpx.get(f"{base}/api/leaderboards", params={"scope": f"community:{patrol.community_id}",
                                                              "period": "all", "by": "hours", "limit": 5}, timeout=30)
        assert board.status_code == 200, board.text
        import redis as redis_lib

        client = redis_lib.Redis.from_url(settings.redis_url)
        deadline = time.monotonic() + 240
        while not client.exists("sb:lb:built:tagged") and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        built = client.exists("sb:lb:built:tagged")
        client.close()
        assert built, "the leaderboards were not rebuilt after the Redis restarts"
    finally:
        done.set()
        for proc in (worker, scheduler, api):
            _kill(proc, signal.SIGTERM)

    assert stream.unexpected == [], stream.unexpected[:5]
    assert 500 not in stream.statuses
    postings = await count_postings(db, VOLUNTEERS)
    assert postings.approved == VOLUNTEERS
    assert postings.lost == 0 and postings.duplicated == 0
    assert postings.minutes == {60}
    assert postings.dead == 0
    report = await verify(db)
    assert report.ok, report.as_dict()
    FIGURES.write_text(json.dumps({
        "volunteers": VOLUNTEERS, "requests": stream.requests, "statuses": stream.statuses,
        "client_retries": stream.retries, "events_processed": postings.events, "faults": faults,
        "lost": postings.lost, "duplicated": postings.duplicated, "stream_seconds": round(stream_seconds, 1),
        "ledger_verify": "ok",
    }, indent=2) + "\n")
