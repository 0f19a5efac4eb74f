"""Insured participations (参保服务人次) for the 台账: the period's approved attendances whose volunteer had their own
insurance cover, or whose activity had a group policy, valid on the day of the service (records' `insurance_cover`).

Counted in the 台账's one pass over the period's approved attendance (repository.attendance_figures), over the rows
it reads anyway: one figure for the page, the API and the downloads, read from the records alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select, union

from servicebank.records.models import InsuranceCover


def _covered_by(holder: Any, rows: Any) -> Any:  # noqa: ANN401 - a SQL condition
    return exists().where(holder, InsuranceCover.valid_from <= rows.c.service_date,
                          InsuranceCover.valid_until >= rows.c.service_date)


def insured_count(rows: Any) -> Any:  # noqa: ANN401 - a scalar subquery
    """How many of `rows` (a CTE of attendance_id, volunteer_id, activity_id, service_date; a row without an
    attendance id is a claim, never insured) had cover on their day: their volunteer's own, or their activity's
    group policy.

    Two semi-joins, whose union is counted, rather than an OR of two EXISTS on every row: PostgreSQL then plans
    each as a join and picks by the cover table's statistics (a hash of few covers, or an index probe per row
    among many), where a condition in the row's SELECT list was run once per row and per kind of cover, two
    subplans for each of a community's 2,000 monthly attendances (bench/reads_notes.md)."""
    attended = rows.c.attendance_id.is_not(None)
    by_volunteer = select(rows.c.attendance_id).where(
        attended, _covered_by(InsuranceCover.volunteer_id == rows.c.volunteer_id, rows))
    by_activity = select(rows.c.attendance_id).where(
        attended, _covered_by(InsuranceCover.activity_id == rows.c.activity_id, rows))
    either = union(by_volunteer, by_activity).subquery("insured")
    return select(func.count()).select_from(either).scalar_subquery()
