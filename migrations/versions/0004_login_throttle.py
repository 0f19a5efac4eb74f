"""login throttle: one counted row per account and per address instead of a row per failure

Revision ID: 0004_login_throttle
Revises: 0003
Create Date: 2026-12-06 04:05:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0004_login_throttle'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('blocked_until', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_login_at')
        batch_op.drop_index('ix_login_attempt_ip_at')
    op.drop_table('login_attempt')


def downgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('login_key', sa.String(length=128), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.Column('at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_ip_at', ['client_ip', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_login_at', ['login_key', 'at'], unique=False)
    op.drop_table('login_throttle')
