"""`ledger verify` finds tampering; `leaderboards rebuild` repairs what it can re-derive."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from servicebank.kernel.db import Database
from servicebank.leaderboards.cli import register as register_leaderboards
from servicebank.ledger.cli import register
from servicebank.ledger.models import Account, PeriodTotal
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle


def _cli() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    register(cli)
    register_leaderboards(cli)
    return cli


async def _run(monkeypatch, db: Database, args: list[str]):  # noqa: ANN001, ANN202
    import asyncio

    monkeypatch.setenv("SERVICEBANK_DATABASE_URL", db.settings.database_url)
    if db.settings.redis_url:
        monkeypatch.setenv("SERVICEBANK_REDIS_URL", db.settings.redis_url)
    from servicebank.config import get_settings

    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(CliRunner().invoke, _cli(), args)
    finally:
        get_settings.cache_clear()


async def test_verify_passes_then_fails_on_a_tampered_balance_and_rebuild_repairs_totals(
        db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    org = await make_org(session)
    vol = await make_volunteer(session, org.community)
    activity = await make_activity(session, org.community)
    await attend(session, activity, vol, minutes=60)
    await settle(db)
    result = await _run(monkeypatch, db, ["ledger", "verify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True

    async with db.session_scope() as s:
        await s.execute(update(PeriodTotal).values(minutes=PeriodTotal.minutes + 5))
    result = await _run(monkeypatch, db, ["ledger", "verify", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["differences"]["period_totals"] == 3

    result = await _run(monkeypatch, db, ["leaderboards", "rebuild", "--json"])
    assert result.exit_code == 0, result.output
    result = await _run(monkeypatch, db, ["ledger", "verify"])
    assert result.exit_code == 0, result.output

    async with db.session_scope() as s:
        await s.execute(update(Account).where(Account.kind == "volunteer").values(balance=1))
    result = await _run(monkeypatch, db, ["ledger", "verify"])
    assert result.exit_code == 1
    assert "account_balances: 1 difference(s)" in result.output


@pytest.mark.postgres_only
async def test_verify_tells_leaderboards_not_built_or_rebuilding_from_a_mismatch(
        db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    import redis

    from servicebank.leaderboards.push import REBUILD_REQUESTED, board_key, member_for
    from servicebank.leaderboards.rebuild import rebuild_redis_if_missing

    org = await make_org(session)
    vol = await make_volunteer(session, org.community)
    await attend(session, await make_activity(session, org.community), vol, minutes=60)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    client.flushall()  # a fresh install, or Redis restarted without persistence

    result = await _run(monkeypatch, db, ["ledger", "verify", "--json"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.output)
    assert (data["ok"], data["leaderboards"], data["problems"]) == (False, "not_built", [])
    assert not any(data["differences"].values())
    result = await _run(monkeypatch, db, ["ledger", "verify"])
    assert result.exit_code == 3 and "not built yet" in result.output and "FAILED" not in result.output

    client.set(REBUILD_REQUESTED, "1")
    result = await _run(monkeypatch, db, ["ledger", "verify", "--json"])
    assert result.exit_code == 3 and json.loads(result.output)["leaderboards"] == "rebuilding"
    client.delete(REBUILD_REQUESTED)

    assert await rebuild_redis_if_missing(db)
    result = await _run(monkeypatch, db, ["ledger", "verify", "--json"])
    assert result.exit_code == 0, result.output
    assert (json.loads(result.output)["ok"], json.loads(result.output)["leaderboards"]) == (True, "ok")

    client.zadd(board_key("all", "city", "hours"), {member_for(vol.id): 61})
    result = await _run(monkeypatch, db, ["ledger", "verify", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert (data["leaderboards"], data["differences"]["redis_leaderboards"]) == ("mismatch", 1)


@pytest.mark.postgres_only
async def test_a_fresh_install_passes_verify_after_seed_demo_with_nobody_reading_a_leaderboard(db: Database) -> None:
    import redis

    from servicebank.cli import _seed
    from servicebank.ledger.verify import verify

    redis.Redis.from_url(db.settings.redis_url).flushall()  # db upgrade done, Redis never used
    assert (await _seed(db))["seeded"] is True
    await settle(db)  # the workers tally the demo's attendances
    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()
