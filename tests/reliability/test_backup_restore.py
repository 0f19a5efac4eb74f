"""Backup and restore as documented in docs/deploy.md: pg_dump, pg_restore into a fresh database,
and the restored ledger verifies with the same figures."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from servicebank.config import Settings
from servicebank.demo import seed_demo
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.ledger.models import Entry
from servicebank.ledger.verify import verify

pytestmark = pytest.mark.postgres_only


async def test_dump_and_restore_into_a_fresh_database_passes_ledger_verify(
        settings: Settings, db: Database, postgres_server, tmp_path) -> None:  # noqa: ANN001
    if not hasattr(postgres_server, "bindir"):
        pytest.skip("an external PostgreSQL: the test needs the server's own pg_dump")
    async with db.session_scope() as session:
        assert await seed_demo(session) is not None
    await events.drain(db)
    async with db.session_scope() as session:
        entries = await session.scalar(select(func.count(Entry.id)))
    assert entries > 0, "the demo data must have ledger postings to restore"
    dump = tmp_path / "servicebank.dump"
    base = ["-h", "127.0.0.1", "-p", str(postgres_server.port), "-U", "postgres"]
    subprocess.run([str(postgres_server.bindir / "pg_dump"), *base, "--format=custom", f"--file={dump}",
                    "servicebank_test"], check=True, capture_output=True, timeout=300)
    restored_url = postgres_server.create_database("servicebank_restored")
    subprocess.run([str(postgres_server.bindir / "pg_restore"), *base, "--no-owner", "--dbname=servicebank_restored",
                    str(dump)], check=True, capture_output=True, timeout=300)
    restored = Database(settings.replace(database_url=restored_url, redis_url=None))
    try:
        report = await verify(restored)
        assert report.ok, report.as_dict()
        async with restored.session_scope() as session:
            assert await session.scalar(select(func.count(Entry.id))) == entries
    finally:
        await restored.dispose()
