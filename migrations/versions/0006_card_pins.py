"""card pins: a printed card spends points at a store till only with the volunteer's PIN

Revision ID: 0006_card_pins
Revises: 0005_login_claims
Create Date: 2026-12-06 03:31:10.767896
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0006_card_pins'
down_revision: str | None = '0005_login_claims'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('volunteer_card_pin',
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pin_hash', sa.String(length=256), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('set_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('set_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['set_by_user_id'], ['app_user.id'], name=op.f('fk_volunteer_card_pin_set_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_card_pin_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('volunteer_id', name=op.f('pk_volunteer_card_pin'))
    )


def downgrade() -> None:
    op.drop_table('volunteer_card_pin')
