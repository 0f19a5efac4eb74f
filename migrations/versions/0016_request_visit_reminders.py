"""Reminders before a resident request's visit: when the visit is, and when each reminder was recorded

Revision ID: 0016_request_visit_reminders
Revises: 0015_organiser_notices
Create Date: 2026-12-06 13:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0016_request_visit_reminders'
down_revision: str | None = '0015_organiser_notices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ('visit_at', 'reminder_sent_at', 'hour_reminder_sent_at')


def upgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.add_column(sa.Column(name, advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
                                          nullable=True))
        batch_op.create_index('ix_service_request_visit', ['status', 'visit_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_visit')
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
