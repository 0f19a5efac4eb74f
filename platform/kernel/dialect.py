"""The one place that asks which database this is.

PostgreSQL in production, SQLite embedded: the few statements that differ (ON CONFLICT inserts, array
parameters, row locks) ask here instead of reading `bind.dialect.name` themselves, so a third dialect or a
change of driver is one file's work.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

POSTGRESQL = "postgresql"


def dialect_name(target: Any) -> str:
    """The dialect of a session, connection, engine or `Database` ("postgresql" or "sqlite")."""
    bind = getattr(target, "bind", None) or getattr(target, "engine", None) or target
    dialect = getattr(bind, "dialect", None)
    return dialect.name if dialect is not None else "sqlite"


def is_postgres(target: Any) -> bool:
    return dialect_name(target) == POSTGRESQL


def upsert(session: Any, model: Any) -> Any:
    """The dialect's INSERT that supports ON CONFLICT (PostgreSQL and SQLite both do)."""
    return pg_insert(model) if is_postgres(session) else sqlite_insert(model)


def is_asyncpg(target: Any) -> bool:
    """PostgreSQL through asyncpg, whose raw connection takes statements sent straight to the server."""
    bind = getattr(target, "bind", None) or target
    return is_postgres(target) and getattr(getattr(bind, "dialect", None), "driver", "") == "asyncpg"


def month_text(column: Any, dialect: str) -> Any:
    """SQL for a date column's month as "YYYY-MM"."""
    return func.to_char(column, "YYYY-MM") if dialect == POSTGRESQL else func.strftime("%Y-%m", column)


def year_text(column: Any, dialect: str) -> Any:
    """SQL for a date column's year as "YYYY"."""
    return func.to_char(column, "YYYY") if dialect == POSTGRESQL else func.strftime("%Y", column)


def json_list_holds(column_sql: str, value: str, dialect: str) -> Any:
    """SQL: the JSON list in `column_sql` (a trusted "table.column" name) holds the string `value`.

    jsonb on PostgreSQL (containment uses its GIN index); JSON text on SQLite, searched with json_each.
    """
    if dialect == POSTGRESQL:
        return text(f"{column_sql} @> CAST(:held_json AS jsonb)").bindparams(held_json=json.dumps([value]))
    return text(f"EXISTS (SELECT 1 FROM json_each({column_sql}) WHERE json_each.value = :held)").bindparams(held=value)
