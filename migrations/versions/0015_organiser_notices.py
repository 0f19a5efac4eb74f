"""Organisers' templated notices to a team or an activity's volunteers

Revision ID: 0015_organiser_notices
Revises: 0014_hour_reminders
Create Date: 2026-12-06 11:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0015_organiser_notices'
down_revision: str | None = '0014_hour_reminders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('organiser_notice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('params', advanced_alchemy.types.JsonB, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('activity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('scope_name', sa.String(length=100), nullable=False),
    sa.Column('sent_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_organiser_notice_activity_id_activity')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_organiser_notice_community_id_community')),
    sa.ForeignKeyConstraint(['sent_by_user_id'], ['app_user.id'], name=op.f('fk_organiser_notice_sent_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_organiser_notice_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organiser_notice'))
    )
    with op.batch_alter_table('organiser_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organiser_notice_community_id'), ['community_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('organiser_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organiser_notice_community_id'))
    op.drop_table('organiser_notice')
