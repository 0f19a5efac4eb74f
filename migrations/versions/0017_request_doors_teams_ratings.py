"""Residents' requests: the household's 门牌码 version and position, the geofence radius, dispatching to a team,
how a service was started and finished, and the 评价情况 frozen on a certificate

Revision ID: 0017_request_doors_teams_ratings
Revises: 0016_request_visit_reminders
Create Date: 2026-12-06 13:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0017_request_doors_teams_ratings'
down_revision: str | None = '0016_request_visit_reminders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('honour_certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_summary', advanced_alchemy.types.JsonB, nullable=True))
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('door_code_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
    with op.batch_alter_table('request_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('geofence_metres', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('started_via', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('finished_via', sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_request_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_request_team_id_team'), 'team', ['team_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_request_team_id_team'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_request_team_id'))
        batch_op.drop_column('finished_via')
        batch_op.drop_column('started_via')
        batch_op.drop_column('team_id')
    with op.batch_alter_table('request_policy', schema=None) as batch_op:
        batch_op.drop_column('geofence_metres')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('door_code_version')
    with op.batch_alter_table('honour_certificate', schema=None) as batch_op:
        batch_op.drop_column('rating_summary')
