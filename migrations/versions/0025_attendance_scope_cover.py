"""The 台账's attendance index covers what the report reads (issue #18): on PostgreSQL ix_attendance_community_date
includes status, activity_id, volunteer_id and id, so a community's approved attendance of a period is read from
the index alone (an index-only scan) instead of one heap page per row

Revision ID: 0025_attendance_scope_cover
Revises: 0024_ledger_year_carry
Create Date: 2026-12-06 22:00:00

SQLite has no INCLUDE: nothing changes there. The new index is built before the old one is dropped, so the
table is never without one.
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0025_attendance_scope_cover'
down_revision: str | None = '0024_ledger_year_carry'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'ix_attendance_community_date'
COVERED = ['status', 'activity_id', 'volunteer_id', 'id']


def _replace(include: list[str]) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_attendance_community_date_new', 'attendance', ['community_id', 'service_date'],
                    unique=False, postgresql_include=include)
    op.drop_index(NAME, table_name='attendance')
    op.execute(f'ALTER INDEX ix_attendance_community_date_new RENAME TO {NAME}')


def upgrade() -> None:
    _replace(COVERED)


def downgrade() -> None:
    _replace([])
