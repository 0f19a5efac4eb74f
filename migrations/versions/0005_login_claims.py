"""login claims: a known phone's sign-up waits for an organiser (volunteer_login_claim)

Revision ID: 0005_login_claims
Revises: 0004_login_throttle
Create Date: 2026-12-06 03:45:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0005_login_claims'
down_revision: str | None = '0004_login_throttle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('volunteer_login_claim',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('claimed_name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('decided_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_volunteer_login_claim_community_id_community')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['app_user.id'], name=op.f('fk_volunteer_login_claim_decided_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_login_claim_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_login_claim'))
    )
    with op.batch_alter_table('volunteer_login_claim', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_login_claim_community_status', ['community_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_login_claim_volunteer_id'), ['volunteer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('volunteer_login_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_login_claim_volunteer_id'))
        batch_op.drop_index('ix_volunteer_login_claim_community_status')

    op.drop_table('volunteer_login_claim')
