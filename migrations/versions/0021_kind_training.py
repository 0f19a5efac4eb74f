"""Records (issue #20): activity kinds and request categories that require a training (培训) of a category,
optionally within the last N months

Revision ID: 0021_kind_training
Revises: 0020_request_queue_order
Create Date: 2026-12-06 17:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021_kind_training'
down_revision: str | None = '0020_request_queue_order'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('training_requirement',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('community_id', BIGINT, nullable=False),
    sa.Column('kind_code', sa.String(length=32), nullable=True),
    sa.Column('request_category_id', BIGINT, nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('within_months', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'],
                            name=op.f('fk_training_requirement_community_id_community')),
    sa.ForeignKeyConstraint(['request_category_id'], ['request_category.id'],
                            name=op.f('fk_training_requirement_request_category_id_request_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_requirement')),
    sa.UniqueConstraint('community_id', 'kind_code', 'category', name='uq_training_requirement_kind'),
    sa.UniqueConstraint('community_id', 'request_category_id', 'category',
                        name='uq_training_requirement_request_category')
    )


def downgrade() -> None:
    op.drop_table('training_requirement')
