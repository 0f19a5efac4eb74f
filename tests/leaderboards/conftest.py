"""Leaderboard tests start, like a fresh installation, with the (empty) Redis leaderboards built."""

from tests.ledger.conftest import db  # noqa: F401
