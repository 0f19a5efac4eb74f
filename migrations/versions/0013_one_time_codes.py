"""One-time codes by text (login, sign-up phone check, card spend): only their HMAC is kept

Revision ID: 0013_one_time_codes
Revises: 0012_records
Create Date: 2026-12-06 10:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0013_one_time_codes'
down_revision: str | None = '0012_records'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('one_time_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('expires_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('used_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_code'))
    )
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.create_index('ix_one_time_code_phone', ['phone', 'purpose', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_index('ix_one_time_code_phone')
    op.drop_table('one_time_code')
