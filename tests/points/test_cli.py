"""`ledger verify` finds tampering; `leaderboards rebuild` repairs what it can re-derive."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner
from sqlalchemy import update

from servicebank.db import Database
from servicebank.points.cli import register
from servicebank.points.models import Account, PeriodTotal
from tests.factories import make_org, make_volunteer
from tests.points.helpers import attend, make_activity, settle


def _cli() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    register(cli)
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
