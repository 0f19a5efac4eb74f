"""Family-link tests check the ledger with `verify`, so they start with the (empty) Redis leaderboards built."""

from tests.ledger.conftest import db  # noqa: F401
