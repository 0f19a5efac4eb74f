"""Bulk writes: many rows in one statement, whatever their number.

On PostgreSQL the rows travel as one array per column and the server unnests them: one round trip,
one execution, and a statement text that never changes (prepared once per connection). An
executemany instead runs the statement once per row (asyncpg pipelines the rows, PostgreSQL still
executes each), and a multi-row VALUES is compiled again for every row count. SQLite gets the rows
as executemany parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.dialect import is_postgres, upsert


def arrays_source(rows: list[dict[str, Any]], types: dict[str, Any], prefix: str = "rows") -> Any:
    """`SELECT * FROM unnest(:c1, :c2, ...)`: the rows as one array per column (PostgreSQL only)."""
    arrays = [bindparam(f"{prefix}_{c}", [r[c] for r in rows], type_=ARRAY(t)) for c, t in types.items()]
    source = func.unnest(*arrays).table_valued(*types).render_derived()
    return select(*(source.c[c] for c in types))


def insert_rows(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> tuple[Any, list[dict] | None]:
    """An upsert-capable INSERT of `rows` (all with the same keys) and the parameters to execute it with.

    Add ON CONFLICT / RETURNING to the statement, then `session.execute(stmt, params)`. Column defaults
    computed in Python are evaluated once for the statement, not per row.
    """
    stmt = upsert(session, model)
    if not is_postgres(session):
        return stmt, rows
    table = model.__table__
    columns = list(rows[0])
    return stmt.from_select(columns, arrays_source(rows, {c: table.c[c].type for c in columns})), None
