"""family links: who may give points to whom (ledger_family_link)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:04:10.650732
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_family_link',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relative_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_pair', sa.String(length=41), nullable=True),
    sa.Column('confirmed_by_organiser', sa.Boolean(), nullable=False),
    sa.Column('requested_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('requested_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('confirmed_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('confirmed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('ended_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('ended_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_user_id'], ['app_user.id'], name=op.f('fk_ledger_family_link_confirmed_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['ended_by_user_id'], ['app_user.id'], name=op.f('fk_ledger_family_link_ended_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['relative_id'], ['volunteer.id'], name=op.f('fk_ledger_family_link_relative_id_volunteer')),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['app_user.id'], name=op.f('fk_ledger_family_link_requested_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_ledger_family_link_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_family_link')),
    # Set only while the link is requested or confirmed: one open link per pair, ended ones kept as history.
    sa.UniqueConstraint('open_pair', name=op.f('uq_ledger_family_link_open_pair'))
    )
    with op.batch_alter_table('ledger_family_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_family_link_relative_id'), ['relative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_family_link_volunteer_id'), ['volunteer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_family_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_family_link_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_family_link_relative_id'))

    op.drop_table('ledger_family_link')
