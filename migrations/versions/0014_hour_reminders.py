"""The reminder an hour before an activity: when it was recorded

Revision ID: 0014_hour_reminders
Revises: 0013_one_time_codes
Create Date: 2026-12-06 11:15:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0014_hour_reminders'
down_revision: str | None = '0013_one_time_codes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hour_reminder_sent_at',
                                      advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_column('hour_reminder_sent_at')
