"""reads at city scale: per-community period totals, the 台账's covering indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_community_period_total',
    sa.Column('community_id', sa.BigInteger(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('minutes', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('volunteers', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', 'period', name=op.f('pk_ledger_community_period_total'))
    )
    # The sums of the period totals already kept (ledger/community_totals.py: rebuild_community_totals).
    op.execute(
        "INSERT INTO ledger_community_period_total (community_id, period, minutes, points, volunteers) "
        "SELECT v.community_id, t.period, SUM(t.minutes), SUM(t.points), "
        "SUM(CASE WHEN t.minutes > 0 THEN 1 ELSE 0 END) "
        "FROM ledger_period_total t JOIN volunteer v ON v.id = t.volunteer_id GROUP BY v.community_id, t.period")
    with op.batch_alter_table('ledger_attendance_posting', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_attendance_posting_scope',
                              ['community_id', 'service_date', 'attendance_id', 'minutes'], unique=False)

    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_community_status'))
        batch_op.create_index('ix_volunteer_community_status_created', ['community_id', 'status', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_index('ix_volunteer_community_status_created')
        batch_op.create_index(batch_op.f('ix_volunteer_community_status'), ['community_id', 'status'], unique=False)

    with op.batch_alter_table('ledger_attendance_posting', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_attendance_posting_scope')

    op.drop_table('ledger_community_period_total')
