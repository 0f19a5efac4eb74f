"""Faults survived: a stream of check-ins, check-outs and approvals runs against a real API process
while the Dramatiq worker is SIGKILLed repeatedly, Redis restarts once and PostgreSQL restarts once.
Afterwards every attendance has exactly its ledger postings, the ledger verifies, the leaderboards
match, the API answered 503 (never 500) while PostgreSQL was down, and nothing was lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import User
from servicebank.accounts.sessions import open_session
from servicebank.activities.models import Activity, ActivityStatus
from servicebank.checkins import tokens
from servicebank.checkins.models import Attendance
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent
from servicebank.ledger.models import AttendancePosting, ServiceCredit
from servicebank.ledger.verify import verify
from servicebank.volunteers.models import Volunteer
from tests.factories import make_org, make_person
from tests.figures import figures_file
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


async def _arrange(db: Database) -> tuple[int, list[str], str, int]:
    async with db.sessionmaker() as session:
        org = await make_org(session)
        organiser = await make_person(session, "organiser", community=org.community)
        now = dt.datetime.now(dt.UTC)
        activity = Activity(community_id=org.community.id, kind="patrol", title="夜间巡逻", starts_at=now - dt.timedelta(minutes=30),
                            ends_at=now + dt.timedelta(hours=3), status=ActivityStatus.IN_PROGRESS)
        session.add(activity)
        volunteers = [Volunteer(community_id=org.community.id, number=f"{org.community.code}-X{i:05d}",
                                real_name=f"巡逻员{i}", phone=f"137{i:08d}") for i in range(VOLUNTEERS)]
        session.add_all(volunteers)
        await session.flush()
        users = [User(phone=v.phone, display_name=v.real_name, password_hash="x", volunteer_id=v.id) for v in volunteers]
        session.add_all(users)
        await session.flush()
        volunteer_tokens = [await open_session(session, user_id=u.id) for u in users]
        await session.commit()
        return activity.id, volunteer_tokens, organiser.token, org.community.id


class Stream:
    """Counts what the API answered while faults were injected."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.unexpected: list[str] = []
        self.retries = 0

    async def call(self, client: httpx.AsyncClient, method: str, url: str, *, ok: set[int], **kw) -> httpx.Response:  # noqa: ANN003
        for _ in range(200):
            try:
                response = await client.request(method, url, **kw)
            except httpx.TransportError:
                self.retries += 1
                await asyncio.sleep(0.25)
                continue
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code in ok:
                return response
            if response.status_code == 503 and response.json().get("code") == "database_unavailable":
                self.retries += 1  # a phone user taps again a moment later
                await asyncio.sleep(0.5)
                continue
            self.unexpected.append(f"{method} {url} -> {response.status_code} {response.text[:200]}")
            return response
        raise AssertionError(f"{method} {url} never succeeded")


async def test_stream_survives_worker_kills_and_redis_and_postgres_restarts(
        settings, db: Database, postgres_server, redis_server) -> None:  # noqa: ANN001
    if not hasattr(postgres_server, "stop") or not hasattr(redis_server, "restart"):
        pytest.skip("external servers cannot be restarted by the test")
    activity_id, volunteer_tokens, organiser_token, community_id = await _arrange(db)
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

    def kiosk(purpose: str) -> str:
        return tokens.issue_kiosk_token(secret_key=settings.secret_key, rotation_seconds=settings.qr_rotation_seconds,
                                        activity_id=activity_id, purpose=purpose, now=dt.datetime.now(dt.UTC)).token

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

            async def volunteer_day(token: str) -> None:
                auth = {"Authorization": f"Bearer {token}"}
                async with semaphore:
                    checkin = await stream.call(client, "POST", "/api/check-ins", ok={200, 201}, headers=auth,
                                                json={"token": kiosk("check-in")})
                    await asyncio.sleep(random.random() * 0.05)
                    r = await stream.call(client, "POST", "/api/check-outs", ok={200, 201}, headers=auth,
                                          json={"token": kiosk("check-out")})
                    assert r.status_code in (200, 201), (checkin.text[:300], r.text[:300])
                    attendance = r.json()["attendance"]
                    start = dt.datetime.fromisoformat(attendance["checked_in_at"]).replace(second=0, microsecond=0)
                    await stream.call(client, "POST", f"/api/attendance/{attendance['id']}/adjust", ok={200},
                                      headers={"Authorization": f"Bearer {organiser_token}"},
                                      json={"checked_in_at": (start - dt.timedelta(minutes=60)).isoformat(),
                                            "checked_out_at": start.isoformat(), "reason": "补录实际服务时间"})

            await asyncio.gather(*(volunteer_day(t) for t in volunteer_tokens))
        stream_seconds = time.monotonic() - started
        done.set()
        await injector
        # Let the last worker and the scheduler's sweep finish the backlog.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            async with db.session_scope() as s:
                pending = await s.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.processed_at.is_(None)))
            if not pending:
                break
            await asyncio.sleep(1.0)
        assert not pending, f"{pending} events still unprocessed"
        # Redis lost its leaderboards in the restart: the first reader is served from SQL and
        # queues a rebuild from the ledger; wait for it.
        board = httpx.get(f"{base}/api/leaderboards", params={"scope": f"community:{community_id}",
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
    async with db.session_scope() as s:
        approved = await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.status == "approved"))
        credits = dict((await s.execute(select(ServiceCredit.attendance_id, func.count())
                                        .group_by(ServiceCredit.attendance_id))).all())
        minutes = dict((await s.execute(select(AttendancePosting.attendance_id, AttendancePosting.minutes))).all())
        events_total = await s.scalar(select(func.count(OutboxEvent.id)))
        dead = await s.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.dead.is_(True)))
    lost = VOLUNTEERS - len(minutes)
    duplicated = sum(1 for n in credits.values() if n != 1)
    assert approved == VOLUNTEERS
    assert lost == 0 and duplicated == 0
    assert set(minutes.values()) == {60}
    assert dead == 0
    report = await verify(db)
    assert report.ok, report.as_dict()
    FIGURES.write_text(json.dumps({
        "volunteers": VOLUNTEERS, "requests": sum(stream.statuses.values()), "statuses": stream.statuses,
        "client_retries": stream.retries, "events_processed": events_total, "faults": faults,
        "lost": lost, "duplicated": duplicated, "stream_seconds": round(stream_seconds, 1),
        "ledger_verify": "ok",
    }, indent=2) + "\n")
