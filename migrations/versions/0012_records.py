"""Records (issue #20): no-shows and the community's no-show policy, held sign-ups (signup.hold_code),
qualification types, what activity kinds require, and volunteers' qualifications with expiry

Revision ID: 0012_records
Revises: 0011_residents_requests
Create Date: 2026-12-06 11:23:46.071821
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op


revision: str = '0012_records'
down_revision: str | None = '0011_residents_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kind_qualification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind_code', sa.String(length=32), nullable=False),
    sa.Column('qualification_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_kind_qualification_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kind_qualification')),
    sa.UniqueConstraint('community_id', 'kind_code', 'qualification_code', name=op.f('uq_kind_qualification_community_id_kind_code_qualification_code'))
    )
    op.create_table('no_show_policy',
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('approval_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_no_show_policy_community_id_community')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_no_show_policy'))
    )
    op.create_table('qualification_type',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_qualification_type_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_type')),
    sa.UniqueConstraint('community_id', 'code', name=op.f('uq_qualification_type_community_id_code'))
    )
    with op.batch_alter_table('qualification_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_type_community_id'), ['community_id'], unique=False)

    op.create_table('volunteer_qualification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('qualification_code', sa.String(length=32), nullable=False),
    sa.Column('issuer', sa.String(length=100), nullable=False),
    sa.Column('number_masked', sa.String(length=40), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('verified_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('verified_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_volunteer_qualification_community_id_community')),
    sa.ForeignKeyConstraint(['verified_by_user_id'], ['app_user.id'], name=op.f('fk_volunteer_qualification_verified_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_qualification_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_qualification'))
    )
    with op.batch_alter_table('volunteer_qualification', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_qualification_valid', ['valid_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_qualification_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('no_show',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('signup_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_ended_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('recorded_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('excused_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('excused_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('excuse_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_no_show_activity_id_activity')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_no_show_community_id_community')),
    sa.ForeignKeyConstraint(['excused_by_user_id'], ['app_user.id'], name=op.f('fk_no_show_excused_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['signup_id'], ['signup.id'], name=op.f('fk_no_show_signup_id_signup')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_no_show_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_no_show')),
    sa.UniqueConstraint('signup_id', name=op.f('uq_no_show_signup_id'))
    )
    with op.batch_alter_table('no_show', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_no_show_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index('ix_no_show_volunteer_ended', ['volunteer_id', 'activity_ended_at'], unique=False)

    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_code', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.drop_column('hold_code')

    with op.batch_alter_table('no_show', schema=None) as batch_op:
        batch_op.drop_index('ix_no_show_volunteer_ended')
        batch_op.drop_index(batch_op.f('ix_no_show_activity_id'))

    op.drop_table('no_show')
    with op.batch_alter_table('volunteer_qualification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_qualification_volunteer_id'))
        batch_op.drop_index('ix_volunteer_qualification_valid')

    op.drop_table('volunteer_qualification')
    with op.batch_alter_table('qualification_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_type_community_id'))

    op.drop_table('qualification_type')
    op.drop_table('no_show_policy')
    op.drop_table('kind_qualification')
