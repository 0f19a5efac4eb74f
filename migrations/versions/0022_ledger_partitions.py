"""Ledger partitions (issue #23): entries and service credits carry their transaction's created_at and, on
PostgreSQL, are range-partitioned by its UTC month (plain tables on SQLite); closed months' checksums

Revision ID: 0022_ledger_partitions
Revises: 0021_kind_training
Create Date: 2026-12-06 19:10:00

On PostgreSQL each table is rebuilt: a partitioned table of the same columns, one partition per month that
has rows plus the next three, a DEFAULT partition, the rows copied, the old table dropped. Its primary key
becomes (id, created_at), as PostgreSQL requires; the id sequence carries on. ledger_transaction is not
partitioned: its unique source_key is the ledger's exactly-once guarantee and must hold across months.
Written out here rather than read from the models, so this revision means the same thing later.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = '0022_ledger_partitions'
down_revision: str | None = '0021_kind_training'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = DateTimeUTC(timezone=True)
MONTHS_AHEAD = 3
# table -> (its indexes: name -> columns, its foreign keys: name -> (column, referred table))
LINES = {
    'ledger_entry': (
        {'ix_ledger_entry_account': 'account_id, id', 'ix_ledger_entry_transaction_id': 'transaction_id'},
        {'fk_ledger_entry_transaction_id_ledger_transaction': ('transaction_id', 'ledger_transaction'),
         'fk_ledger_entry_account_id_ledger_account': ('account_id', 'ledger_account')}),
    'ledger_service_credit': (
        {'ix_ledger_service_credit_claim_id': 'claim_id',
         'ix_ledger_service_credit_transaction_id': 'transaction_id',
         'ix_ledger_service_credit_volunteer': 'volunteer_id, service_date',
         'ix_ledger_service_credit_attendance_id': 'attendance_id'},
        {'fk_ledger_service_credit_transaction_id_ledger_transaction': ('transaction_id', 'ledger_transaction')}),
}


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _finish(table: str, primary_key: str) -> None:
    indexes, foreign_keys = LINES[table]
    op.execute(f'ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({primary_key})')
    for name, (column, referred) in foreign_keys.items():
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {referred} (id)')
    for name, columns in indexes.items():
        op.execute(f'CREATE INDEX {name} ON {table} ({columns})')
    op.execute(f'ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id')


def _set_aside(table: str) -> None:
    """Rename the table and free the names its replacement takes (index names are per schema)."""
    indexes, _ = LINES[table]
    op.execute(f'ALTER SEQUENCE {table}_id_seq OWNED BY NONE')
    op.execute(f'ALTER TABLE {table} RENAME TO {table}_old')
    op.execute(f'ALTER TABLE {table}_old DROP CONSTRAINT pk_{table}')
    for name in indexes:
        op.execute(f'DROP INDEX {name}')


def _partition(table: str, months: list[dt.date]) -> None:
    _set_aside(table)
    op.execute(f'CREATE TABLE {table} (LIKE {table}_old INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)')
    op.execute(f'CREATE TABLE {table}_default PARTITION OF {table} DEFAULT')
    for month in months:
        end = (month + dt.timedelta(days=32)).replace(day=1)
        op.execute(f"CREATE TABLE {table}_{month:%Y_%m} PARTITION OF {table} "
                   f"FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') TO ('{end.isoformat()} 00:00:00+00')")
    op.execute(f'INSERT INTO {table} SELECT * FROM {table}_old')
    op.execute(f'DROP TABLE {table}_old')
    _finish(table, 'id, created_at')


def _unpartition(table: str) -> None:
    _set_aside(table)
    op.execute(f'CREATE TABLE {table} (LIKE {table}_old INCLUDING DEFAULTS)')
    op.execute(f'INSERT INTO {table} SELECT * FROM {table}_old')
    op.execute(f'DROP TABLE {table}_old')  # with its partitions
    _finish(table, 'id')


def upgrade() -> None:
    op.create_table('ledger_month_checksum',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('transactions', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False),
    sa.Column('entry_points', sa.BigInteger(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('credit_minutes', sa.BigInteger(), nullable=False),
    sa.Column('credit_points', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('computed_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_ledger_month_checksum'))
    )
    for table in LINES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('created_at', UTC, nullable=True))
        op.execute(f'UPDATE {table} SET created_at = (SELECT t.created_at FROM ledger_transaction t '
                   f'WHERE t.id = {table}.transaction_id)')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('created_at', existing_type=UTC, nullable=False)
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    first, last = bind.execute(sa.text(
        "SELECT min(created_at AT TIME ZONE 'UTC'), max(created_at AT TIME ZONE 'UTC') FROM ledger_transaction")).one()
    today = dt.datetime.now(dt.UTC).date()
    ahead = (today.replace(day=1) + dt.timedelta(days=32 * MONTHS_AHEAD)).replace(day=1)
    months = _months(min(first.date(), today) if first else today, max(last.date(), ahead) if last else ahead)
    for table in LINES:
        _partition(table, months)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in LINES:
            _unpartition(table)
    for table in LINES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('created_at')
    op.drop_table('ledger_month_checksum')
