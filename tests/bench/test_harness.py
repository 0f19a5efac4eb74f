"""The benchmark harness at a tiny size, so it cannot rot: city load, festival, reads, ledger verify."""

from __future__ import annotations

import os

import pytest

from bench.report import as_json, render_summary
from bench.run import Progress, run
from servicebank.config import Settings
from servicebank.kernel.db import Database
from servicebank.ledger.verify import verify

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def servers(postgres_server, redis_server):  # noqa: ANN001, ANN201
    if os.environ.get("SERVICEBANK_TEST_POSTGRES_URL"):
        pytest.skip("the harness needs a server it may create databases on")
    return postgres_server, redis_server


async def test_tiny_harness_runs_festival_and_reads_and_keeps_the_ledger_consistent(servers) -> None:  # noqa: ANN001
    pg, redis = servers
    reports = {}

    async def check(url: str, redis_url: str) -> None:
        db = Database(Settings(database_url=url, redis_url=redis_url))
        try:
            reports["verify"] = (await verify(db)).as_dict()
        finally:
            await db.dispose()

    results = as_json(await run("all", "tiny", Progress(quiet=True), pg=pg, redis=redis, after=check))

    city = results["city"]["counts"]
    assert city["volunteer"] == 100 and city["community"] == 2
    assert city["ledger_entry"] == 2 * city["ledger_transaction"] == 2 * city["attendance"]
    festival = results["festival"]
    assert festival["check_in"]["errors"] == 0, festival["check_in"]["samples"]
    assert festival["check_out"]["errors"] == 0, festival["check_out"]["samples"]
    assert festival["check_in"]["statuses"] == {"201": 40}
    lag = festival["lag"]
    assert lag["posted"] == lag["expected"] == 40
    assert lag["minutes_posted"] == 40 * 120  # two hours each, as the festival's clock was moved
    assert lag["all_on_leaderboards_after_last_checkout_s"] is not None
    assert all(r["errors"] == 0 for r in festival["readers"].values())
    assert results["memory"]["api_peak_mb"] > 0 and results["memory"]["worker_peak_mb"] > 0
    reads = {r["name"]: r for r in results["reads"]["results"]}
    assert len(reads) == 7 and all(r["errors"] == 0 and r["requests"] == 20 for r in reads.values())
    # History and the festival's postings together pass every ledger check, Redis boards included.
    assert reports["verify"]["ok"], reports["verify"]
    assert "Festival: 40 volunteers" in render_summary(results)
    _metadata_still_creates_every_unique_key()


def _metadata_still_creates_every_unique_key() -> None:
    """The loader drops and re-adds unique keys on the city database; the shared models must not notice.

    (SQLAlchemy's AddConstraint once marked them "added later", and every SQLite database the rest
    of the suite created in this process lost its unique keys.)
    """
    from sqlalchemy import UniqueConstraint
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateTable

    from servicebank.kernel.db import metadata

    for table in metadata.sorted_tables:
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        ddl = str(CreateTable(table).compile(dialect=sqlite.dialect()))
        assert ddl.count("UNIQUE (") >= len(uniques), (table.name, ddl)


async def test_tiny_city_reads_on_the_scale_out_topology(postgres_server) -> None:  # noqa: ANN001
    """`bench.run --replica --redis-cluster`: its own primary, a streaming replica serving the read-only pages, and a
    3-master Redis Cluster; every read answers and the replica's CPU is reported beside the primary's."""
    if os.environ.get("SERVICEBANK_TEST_POSTGRES_URL"):
        pytest.skip("the harness needs servers of its own")
    del postgres_server  # only for the skip above: the run starts its own servers
    results = as_json(await run("city", "tiny", Progress(quiet=True), replica=True, redis_cluster=True))
    assert results["topology"]["replica"] and results["topology"]["redis"] == "cluster of 3 masters"
    reads = {r["name"]: r for r in results["reads"]["results"]}
    assert len(reads) == 7 and all(r["errors"] == 0 and r["requests"] == 20 for r in reads.values())
    assert "replica" in reads["community dashboard /manage/ (HTML)"]["cpu_ms"]
    assert "on a streaming replica" in render_summary(results)


async def test_a_kept_tiny_city_runs_the_reads_again_until_quit(servers, monkeypatch, capsys) -> None:  # noqa: ANN001
    """`bench.run --keep`: after the reads the city stays; `reads` on standard input restarts the API and runs them
    again (their table printed, with where the slowest requests fell), an unknown command is refused, `quit` ends."""
    import io
    import sys

    pg, redis = servers
    monkeypatch.setattr(sys, "stdin", io.StringIO("reads\nagain\nquit\n"))
    results = as_json(await run("city", "tiny", Progress(quiet=True), pg=pg, redis=redis, keep=True))
    printed = capsys.readouterr().out
    assert printed.count("| baseline: bare GET |") == 1 and printed.count("slowest (position: ms)") == 7
    assert len(results["reads"]["results"]) == 7  # the first round, as without --keep
