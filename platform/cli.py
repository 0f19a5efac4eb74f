"""The `servicebank` command: run it (up, serve, worker, scheduler), manage the database and outbox.

Every command has --help; commands that print data take --json.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

import click

from servicebank import keys_cli
from servicebank.cli_support import emit, fail, json_option, run_with_db
from servicebank.config import SettingsError, get_settings
from servicebank.domains import domain_modules


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Service Bank (社区志愿服务银行): volunteering, QR check-in and a community time bank."""
    _configure_logs()


def _configure_logs() -> None:
    """Every command logs the same way: JSON lines in production (SERVICEBANK_JSON_LOGS)."""
    from servicebank.observability.logs import configure_logging

    try:
        json_logs = get_settings().json_logs
    except SettingsError:
        json_logs = False  # the command itself reports the bad setting
    configure_logging(json_logs=json_logs)


def _settings_or_exit(*, logs: bool = False):  # noqa: ANN202
    try:
        settings = get_settings()
    except SettingsError as exc:
        fail(str(exc), code="bad_settings", as_json=False, exit_code=2)
        raise  # unreachable
    if logs:
        _configure_logs()
    return settings


def _uvicorn_log_config(settings) -> dict:  # noqa: ANN001
    """uvicorn installs this in its own process and in every worker process it starts."""
    from servicebank.observability.logs import log_config

    return log_config(json_logs=settings.json_logs)


def _print_welcome(settings, logins: list[dict[str, str]] | None) -> None:  # noqa: ANN001
    url = settings.public_url.rstrip("/")
    click.echo("")
    click.echo("Service Bank (社区志愿服务银行) is running in embedded mode (SQLite, in-process worker).")
    click.echo(f"  Web app:   {url}/")
    click.echo(f"  API docs:  {url}/schema")
    click.echo(f"  Health:    {url}/health")
    click.echo(f"  Database:  {settings.database_url}")
    if settings.keys_file:
        click.echo(f"  Keys:      {settings.keys_file} (back it up with the database)")
    if logins:
        click.echo("  Demo logins:")
        for login in logins:
            click.echo(f"    {login['role']:<15} {login['login']:<14} {login['password']:<10} {login['note']}")
    click.echo("Press Ctrl+C to stop.")
    click.echo("")


def _demo_logins() -> list[dict[str, str]]:
    from servicebank.demo import DEMO_PASSWORD

    return [
        {"role": "platform admin", "login": "admin", "password": DEMO_PASSWORD, "note": "all communities"},
        {"role": "street admin", "login": "street", "password": DEMO_PASSWORD, "note": "幸福街道"},
        {"role": "organiser", "login": "organiser", "password": DEMO_PASSWORD, "note": "和谐社区"},
        {"role": "team leader", "login": "leader", "password": DEMO_PASSWORD, "note": "党员先锋队"},
        {"role": "volunteer", "login": "13900000002", "password": DEMO_PASSWORD, "note": "李桂兰, 和谐社区"},
        {"role": "store clerk", "login": "clerk", "password": DEMO_PASSWORD, "note": "和谐爱心超市"},
    ]


async def _seed(db) -> dict[str, Any]:  # noqa: ANN001
    from servicebank.demo import seed_demo
    from servicebank.leaderboards.rebuild import rebuild_redis_if_missing

    # Boards built (empty on a fresh install) before the demo's postings: those are then pushed onto them
    # as workers tally, and `ledger verify` passes once they have, with nobody reading a leaderboard.
    await rebuild_redis_if_missing(db)
    async with db.session_scope() as session:
        ctx = await seed_demo(session)
    return {"seeded": ctx is not None, "logins": ctx.logins if ctx else _demo_logins()}


def _upgrade(url: str) -> None:
    from servicebank import migrate

    migrate.upgrade(url)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option("--no-demo", is_flag=True, help="Do not load the demo data into an empty database.")
def up(host: str | None, port: int | None, no_demo: bool) -> None:
    """Embedded default: migrate the SQLite database, load demo data, serve with an in-process worker."""
    if host:
        os.environ["SERVICEBANK_HOST"] = host
    if port:
        os.environ["SERVICEBANK_PORT"] = str(port)
    get_settings.cache_clear()
    settings = _settings_or_exit(logs=True)
    click.echo("Preparing the database ...")
    _upgrade(settings.database_url)
    keys_cli.finish_embedded_rotation(settings)
    logins = None
    if not no_demo:
        # Published to the in-process broker now; the embedded worker handles them as it starts.
        result = run_with_db(_seed)
        logins = result["logins"]
        if result["seeded"]:
            click.echo("Loaded the demo data.")
    _print_welcome(settings, logins)
    import uvicorn

    uvicorn.run("servicebank.app:create_app", factory=True, host=settings.host, port=settings.port,
                log_level="info", log_config=_uvicorn_log_config(settings), access_log=False,
                proxy_headers=False)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default from SERVICEBANK_HOST).")
@click.option("--port", default=None, type=int, help="Port (default from SERVICEBANK_PORT).")
@click.option("--workers", default=1, show_default=True, help="Number of API processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and web pages only (production: workers and scheduler run separately)."""
    settings = _settings_or_exit(logs=True)
    import uvicorn

    uvicorn.run("servicebank.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_level="info",
                log_config=_uvicorn_log_config(settings), access_log=False,
                # uvicorn kills a worker process that misses a 5 s ping; on a busy machine a starting
                # one can, and was killed and restarted over and over. Hung ones still go, after 30 s.
                timeout_worker_healthcheck=30)


@cli.command()
@click.option("--processes", "-p", default=1, show_default=True, help="Worker processes.")
@click.option("--threads", "-t", default=8, show_default=True, help="Threads per process.")
@click.option("--shutdown-timeout", default=30, show_default=True,
              help="Seconds a stopping worker waits for the messages in hand before it gives them back.")
def worker(processes: int, threads: int, shutdown_timeout: int) -> None:
    """Run Dramatiq worker processes (event dispatch, tallies, notifications, reports)."""
    settings = _settings_or_exit(logs=True)
    if not settings.redis_url:
        fail("A separate worker needs SERVICEBANK_REDIS_URL; in embedded mode `servicebank up` runs the worker "
             "inside the API process.", code="no_broker", as_json=False, exit_code=2)
    # Dramatiq's consumer sleeps between looks at its queue with a backoff that grows to the worker timeout (1 s
    # by default), also while every thread is busy: events published meanwhile waited up to a second. Read by
    # Dramatiq when it is imported, so it is set before the import (its worker processes inherit it).
    os.environ.setdefault("dramatiq_worker_timeout", str(settings.worker_poll_ms))
    # Dramatiq's own main runs in this process, so this PID is the one that gets SIGTERM from systemd or
    # docker: it passes it on to its worker processes and waits for them. Its worker processes are forked
    # from here and keep the logging set up above (--skip-logging).
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    args = make_argument_parser().parse_args([
        "servicebank.workers.tasks", "-p", str(processes), "-t", str(threads), "--skip-logging",
        "--worker-shutdown-timeout", str(shutdown_timeout * 1000)])
    raise SystemExit(dramatiq_main(args))


@cli.command()
def scheduler() -> None:
    """Run the scheduler (one active instance; extra ones stand by)."""
    import asyncio

    settings = _settings_or_exit(logs=True)
    from servicebank.workers import tasks  # noqa: F401  (actors and periodic jobs)
    from servicebank.workers.scheduler import run_scheduler

    async def main(db) -> None:  # noqa: ANN001
        # SIGTERM (systemd, docker) stops it within one tick, releasing the leader lock for a standby.
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await run_scheduler(db, stop=stop)

    logging.getLogger("servicebank.scheduler").info("scheduler running against %s",
                                                    settings.database_url.split("@")[-1])
    try:
        run_with_db(main)
    except KeyboardInterrupt:
        pass


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@json_option
def db_upgrade(revision: str, as_json: bool) -> None:
    """Apply migrations up to a revision."""
    from servicebank import migrate

    settings = _settings_or_exit()
    migrate.upgrade(settings.database_url, revision)
    emit({"revision": migrate.current(settings.database_url)}, as_json=as_json,
         human=lambda d: f"database is at revision {d['revision']}")


@db.command("current")
@json_option
def db_current(as_json: bool) -> None:
    """Show the schema revision of the database and the newest one available."""
    from servicebank import migrate

    settings = _settings_or_exit()
    data = {"current": migrate.current(settings.database_url), "head": migrate.head()}
    emit(data, as_json=as_json, human=lambda d: f"current {d['current']}, head {d['head']}")


@cli.command("seed-demo")
@json_option
def seed_demo(as_json: bool) -> None:
    """Load the demo data into an empty database."""
    result = run_with_db(_seed)
    emit(result, as_json=as_json,
         human=lambda d: "demo data loaded" if d["seeded"] else "database already has data; nothing loaded")


@cli.group()
def outbox() -> None:
    """The event outbox."""


@outbox.command("status")
@json_option
def outbox_status(as_json: bool) -> None:
    """Pending and parked events, and the age of the oldest pending one."""
    from servicebank.kernel import events

    data = run_with_db(events.backlog, publish=False)
    emit(data, as_json=as_json, human=lambda d: f"pending {d['pending']}, dead {d['dead']}, "
                                                f"oldest pending {d['oldest_pending_age_s']}s")


@outbox.command("sweep")
@json_option
def outbox_sweep(as_json: bool) -> None:
    """Re-send events left unprocessed to the workers."""
    from servicebank.workers.tasks import sweep_once

    async def main(_db) -> int:  # noqa: ANN001
        return await sweep_once()

    count = run_with_db(main)
    emit({"resent": count}, as_json=as_json, human=f"re-sent {count} events")


@outbox.command("drain")
@json_option
def outbox_drain(as_json: bool) -> None:
    """Process pending events in this process (when no worker is running)."""
    from servicebank.kernel import events
    from servicebank.workers import tasks  # noqa: F401  (handlers)

    count = run_with_db(lambda db: events.drain(db))
    emit({"processed": count}, as_json=as_json, human=f"processed {count} events")


@outbox.command("revive")
@json_option
def outbox_revive(as_json: bool) -> None:
    """Give parked (dead) events another try after fixing their cause."""
    from servicebank.kernel import events

    count = run_with_db(events.revive_dead, publish=False)
    emit({"revived": count}, as_json=as_json, human=f"revived {count} events")


for _module in domain_modules("cli"):
    _module.register(cli)
keys_cli.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="servicebank")


if __name__ == "__main__":
    main()
