"""Ledger partitions (issue #23): old years detachable. The years detached, and what their lines contributed to
the whole-history figures (balances, period totals, per-attendance, per-claim and per-request postings)

Revision ID: 0024_ledger_year_carry
Revises: 0023_request_partial_indexes
Create Date: 2026-12-06 21:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = '0024_ledger_year_carry'
down_revision: str | None = '0023_request_partial_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_detached_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('detached_at', DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_ledger_detached_year'))
    )
    op.create_table('ledger_year_carry',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('minutes', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'kind', 'subject_id', 'period', name=op.f('pk_ledger_year_carry'))
    )
    op.create_index('ix_ledger_year_carry_subject', 'ledger_year_carry', ['kind', 'subject_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ledger_year_carry_subject', table_name='ledger_year_carry')
    op.drop_table('ledger_year_carry')
    op.drop_table('ledger_detached_year')
