"""The multi-machine deployment of docs/deploy.md on one machine, with faults: three API processes (`servicebank
serve`) behind a round-robin reverse proxy, two workers, two schedulers, a PostgreSQL primary with a streaming
replica and PgBouncer in front of it, and a three-master Redis Cluster; every process with the PgBouncer, replica
and cluster settings of one production environment.

Volunteers check in and out through the proxy (and organisers record their hour), while readers keep reading
the public and 台账 reads the replica serves. Meanwhile a worker is SIGKILLed and restarted (three times), the
Redis master holding the Dramatiq queues and the one holding the community's boards restart empty, the replica
stops for good, an API process is SIGKILLed and the leading scheduler too. Afterwards: every attendance has
exactly one ledger posting (lost 0, doubled 0), `servicebank ledger verify` passes with the boards rebuilt by the
system itself, the reads kept answering through the proxy from the primary, and no periodic job was started
twice for the same run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from servicebank.kernel import redis_clients
from servicebank.kernel.db import Database
from servicebank.leaderboards.cluster import scope_built_key
from servicebank.ledger.verify import verify
from tests import processes
from tests.conftest import _server_or_fail, make_settings
from tests.figures import figures_file
from tests.reliability.checkin_stream import (
    Patrol,
    Stream,
    arrange_patrol,
    count_postings,
    volunteer_day,
    wait_outbox_empty,
)
from tests.reverse_proxy import RoundRobinProxy
from tests.scale.conftest import postgres_with_schema
from tests.servers import PgBouncerServer, PostgresServer, RedisClusterServer, ReplicaServer, free_port

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow, pytest.mark.alone]

VOLUNTEERS = 300
ARRIVALS_PER_SECOND = 8  # the stream lasts about 40 s, long enough for every fault to land in it
FIGURES = figures_file("topology-last-run.json")


@dataclasses.dataclass
class Servers:
    primary: PostgresServer
    replica: ReplicaServer
    pgbouncer: PgBouncerServer
    cluster: RedisClusterServer

    @property
    def database_url(self) -> str:
        return self.primary.url("servicebank")


@pytest.fixture
def servers() -> Iterator[Servers]:
    primary = postgres_with_schema()
    replica = pgbouncer = cluster = None
    try:
        replica = _server_or_fail(lambda: ReplicaServer(primary), "a PostgreSQL streaming replica")
        pgbouncer = _server_or_fail(lambda: PgBouncerServer(primary, pool_size=8), "PgBouncer")
        cluster = _server_or_fail(RedisClusterServer, "Redis Cluster")
        yield Servers(primary, replica, pgbouncer, cluster)
    finally:
        for server in (cluster, pgbouncer, replica, primary):
            if server is not None:
                server.close()


class Fleet:
    """The `servicebank` processes, by role; a restarted process logs to a file of its own (scheduler-1.2)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: Counter[str] = Counter()

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        self.starts[name] += 1
        self.procs[name] = processes.start(args, self.env, self.log_dir, f"{name}.{self.starts[name]}")
        return self.procs[name]

    def sigkill(self, name: str) -> None:
        """The machine under it lost power: the process and its children, no goodbye."""
        processes.stop_tree(self.procs.pop(name))

    def logs(self, prefix: str) -> list[str]:
        return [path.read_text() for path in sorted(self.log_dir.glob(f"{prefix}*.err"))]

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                processes.stop_tree(proc)
        self.procs.clear()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _log_lines(texts: list[str]) -> list[dict]:
    lines = []
    for text in texts:
        for line in text.splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    return lines


def _leaders(fleet: Fleet) -> list[str]:
    """The schedulers that became the active instance, in turn."""
    found = [(line["ts"], name) for name in ("scheduler-1", "scheduler-2")
             for line in _log_lines(fleet.logs(name)) if line["msg"] == "scheduler is now the active instance"]
    return [name for _, name in sorted(found)]


def _leader(fleet: Fleet) -> str:
    return (_leaders(fleet) or [""])[-1]


# Reads in flight while the replica was going away, or started within this long after it had gone, may get the
# documented 503 (a read already on the replica, or on a pooled connection to it, when it went away; the pool is
# then dropped and the next reads go to the primary). Every other read must answer 200.
GOING_AWAY_GRACE = 3.0


class Readers:
    """Reads the replica serves, through the proxy, all along; each read's start time and answer."""

    def __init__(self, patrol: Patrol, month: str) -> None:
        scope = f"community:{patrol.community_id}"
        organiser = {"Authorization": f"Bearer {patrol.organiser_token}"}
        self.reads = [("/api/communities/public", {}, {}),
                      ("/api/leaderboards", {"scope": scope, "period": "all", "by": "hours", "limit": 5}, {}),
                      ("/api/reports/taizhang", {"scope": scope, "period": month}, organiser),
                      ("/leaderboard", {}, {})]
        self.answers: list[tuple[float, float, str, str, str]] = []  # started, ended, path, status, body (start)
        self.replica_stopping = self.replica_gone = float("inf")

    async def run(self, base_url: str, done: asyncio.Event) -> None:
        # A connection of its own for each read, so that the proxy spreads the reads over the API processes.
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=no_keepalive) as client:
            turn = 0
            while not done.is_set():
                path, params, headers = self.reads[turn % len(self.reads)]
                turn += 1
                started = time.monotonic()
                try:
                    response = await client.get(path, params=params, headers=headers)
                    status, body = str(response.status_code), response.text[:200]
                except httpx.TransportError as error:  # in flight on the API process that was killed
                    status, body = type(error).__name__, ""
                self.answers.append((started, time.monotonic(), path, status, body))
                await asyncio.sleep(0.1)

    def phase(self, started: float, ended: float) -> str:
        if ended < self.replica_stopping:
            return "replica up"
        return "replica going away" if started < self.replica_gone + GOING_AWAY_GRACE else "replica down"

    def statuses(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = {"replica up": Counter(), "replica going away": Counter(),
                                           "replica down": Counter()}
        for started, ended, _path, status, _body in self.answers:
            counts[self.phase(started, ended)][status] += 1
        return {phase: dict(c) for phase, c in counts.items()}

    def failures(self) -> list[str]:
        """Answers other than 200, but the documented 503 while the replica went away, and lost connections."""
        found = []
        for started, ended, path, status, body in self.answers:
            phase = self.phase(started, ended)
            if status == "200" or not status.isdigit():
                continue
            if phase == "replica going away" and status == "503" and "database_unavailable" in body:
                continue
            found.append(f"{phase}: {path} -> {status} {body}")
        return found


async def test_the_deployment_survives_its_faults_through_the_proxy(servers: Servers, tmp_path: Path) -> None:
    db = Database(make_settings(database_url=servers.database_url, redis_url=servers.cluster.url))
    patrol = await arrange_patrol(db, VOLUNTEERS)
    # As docs/deploy.md sets it out: queries through PgBouncer, the schedulers' lock straight to the primary.
    env = processes.production_env(
        servers.pgbouncer.url("servicebank"), servers.cluster.url, SERVICEBANK_DB_PGBOUNCER="true",
        SERVICEBANK_SCHEDULER_DATABASE_URL=servers.database_url,
        SERVICEBANK_DATABASE_REPLICA_URL=servers.replica.url("servicebank"), SERVICEBANK_REPLICA_RETRY_SECONDS="2",
        SERVICEBANK_OUTBOX_SWEEP_AFTER_SECONDS="3", SERVICEBANK_TRUSTED_PROXIES="127.0.0.1",
        SERVICEBANK_DB_POOL_SIZE="5")
    fleet = Fleet(env, tmp_path)
    api_ports = [free_port() for _ in range(3)]
    proxy = None
    try:
        for number, port in enumerate(api_ports, 1):
            fleet.start(f"api-{number}", ["serve", "--port", str(port)])
        for number in (1, 2):
            fleet.start(f"worker-{number}", ["worker", "-p", "1", "-t", "4", "--shutdown-timeout", "5"])
            fleet.start(f"scheduler-{number}", ["scheduler"])
        for number, port in enumerate(api_ports, 1):
            processes.wait_for(lambda p=port: _answers(f"http://127.0.0.1:{p}/health/live"), 120,
                               f"API process {number} to answer", fleet.procs[f"api-{number}"])
        processes.wait_for(lambda: _leader(fleet) != "", 60, "a scheduler to lead")
        proxy = RoundRobinProxy(api_ports)
        figures = await _stream_with_faults(fleet, servers, proxy, patrol, db)
    finally:
        fleet.stop_all()
        if proxy is not None:
            proxy.close()

    starts = [(line["msg"].split()[2], line["msg"].split()[-1]) for line in _log_lines(fleet.logs("scheduler"))
              if line["msg"].startswith("scheduler started ")]
    doubled_runs = [run for run, n in Counter(starts).items() if n > 1]
    leaders = _leaders(fleet)
    leaders_before_kill = figures.pop("leaders_before_kill")
    figures["scheduler"] = {"leaders": leaders, "runs_started": len(starts), "doubled_runs": len(doubled_runs)}
    figures["ledger_verify_cli"] = _cli_verify(env, tmp_path)
    print(json.dumps(figures, indent=1))
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")

    assert figures["lost"] == 0 and figures["doubled"] == 0, figures
    assert figures["approved"] == VOLUNTEERS and figures["minutes"] == [60]
    assert figures["dead_events"] == 0
    assert doubled_runs == [], doubled_runs
    assert len(leaders) > leaders_before_kill, f"no scheduler led after the leader was killed: {leaders}"
    assert any(job == "outbox-sweep" for job, _ in starts), "the schedulers started nothing"
    assert figures["ledger_verify_cli"] == 0
    await db.dispose()


async def _stream_with_faults(fleet: Fleet, servers: Servers, proxy: RoundRobinProxy, patrol: Patrol,
                              db: Database) -> dict:
    redis = redis_clients.sync_client(servers.cluster.url)
    queue_master = redis.get_node_from_key("{dramatiq}:default").port
    board_master = redis.get_node_from_key(scope_built_key(f"community:{patrol.community_id}")).port
    redis.close()
    faults: list[str] = []
    figures: dict = {}
    stream = Stream()
    readers = Readers(patrol, time.strftime("%Y-%m"))
    done = asyncio.Event()
    worker_args = ["worker", "-p", "1", "-t", "4", "--shutdown-timeout", "5"]

    async def restart_worker(name: str) -> None:
        fleet.sigkill(name)
        fleet.start(name, worker_args)
        faults.append(f"SIGKILL {name}, started again")

    async def inject() -> None:
        await asyncio.sleep(4)
        await restart_worker("worker-1")
        await asyncio.sleep(3)
        await asyncio.to_thread(servers.cluster.restart_node, queue_master)
        faults.append(f"Redis master {queue_master} (the queues) restarted empty")
        await asyncio.sleep(3)
        readers.replica_stopping = time.monotonic()
        await asyncio.to_thread(servers.replica.stop, "immediate")
        readers.replica_gone = time.monotonic()
        faults.append("replica stopped")
        await asyncio.sleep(3)
        fleet.sigkill("api-2")
        faults.append("SIGKILL api-2")
        await asyncio.sleep(3)
        leader = _leader(fleet)
        figures["leaders_before_kill"] = len(_leaders(fleet))
        fleet.sigkill(leader)
        fleet.start(leader, ["scheduler"])
        faults.append(f"SIGKILL the leading {leader}, started again")
        await asyncio.sleep(3)
        await restart_worker("worker-2")
        await asyncio.to_thread(servers.cluster.restart_node, board_master)
        faults.append(f"Redis master {board_master} (the community's boards) restarted empty")
        await asyncio.sleep(3)
        await restart_worker("worker-1")

    reading = asyncio.create_task(readers.run(proxy.url, done))
    injector = asyncio.create_task(inject())
    started = time.monotonic()
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=proxy.url, timeout=30, limits=limits) as client:
        semaphore = asyncio.Semaphore(16)

        async def day(index: int, token: str) -> None:
            await asyncio.sleep(index / ARRIVALS_PER_SECOND)
            async with semaphore:
                await volunteer_day(stream, client, patrol, token, secret_key=processes.SECRET,
                                    rotation_seconds=30)

        await asyncio.gather(*(day(i, t) for i, t in enumerate(patrol.volunteer_tokens)))
    stream_seconds = time.monotonic() - started
    await injector
    pending = await wait_outbox_empty(db, 180)
    # The boards of the master restarted empty are rebuilt by the system itself (the scheduler's check every
    # 30 s); verify says "not built" or "being rebuilt" until then.
    report = await verify(db)
    figures["leaderboards_after_the_stream"] = report.leaderboards
    deadline = time.monotonic() + 180
    while report.leaderboards_pending and time.monotonic() < deadline:
        await asyncio.sleep(2)
        report = await verify(db)
    done.set()
    await reading
    # Each API process counts where its reads went: the replica until it stopped, the primary since.
    health = [httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).json()["replica"]
              for port in (api_port(proxy, 1), api_port(proxy, 3))]
    postings = await count_postings(db, VOLUNTEERS)
    assert pending == 0, f"{pending} events still unprocessed"
    assert report.ok and report.leaderboards == "ok", report.as_dict()
    assert stream.unexpected == [], stream.unexpected[:5]
    assert 500 not in stream.statuses
    reads = readers.statuses()
    assert reads["replica down"].get("200", 0) >= 20, reads
    assert readers.failures() == [], readers.failures()[:5]
    assert all(h["reads"]["replica"] > 0 and h["reads"]["primary"] > 0 for h in health), health
    assert proxy.connections[api_port(proxy, 2)] > 0 and proxy.skipped > 0, (proxy.connections, proxy.skipped)
    return figures | {"volunteers": VOLUNTEERS, "requests": stream.requests, "statuses": stream.statuses,
            "client_retries": stream.retries, "stream_seconds": round(stream_seconds, 1), "faults": faults,
            "reads": reads,
            "errors_during_faults": {"stream_retries": stream.retries,
                                     "stream_not_2xx": sum(n for code, n in stream.statuses.items() if code >= 300),
                                     "reads_not_200": sum(n for counts in reads.values()
                                                          for status, n in counts.items() if status != "200")},
            "reads_by_target": [h["reads"] for h in health],
            "proxy": {"connections": list(proxy.connections.values()), "dead_backend_skipped": proxy.skipped},
            "approved": postings.approved, "lost": postings.lost, "doubled": postings.duplicated,
            "minutes": sorted(postings.minutes), "events": postings.events, "dead_events": postings.dead,
            "ledger_verify": "ok"}


def api_port(proxy: RoundRobinProxy, number: int) -> int:
    return proxy.backends[number - 1]


def _cli_verify(env: dict[str, str], log_dir: Path) -> int:
    """`servicebank ledger verify` as an operator runs it, with the deployment's settings: its exit code."""
    done = subprocess.run([sys.executable, "-m", "servicebank.cli", "ledger", "verify"], cwd=log_dir, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.returncode
