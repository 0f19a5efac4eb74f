"""Requests (issue #19): the indexes that serve one phase of a request made partial (the 派单台/接单大厅 queue and
the expiry only waiting requests, the visit reminders only accepted ones, the team index only dispatched ones), so
an accept writes five index entries instead of eight

Revision ID: 0023_request_partial_indexes
Revises: 0022_ledger_partitions
Create Date: 2026-12-06 21:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023_request_partial_indexes'
down_revision: str | None = '0022_ledger_partitions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "status IN ('pending_review', 'awaiting_dispatch', 'open')"
ACCEPTED = "status IN ('accepted')"
QUEUE = ['community_id', 'status', sa.text('urgency DESC'), 'created_at', 'id']


def _where(predicate: str) -> dict[str, sa.TextClause]:
    return {"postgresql_where": sa.text(predicate), "sqlite_where": sa.text(predicate)}


def upgrade() -> None:
    for name in ('ix_service_request_queue', 'ix_service_request_window', 'ix_service_request_visit',
                 'ix_service_request_team_id'):
        op.drop_index(name, table_name='service_request')
    op.create_index('ix_service_request_queue', 'service_request', QUEUE, **_where(WAITING))
    op.create_index('ix_service_request_window', 'service_request', ['window_end'], **_where(WAITING))
    op.create_index('ix_service_request_visit', 'service_request', ['visit_at'], **_where(ACCEPTED))
    op.create_index('ix_service_request_team_id', 'service_request', ['team_id'], **_where("team_id IS NOT NULL"))


def downgrade() -> None:
    for name in ('ix_service_request_queue', 'ix_service_request_window', 'ix_service_request_visit',
                 'ix_service_request_team_id'):
        op.drop_index(name, table_name='service_request')
    op.create_index('ix_service_request_queue', 'service_request', QUEUE)
    op.create_index('ix_service_request_window', 'service_request', ['status', 'window_end'])
    op.create_index('ix_service_request_visit', 'service_request', ['status', 'visit_at'])
    op.create_index('ix_service_request_team_id', 'service_request', ['team_id'])
