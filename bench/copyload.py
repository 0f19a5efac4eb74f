"""Bulk loading with PostgreSQL COPY: column defaults filled from the models, indexes built after the load.

The generator gives only the columns it means; every other NOT NULL column gets the model's own
default (so a column another domain adds later does not break the load). Foreign-key triggers are
off on the loading connection (`session_replication_role = replica`): the generator keeps the
references right by construction, and the secondary indexes and unique constraints are dropped
before and rebuilt after the load, which is several times faster than maintaining them row by row
(re-adding a unique constraint also checks that the generated rows kept it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Index, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

FIXED_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def copy_value(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def filled_defaults(table: Table, given: Sequence[str]) -> dict[str, str]:
    """COPY text for every NOT NULL column the generator does not give, from the model's default."""
    extra: dict[str, str] = {}
    for column in table.columns:
        if column.name in given or column.nullable or column.server_default is not None:
            continue
        default = column.default
        if default is None:
            raise ValueError(f"{table.name}.{column.name} is NOT NULL without a default: the generator must give it")
        if default.is_scalar:
            value = default.arg
        elif default.is_callable:
            value = default.arg(None)
            if isinstance(value, dt.datetime):
                value = FIXED_NOW
        else:
            raise ValueError(f"{table.name}.{column.name} has a default COPY cannot evaluate")
        extra[column.name] = copy_value(value)
    return extra


class TableLoader:
    """COPY rows of the given columns (tab-separated text lines) into one table."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table = table
        self.defaults = filled_defaults(table, columns)
        self.columns = list(columns) + list(self.defaults)
        self.suffix = ("\t" + "\t".join(self.defaults.values()) if self.defaults else "") + "\n"
        self.rows = 0

    def encode(self, lines: Iterable[str]) -> bytes:
        """The COPY payload: each line plus the filled defaults."""
        suffix = self.suffix
        return "".join(line + suffix for line in lines).encode()

    async def copy(self, conn: asyncpg.Connection, lines: list[str]) -> None:
        if not lines:
            return
        import io

        await conn.copy_to_table(self.table.name, source=io.BytesIO(self.encode(lines)), columns=self.columns,
                                 format="text")
        self.rows += len(lines)


async def loading_connection(url: str) -> asyncpg.Connection:
    """A connection with foreign-key triggers off and generous memory for index builds, sorts and joins."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    # The derived tables join millions of rows (credits to attendances): one hash table, not batches on disk.
    await conn.execute("SET work_mem = '512MB'")
    return conn


def _secondary(table: Table) -> tuple[list[Index], list[UniqueConstraint]]:
    """The model's non-unique indexes and its unique constraints; the primary key is not among them.

    Primary keys stay during a load: ids arrive in order, so their index only grows at its right edge.
    A unique constraint gets its values in no particular order (source keys, activity + volunteer):
    maintained row by row, every insert lands on a random page of an index larger than the cache.
    """
    return ([index for index in table.indexes if not index.unique],
            [c for c in table.constraints if isinstance(c, UniqueConstraint)])


async def drop_indexes(conn: asyncpg.Connection, tables: Sequence[Table]) -> None:
    """Drop the secondary indexes and unique constraints; `build_indexes` recreates them."""
    for table in tables:
        indexes, constraints = _secondary(table)
        for index in indexes:
            await conn.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        for constraint in constraints:
            await conn.execute(f'ALTER TABLE "{table.name}" DROP CONSTRAINT IF EXISTS "{constraint.name}"')


async def build_indexes(conn: asyncpg.Connection, tables: Sequence[Table]) -> None:
    """Recreate what `drop_indexes` dropped, from the models' own definitions."""
    dialect = postgresql.dialect()
    for table in tables:
        indexes, constraints = _secondary(table)
        for index in indexes:
            await conn.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
        for constraint in constraints:
            # Written out rather than with SQLAlchemy's AddConstraint, which marks the constraint as
            # "added later" on the shared metadata: every CREATE TABLE in this process would then
            # leave it out (the test suite's SQLite databases lost their unique keys that way).
            columns = ", ".join(f'"{c.name}"' for c in constraint.columns)
            await conn.execute(f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{constraint.name}" UNIQUE ({columns})')


async def advance_sequences(conn: asyncpg.Connection) -> None:
    """Move every `<table>_id_seq` past the ids the load gave explicitly, so the app's inserts do not collide."""
    rows = await conn.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
    for row in rows:
        name = row["sequencename"]
        table = name.removesuffix("_id_seq")
        if table == name:
            continue
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        if exists:
            await conn.execute(f'SELECT setval(\'"{name}"\', GREATEST((SELECT max(id) FROM "{table}"), 1))')
