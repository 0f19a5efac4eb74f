"""Ledger tests start, like a fresh installation, with the (empty) Redis leaderboards built."""

from __future__ import annotations

import pytest

from servicebank.kernel.db import Database
from servicebank.leaderboards.rebuild import rebuild_redis


@pytest.fixture
async def db(db: Database) -> Database:
    await rebuild_redis(db)
    return db
