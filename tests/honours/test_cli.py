"""`servicebank honours generate` and `servicebank reports taizhang` against a seeded SQLite database."""

from __future__ import annotations

import asyncio
import json

import openpyxl
import pytest
from click.testing import CliRunner

from servicebank.cli import cli
from servicebank.config import get_settings
from servicebank.kernel.db import Database
from tests.conftest import make_settings
from tests.honours import expected
from tests.honours.seeding import seed_october


@pytest.fixture
def seeded_db(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SERVICEBANK_DATABASE_URL", url)
    get_settings.cache_clear()

    async def build():  # noqa: ANN202
        db = Database(make_settings(database_url=url))
        from servicebank import registry  # every domain's models
        await registry.create_tables(db)
        async with db.sessionmaker() as session:
            seeded = await seed_october(session)
        await db.dispose()
        return seeded

    yield asyncio.run(build())
    get_settings.cache_clear()


def test_generate_and_export_from_the_command_line(seeded_db, tmp_path) -> None:  # noqa: ANN001
    org = seeded_db.org
    runner = CliRunner()
    args = ["honours", "generate", "--month", "2026-10", "--community", str(org.community.id), "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["created"] == 1 and len(data["list_ids"]) == 1
    assert '"progress": "honour lists"' in result.stderr
    again = json.loads(runner.invoke(cli, args).stdout)
    assert again["unchanged"] == 1 and again["list_ids"] == data["list_ids"]
    bad = runner.invoke(cli, ["honours", "generate", "--month", "2026-13", "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stderr)["error"] == "invalid_month"

    out = tmp_path / "taizhang.xlsx"
    result = runner.invoke(cli, ["reports", "taizhang", "--scope", f"community:{org.community.id}",
                                 "--period", "2026-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["汇总"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    approved = [a for a in seeded_db.attendances if a.status == "approved"
                and a.community_id == org.community.id and a.service_date.year == 2026]
    assert values["参与服务(人次)"] == len(approved)
    printed = runner.invoke(cli, ["reports", "taizhang", "--scope", f"street:{org.street.id}", "--period", "2026-Q4"])
    assert printed.exit_code == 0 and json.loads(printed.stdout)["current"]["participations"] > len(approved)
    missing = runner.invoke(cli, ["reports", "taizhang", "--scope", "street:999", "--period", "2026", "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stderr.splitlines()[-1])["error"] == "scope_not_found"
    assert expected.top_volunteers(seeded_db, {org.community.id}, 2026, 10)
