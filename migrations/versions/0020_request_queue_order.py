"""Requests (issue #18): the queue index in the lists' order (urgency descending, oldest first, id), so the
接单大厅 and the 派单台 read a page without sorting every open request of the community

Revision ID: 0020_request_queue_order
Revises: 0019_insurance
Create Date: 2026-12-06 17:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020_request_queue_order'
down_revision: str | None = '0019_insurance'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_service_request_queue', table_name='service_request')
    op.create_index('ix_service_request_queue', 'service_request',
                    ['community_id', 'status', sa.text('urgency DESC'), 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_service_request_queue', table_name='service_request')
    op.create_index('ix_service_request_queue', 'service_request',
                    ['community_id', 'status', 'urgency', 'created_at'], unique=False)
