"""honour list corrections: a version per list, the version an objection was about, the list's team count

Revision ID: 0007_honour_versions
Revises: 0006_card_pins
Create Date: 2026-12-06 04:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_honour_versions'
down_revision: str | None = '0006_card_pins'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lists and objections written before corrections existed are all about version 1.
    with op.batch_alter_table('honour_list', schema=None) as batch_op:
        batch_op.add_column(sa.Column('top_teams', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('honour_objection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('honour_objection', schema=None) as batch_op:
        batch_op.drop_column('list_version')
    with op.batch_alter_table('honour_list', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('top_teams')
