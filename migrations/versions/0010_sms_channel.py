"""SMS and push channels: deliveries per (event, channel, recipient), per-kind channel choices, 退订 opt-outs,
per-phone counts, browsers' push subscriptions

Revision ID: 0010_sms_channel
Revises: 0009_attendance_posting_by_day
Create Date: 2026-12-06 07:50:36.830766
"""
from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0010_sms_channel'
down_revision: str | None = '0009_attendance_posting_by_day'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sms_opt_out',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('opted_out_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_opt_out'))
    )
    op.create_table('sms_rate_count',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('window', sa.String(length=8), nullable=False),
    sa.Column('window_start', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('phone', 'window', 'window_start', name=op.f('pk_sms_rate_count'))
    )
    with op.batch_alter_table('sms_rate_count', schema=None) as batch_op:
        batch_op.create_index('ix_sms_rate_count_window_start', ['window_start'], unique=False)

    op.create_table('channel_delivery',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_event_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('volunteer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('params', advanced_alchemy.types.JsonB, nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('not_before', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('provider_ref', sa.String(length=100), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('sent_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('status_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_channel_delivery_user_id_app_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_channel_delivery_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_delivery')),
    sa.UniqueConstraint('source_event_id', 'channel', 'recipient', name=op.f('uq_channel_delivery_source_event_id_channel_recipient'))
    )
    with op.batch_alter_table('channel_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_channel_delivery_due', ['channel', 'status', 'not_before', 'id'], unique=False)

    op.create_table('push_subscription',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('endpoint', sa.String(length=1000), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('gone_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_push_subscription_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscription_endpoint'))
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_push_subscription_user', ['user_id'], unique=False)

    op.create_table('notification_channel_choice',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_channel_choice_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'kind', 'channel', name=op.f('pk_notification_channel_choice'))
    )


def downgrade() -> None:
    op.drop_table('notification_channel_choice')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_push_subscription_user')

    op.drop_table('push_subscription')
    with op.batch_alter_table('channel_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_delivery_due')

    op.drop_table('channel_delivery')
    with op.batch_alter_table('sms_rate_count', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_rate_count_window_start')

    op.drop_table('sms_rate_count')
    op.drop_table('sms_opt_out')
