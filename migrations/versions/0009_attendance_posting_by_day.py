"""attendance postings indexed by (volunteer, day): the tally's daily-cap read no longer scans a volunteer's history

Revision ID: 0009_attendance_posting_by_day
Revises: 0008_short_redemption_codes
Create Date: 2026-12-06 08:45:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0009_attendance_posting_by_day'
down_revision: str | None = '0008_short_redemption_codes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_attendance_posting', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_attendance_posting_volunteer_day', ['volunteer_id', 'service_date'],
                              unique=False)
        batch_op.drop_index('ix_ledger_attendance_posting_volunteer_id')


def downgrade() -> None:
    with op.batch_alter_table('ledger_attendance_posting', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_attendance_posting_volunteer_id', ['volunteer_id'], unique=False)
        batch_op.drop_index('ix_ledger_attendance_posting_volunteer_day')
