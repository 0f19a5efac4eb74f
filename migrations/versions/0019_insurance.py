"""Records (issue #20): insurance cover (保险) per volunteer or per activity, the kinds and request categories that
require it; training activities (a training record per attendance) and the community's training rule

Revision ID: 0019_insurance
Revises: 0018_claims_corrections
Create Date: 2026-12-06 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0019_insurance'
down_revision: str | None = '0018_claims_corrections'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table('insurance_cover',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('volunteer_id', BIGINT, nullable=True),
    sa.Column('activity_id', BIGINT, nullable=True),
    sa.Column('insurer', sa.String(length=100), nullable=False),
    sa.Column('policy_number_masked', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('recorded_by_user_id', BIGINT, nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_insurance_cover_activity_id_activity')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_insurance_cover_community_id_community')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['app_user.id'],
                            name=op.f('fk_insurance_cover_recorded_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_insurance_cover_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_cover'))
    )
    with op.batch_alter_table('insurance_cover', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_cover_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index('ix_insurance_cover_volunteer_until', ['volunteer_id', 'valid_until'], unique=False)

    op.create_table('cover_requirement',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('kind_code', sa.String(length=32), nullable=True),
    sa.Column('request_category_id', BIGINT, nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'],
                            name=op.f('fk_cover_requirement_community_id_community')),
    sa.ForeignKeyConstraint(['request_category_id'], ['request_category.id'],
                            name=op.f('fk_cover_requirement_request_category_id_request_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cover_requirement')),
    sa.UniqueConstraint('community_id', 'kind_code', name=op.f('uq_cover_requirement_community_id_kind_code')),
    sa.UniqueConstraint('community_id', 'request_category_id',
                        name=op.f('uq_cover_requirement_community_id_request_category_id'))
    )

    op.create_table('training_rule',
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('earns_points', sa.Boolean(), nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_training_rule_community_id_community')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_training_rule'))
    )

    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.alter_column('recorded_by_user_id', existing_type=BIGINT, nullable=True)
        batch_op.add_column(sa.Column('attendance_id', BIGINT, nullable=True))
        batch_op.add_column(sa.Column('activity_id', BIGINT, nullable=True))
        batch_op.add_column(sa.Column('posted_points', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_unique_constraint(batch_op.f('uq_training_record_attendance_id'), ['attendance_id'])
        batch_op.create_foreign_key(batch_op.f('fk_training_record_attendance_id_attendance'), 'attendance',
                                    ['attendance_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_training_record_activity_id_activity'), 'activity',
                                    ['activity_id'], ['id'])
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.alter_column('posted_points', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_training_record_activity_id_activity'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_training_record_attendance_id_attendance'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_training_record_attendance_id'), type_='unique')
        batch_op.drop_column('posted_points')
        batch_op.drop_column('activity_id')
        batch_op.drop_column('attendance_id')
        batch_op.alter_column('recorded_by_user_id', existing_type=BIGINT, nullable=False)
    op.drop_table('training_rule')
    op.drop_table('cover_requirement')
    with op.batch_alter_table('insurance_cover', schema=None) as batch_op:
        batch_op.drop_index('ix_insurance_cover_volunteer_until')
        batch_op.drop_index(batch_op.f('ix_insurance_cover_activity_id'))
    op.drop_table('insurance_cover')
