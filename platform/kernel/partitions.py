"""Tables range-partitioned by month on PostgreSQL (plain tables on SQLite): declaration and upkeep.

A model declares `__table_args__ = (..., month_partitioned("created_at"))`. On PostgreSQL the table is
created `PARTITION BY RANGE (created_at)`, its primary key gains the partition column (PostgreSQL requires
every unique index of a partitioned table to hold it; the ORM still knows rows by `id`) and a DEFAULT
partition catches rows of any month that has no partition of its own yet. Months are UTC calendar months:
bounds that never depend on a setting. `ensure_month` creates a month's partition (moving the rows the
DEFAULT partition took for it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from sqlalchemy import PrimaryKeyConstraint, Table, event, text
from sqlalchemy.ext.compiler import compiles

from servicebank.kernel.dialect import POSTGRESQL, is_postgres

# First key of the two-key advisory lock taken while a table's partitions change ("SBPM").
LOCK_SPACE = 0x5342504D
_PARTITION_SUFFIX = re.compile(r"_(\d{4}_\d{2}|default)$")
# A month partition detached from its table keeps its rows under this suffix, for the operator to archive.
DETACHED_SUFFIX = "_detached"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_partitioned(column: str) -> dict[str, Any]:
    """Table keyword arguments: partitioned by month of `column` on PostgreSQL, plain elsewhere."""
    return {"postgresql_partition_by": f"RANGE ({column})", "info": {"partition_column": column}}


def partition_column(table: str) -> str | None:
    """The column a table is partitioned by month on, or None for a plain table."""
    from servicebank.kernel.db import metadata

    found = metadata.tables.get(table)
    return found.info.get("partition_column") if found is not None else None


@event.listens_for(Table, "after_create")
def _default_partition(table: Table, connection: Any, **_kw: Any) -> None:
    if table.info.get("partition_column") and is_postgres(connection):
        connection.execute(text(f'CREATE TABLE "{default_partition(table.name)}" PARTITION OF "{table.name}" DEFAULT'))


@compiles(PrimaryKeyConstraint, POSTGRESQL)
def _key_with_partition_column(constraint: PrimaryKeyConstraint, compiler: Any, **kw: Any) -> str:
    sql = compiler.visit_primary_key_constraint(constraint, **kw)
    column = constraint.table.info.get("partition_column") if constraint.table is not None else None
    if not column or column in constraint.columns or not sql.endswith(")"):
        return sql
    return f"{sql[:-1]}, {compiler.preparer.quote(column)})"


def is_partition(table_name: str) -> bool:
    """A partition of a month-partitioned table (Alembic must not take it for a table of its own)."""
    parent = _PARTITION_SUFFIX.sub("", table_name.removesuffix(DETACHED_SUFFIX))
    return parent != table_name and partition_column(parent) is not None


def parse_month(month: str) -> dt.date:
    """ "2026-11" -> 2026-11-01; ValueError for anything else."""
    if not _MONTH.match(month or ""):
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    return dt.date(int(month[:4]), int(month[5:]), 1)


def month_of(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def next_month(month: str) -> str:
    first = parse_month(month)
    return f"{first.year + first.month // 12:04d}-{first.month % 12 + 1:02d}"


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [start, end) of a month."""
    start = parse_month(month)
    end = parse_month(next_month(month))
    return (dt.datetime(start.year, start.month, 1, tzinfo=dt.UTC), dt.datetime(end.year, end.month, 1, tzinfo=dt.UTC))


def partition_name(table: str, month: str) -> str:
    return f"{table}_{month.replace('-', '_')}"


def detached_name(table: str, month: str) -> str:
    return partition_name(table, month) + DETACHED_SUFFIX


def default_partition(table: str) -> str:
    return f"{table}_default"


@dataclasses.dataclass(frozen=True)
class Partition:
    table: str
    name: str
    month: str | None  # None: the DEFAULT partition
    rows: int


async def partitions(session: Any, table: str) -> list[Partition]:
    """The partitions attached to `table`, oldest month first, DEFAULT last (none on SQLite).

    `rows` is PostgreSQL's estimate (pg_class.reltuples, kept by ANALYZE): counting would read every month.
    """
    if not is_postgres(session):
        return []
    rows = await session.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::bigint "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = CAST(:parent AS regclass) ORDER BY c.relname"), {"parent": table})
    found = []
    for name, bound, estimate in rows.all():
        month = None if bound == "DEFAULT" else _PARTITION_SUFFIX.search(name).group(1).replace("_", "-")  # type: ignore[union-attr]
        found.append(Partition(table, name, month, int(estimate)))
    return sorted(found, key=lambda p: (p.month is None, p.month or ""))


async def lock_partitions(session: Any, table: str) -> None:
    """Until the transaction ends, nobody else changes `table`'s partitions (upkeep, detach, attach)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:table))"),
                          {"space": LOCK_SPACE, "table": table})


async def ensure_month(session: Any, table: str, month: str) -> bool:
    """Give `table` a partition for `month` unless it has one; True when one was made (never on SQLite).

    Rows of that month already in the DEFAULT partition move into the new one in the same transaction
    (PostgreSQL refuses to attach a month while DEFAULT holds rows of it).
    """
    if not is_postgres(session):
        return False
    # Two upkeeps at once (the scheduler's and an operator's) take turns: the second finds the partition made.
    await lock_partitions(session, table)
    name = partition_name(table, month)
    if any(p.name == name for p in await partitions(session, table)):
        return False
    await session.execute(text(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS)'))
    await _move_in_and_attach(session, table, name, month)
    return True


async def partition_of_rows(session: Any, table: str, ids: list[int]) -> dict[int, str]:
    """Which partition holds each of these rows, by id (PostgreSQL's tableoid; empty on SQLite)."""
    if not is_postgres(session) or not ids:
        return {}
    rows = await session.execute(text(f'SELECT id, tableoid::regclass::text FROM "{table}" '
                                      "WHERE id = ANY(CAST(:ids AS bigint[]))"), {"ids": ids})
    return {int(i): str(name) for i, name in rows.all()}


async def table_exists(session: Any, name: str) -> bool:
    return bool(await session.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f'"{name}"'}))


async def estimated_rows(session: Any, names: list[str]) -> dict[str, int]:
    """PostgreSQL's row estimate of each of these tables that exists (pg_class.reltuples)."""
    rows = await session.execute(text("SELECT relname, greatest(reltuples, 0)::bigint FROM pg_class "
                                      "WHERE relname = ANY(CAST(:names AS text[])) AND relkind = 'r'"), {"names": names})
    return {str(name): int(estimate) for name, estimate in rows.all()}


async def detach_month(session: Any, table: str, month: str) -> bool:
    """Detach a month's partition and rename it `<partition>_detached`; False when the month has none.

    The rows stay, in a plain table of their own (with its indexes and foreign keys) for the operator to dump.
    """
    name = partition_name(table, month)
    if not any(p.name == name for p in await partitions(session, table)):
        return False
    await session.execute(text(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"'))
    await session.execute(text(f'ALTER TABLE "{name}" RENAME TO "{detached_name(table, month)}"'))
    return True


async def attach_month(session: Any, table: str, month: str) -> None:
    """Attach a detached month's table again (rows of that month the DEFAULT partition took meanwhile join it)."""
    name = partition_name(table, month)
    await session.execute(text(f'ALTER TABLE "{detached_name(table, month)}" RENAME TO "{name}"'))
    await _move_in_and_attach(session, table, name, month)


async def _move_in_and_attach(session: Any, table: str, name: str, month: str) -> None:
    """Move the month's rows out of DEFAULT into `name` (PostgreSQL refuses to attach a month while DEFAULT
    holds rows of it), then attach `name` as the month's partition."""
    start, end = month_bounds(month)
    column = partition_column(table)
    await session.execute(text(
        f'WITH moved AS (DELETE FROM "{default_partition(table)}" WHERE "{column}" >= :start AND "{column}" < :end '
        f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'), {"start": start, "end": end})
    await session.execute(text(f"""ALTER TABLE "{table}" ATTACH PARTITION "{name}" """
                               f"""FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"""))
