"""short redemption codes: 6 digits a volunteer can read aloud, stored as a keyed hash, spent once

Revision ID: 0008_short_redemption_codes
Revises: 0007_honour_versions
Create Date: 2026-12-06 04:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0008_short_redemption_codes'
down_revision: str | None = '0007_honour_versions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "used_at IS NULL AND cancelled_at IS NULL"


def upgrade() -> None:
    op.create_table('store_redemption_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('expires_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('used_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('cancelled_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_store_redemption_code_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_redemption_code'))
    )
    op.create_index('ix_store_redemption_code_expires', 'store_redemption_code', ['expires_at'], unique=False)
    op.create_index('ix_store_redemption_code_volunteer', 'store_redemption_code', ['volunteer_id'], unique=False)
    op.create_index('uq_store_redemption_code_live_hash', 'store_redemption_code', ['code_hash'], unique=True,
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))


def downgrade() -> None:
    op.drop_index('uq_store_redemption_code_live_hash', table_name='store_redemption_code')
    op.drop_index('ix_store_redemption_code_volunteer', table_name='store_redemption_code')
    op.drop_index('ix_store_redemption_code_expires', table_name='store_redemption_code')
    op.drop_table('store_redemption_code')
