"""Throwaway PostgreSQL and Redis servers for the test suite, started from the installed binaries.

Both listen on 127.0.0.1 only. As root, PostgreSQL runs as the `postgres` user (initdb refuses root).
Set SERVICEBANK_TEST_POSTGRES_URL / SERVICEBANK_TEST_REDIS_URL to use servers you already run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ServerUnavailable(RuntimeError):
    """The binaries are missing or the server would not start; the message says which and why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bindir() -> Path | None:
    explicit = os.environ.get("SERVICEBANK_PG_BIN")
    if explicit:
        return Path(explicit)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder; stop()/start() simulate an outage."""

    def __init__(self) -> None:
        self._prepare()
        self._run([str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C"])
        self.start()

    def _prepare(self) -> None:
        """Binaries, a free port and the folders, owned by `postgres` when we are root."""
        bindir = _pg_bindir()
        if bindir is None or not (bindir / "initdb").exists():
            raise ServerUnavailable("PostgreSQL binaries not found (apt-get install postgresql, or set SERVICEBANK_PG_BIN)")
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sb-pg-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.sockdir.mkdir()
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServerUnavailable("running as root but there is no 'postgres' user to run PostgreSQL") from exc
            os.chmod(self.root, 0o755)
            for path in (self.root, self.sockdir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def _run(self, cmd: list[str]) -> None:
        result = subprocess.run(self.run_as + cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise ServerUnavailable(f"{' '.join(cmd[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        # fsync off: a throwaway server need not survive an OS crash. Commits still reach the OS
        # before they are acknowledged (synchronous_commit stays on), so killing PostgreSQL loses
        # nothing that was acknowledged, as in production; the fault tests rely on that.
        options = (f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=400 -c shared_buffers=256MB")
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.root / "log"),
                   "-o", options, "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"])

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return result.stdout

    def postmaster_pid(self) -> int:
        """The server's main process (its backends are its children)."""
        return int((self.datadir / "postmaster.pid").read_text().split()[0])

    def create_database(self, name: str) -> str:
        self.psql(f'DROP DATABASE IF EXISTS "{name}"')
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        except ServerUnavailable:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class ReplicaServer(PostgresServer):
    """A hot-standby streaming replica of `primary`, made with `pg_basebackup -R` (the initdb defaults allow
    replication connections from 127.0.0.1 and keep 10 WAL senders)."""

    def __init__(self, primary: PostgresServer) -> None:
        self._prepare()
        self._run([str(self.bindir / "pg_basebackup"), "-D", str(self.datadir), "-R", "-X", "stream", "-c", "fast",
                   "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"])
        self.start()

    def replayed(self, lsn: str) -> bool:
        return self.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn").strip() == "t"

    def catch_up(self, primary: PostgresServer, timeout: float = 30) -> None:
        """Wait until everything the primary wrote so far is replayed here."""
        lsn = primary.psql("SELECT pg_current_wal_lsn()").strip()
        deadline = time.monotonic() + timeout
        while not self.replayed(lsn):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {lsn} in {timeout} s")
            time.sleep(0.05)

    def pause_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_resume()")


class PgBouncerServer:
    """PgBouncer (the Debian package) in front of `postgres`, in transaction mode with a small server pool, so
    that clients' transactions really share server connections."""

    def __init__(self, postgres: PostgresServer, *, pool_size: int = 2) -> None:
        binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
        if binary is None:
            raise ServerUnavailable("pgbouncer not found (apt-get install pgbouncer)")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sb-pgbouncer-"))
        (self.root / "users.txt").write_text('"postgres" ""\n')
        (self.root / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={postgres.port} user=postgres\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.root / 'users.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 500\n"
            f"logfile = {self.root / 'log'}\npidfile = {self.root / 'pid'}\n"
            "ignore_startup_parameters = extra_float_digits\n")
        run_as: list[str] = []
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            entry = pwd.getpwnam("postgres")
            for path in (self.root, *self.root.iterdir()):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            run_as = ["runuser", "-u", "postgres", "--"]
        self.proc = subprocess.Popen([*run_as, binary, str(self.root / "pgbouncer.ini")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerUnavailable(f"pgbouncer exited: {self.proc.stderr.read().decode()[-500:] if self.proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise ServerUnavailable(f"pgbouncer did not listen on port {self.port}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


def _has_c_utf8() -> bool:
    result = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return "c.utf8" in result.stdout.lower().replace("-", "")


class RedisServer:
    """A redis-server without persistence; restart() simulates a Redis restart (data lost)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerUnavailable("redis-server not found (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise ServerUnavailable(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (the port + 10000) is free too, so both exist."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class RedisClusterServer:
    """Three redis-server masters in cluster mode (no replicas, no persistence) joined by `redis-cli --cluster
    create`; restart_node() kills one master and starts it again empty, the same node id and slots."""

    def __init__(self, masters: int = 3) -> None:
        binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if binary is None or cli is None:
            raise ServerUnavailable("redis-server or redis-cli not found (apt-get install redis-server redis-tools)")
        self.binary, self.cli = binary, cli
        self.dir = Path(tempfile.mkdtemp(prefix="sb-rcluster-"))
        self.ports = [_free_cluster_port() for _ in range(masters)]
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        try:
            for port in self.ports:
                self.start_node(port)
            nodes = [f"127.0.0.1:{port}" for port in self.ports]
            created = subprocess.run([cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
                                     capture_output=True, text=True, timeout=60)
            if created.returncode != 0:
                raise ServerUnavailable(f"redis-cli --cluster create failed: {created.stdout}{created.stderr}")
            self.wait_ok()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """The seed node, in the cluster scheme SERVICEBANK_REDIS_URL takes."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}/0"

    def start_node(self, port: int) -> None:
        # nodes-<port>.conf keeps the node's id and slots, so a restarted master takes its slots back.
        self.procs[port] = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(port), "--cluster-enabled", "yes",
             "--cluster-config-file", f"nodes-{port}.conf", "--cluster-node-timeout", "2000", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._ask(port, "PING") == "PONG":
                return
            time.sleep(0.05)
        raise ServerUnavailable(f"redis-server (cluster node) did not answer on port {port}")

    def _ask(self, port: int, *command: str) -> str:
        result = subprocess.run([self.cli, "-p", str(port), *command], capture_output=True, text=True, timeout=10)
        return result.stdout.strip()

    def wait_ok(self, timeout: float = 30) -> None:
        """Until every node says the cluster is up (all slots served)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all("cluster_state:ok" in self._ask(port, "CLUSTER", "INFO") for port in self.ports):
                return
            time.sleep(0.1)
        raise ServerUnavailable("the Redis Cluster did not reach cluster_state:ok")

    def stop_node(self, port: int) -> None:
        proc = self.procs.pop(port, None)
        if proc is not None:
            proc.kill()
            proc.wait(10)

    def restart_node(self, port: int) -> None:
        """A master killed and started again: without replicas or persistence it comes back empty."""
        self.stop_node(port)
        self.start_node(port)
        self.wait_ok()

    def close(self) -> None:
        for port in list(self.procs):
            self.stop_node(port)
        shutil.rmtree(self.dir, ignore_errors=True)


def services_required() -> bool:
    """Under CI (or when asked) a missing server fails the run instead of skipping tests."""
    return bool(os.environ.get("CI")) or os.environ.get("SERVICEBANK_REQUIRE_SERVICES") == "1"
