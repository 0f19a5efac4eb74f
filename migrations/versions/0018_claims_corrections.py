"""Records (issue #20): late claims (补录) with their evidence photos, ledger credits naming a claim,
corrections on request, and training records (培训情况)

Revision ID: 0018_claims_corrections
Revises: 0017_request_doors_teams_ratings
Create Date: 2026-12-06 14:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0018_claims_corrections'
down_revision: str | None = '0017_request_doors_teams_ratings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table('service_claim',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('volunteer_id', BIGINT, nullable=False),
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('activity_id', BIGINT, nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('content', sa.String(length=1000), nullable=False),
    sa.Column('started_at', UTC, nullable=False),
    sa.Column('ended_at', UTC, nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('served_minutes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_user_id', BIGINT, nullable=True),
    sa.Column('decided_at', UTC, nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('transaction_id', BIGINT, nullable=True),
    sa.Column('posted_minutes', sa.Integer(), nullable=False),
    sa.Column('posted_points', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_service_claim_activity_id_activity')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_service_claim_community_id_community')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['app_user.id'],
                            name=op.f('fk_service_claim_decided_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transaction.id'],
                            name=op.f('fk_service_claim_transaction_id_ledger_transaction')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_service_claim_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_claim'))
    )
    with op.batch_alter_table('service_claim', schema=None) as batch_op:
        batch_op.create_index('ix_service_claim_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_claim_volunteer_id'), ['volunteer_id'], unique=False)
        batch_op.create_index('uq_service_claim_live_activity', ['volunteer_id', 'activity_id'], unique=True,
                              postgresql_where=sa.text("status <> 'declined' AND activity_id IS NOT NULL"),
                              sqlite_where=sa.text("status <> 'declined' AND activity_id IS NOT NULL"))
    op.create_table('service_claim_photo',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('claim_id', BIGINT, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['service_claim.id'], name=op.f('fk_service_claim_photo_claim_id_service_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_claim_photo')),
    sa.UniqueConstraint('claim_id', 'position', name=op.f('uq_service_claim_photo_claim_id_position'))
    )
    with op.batch_alter_table('ledger_service_credit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ledger_service_credit_claim_id'), ['claim_id'], unique=False)
    op.create_table('service_correction',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('volunteer_id', BIGINT, nullable=False),
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('attendance_id', BIGINT, nullable=True),
    sa.Column('claim_id', BIGINT, nullable=True),
    sa.Column('activity_id', BIGINT, nullable=True),
    sa.Column('started_at', UTC, nullable=False),
    sa.Column('ended_at', UTC, nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_user_id', BIGINT, nullable=True),
    sa.Column('decided_at', UTC, nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('service_date', sa.Date(), nullable=True),
    sa.Column('reversal_transaction_id', BIGINT, nullable=True),
    sa.Column('posting_transaction_id', BIGINT, nullable=True),
    sa.Column('new_attendance_id', BIGINT, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_service_correction_activity_id_activity')),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendance.id'],
                            name=op.f('fk_service_correction_attendance_id_attendance')),
    sa.ForeignKeyConstraint(['claim_id'], ['service_claim.id'], name=op.f('fk_service_correction_claim_id_service_claim')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'],
                            name=op.f('fk_service_correction_community_id_community')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['app_user.id'],
                            name=op.f('fk_service_correction_decided_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['new_attendance_id'], ['attendance.id'],
                            name=op.f('fk_service_correction_new_attendance_id_attendance')),
    sa.ForeignKeyConstraint(['posting_transaction_id'], ['ledger_transaction.id'],
                            name=op.f('fk_service_correction_posting_transaction_id_ledger_transaction')),
    sa.ForeignKeyConstraint(['reversal_transaction_id'], ['ledger_transaction.id'],
                            name=op.f('fk_service_correction_reversal_transaction_id_ledger_transaction')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_service_correction_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_correction'))
    )
    with op.batch_alter_table('service_correction', schema=None) as batch_op:
        batch_op.create_index('ix_service_correction_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_correction_volunteer_id'), ['volunteer_id'], unique=False)
        batch_op.create_index('uq_service_correction_pending_attendance', ['attendance_id'], unique=True,
                              postgresql_where=sa.text("status = 'pending' AND attendance_id IS NOT NULL"),
                              sqlite_where=sa.text("status = 'pending' AND attendance_id IS NOT NULL"))
        batch_op.create_index('uq_service_correction_pending_claim', ['claim_id'], unique=True,
                              postgresql_where=sa.text("status = 'pending' AND claim_id IS NOT NULL"),
                              sqlite_where=sa.text("status = 'pending' AND claim_id IS NOT NULL"))


    op.create_table('training_record',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('volunteer_id', BIGINT, nullable=False),
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=100), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('recorded_by_user_id', BIGINT, nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_training_record_community_id_community')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['app_user.id'],
                            name=op.f('fk_training_record_recorded_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_training_record_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_record'))
    )
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.create_index('ix_training_record_volunteer_day', ['volunteer_id', 'trained_on'], unique=False)


def downgrade() -> None:
    op.drop_table('training_record')
    op.drop_table('service_correction')
    with op.batch_alter_table('ledger_service_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_service_credit_claim_id'))
        batch_op.drop_column('claim_id')
    op.drop_table('service_claim_photo')
    with op.batch_alter_table('service_claim', schema=None) as batch_op:
        batch_op.drop_index('uq_service_claim_live_activity')
        batch_op.drop_index(batch_op.f('ix_service_claim_volunteer_id'))
        batch_op.drop_index('ix_service_claim_community_status')
    op.drop_table('service_claim')
