"""Insured participations (参保服务人次) for the 台账: the period's approved attendances whose volunteer had their own
insurance cover, or whose activity had a group policy, valid on the day of the service (records' `insurance_cover`).

Counted in the 台账's one pass over the period's approved attendance (repository.attendance_figures), over the rows
it reads anyway: one figure for the page, the API and the downloads, read from the records alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_

from servicebank.checkins.models import Attendance
from servicebank.records.models import InsuranceCover


def _covered_by(holder):  # noqa: ANN001, ANN202 - a SQL condition
    return exists().where(holder, InsuranceCover.valid_from <= Attendance.service_date,
                          InsuranceCover.valid_until >= Attendance.service_date)


def covered() -> Any:  # noqa: ANN401
    """An attendance row (of a query over `attendance`) was insured on its day: its volunteer's own cover, or its
    activity's group policy, valid on `service_date`."""
    return or_(_covered_by(InsuranceCover.volunteer_id == Attendance.volunteer_id),
               _covered_by(InsuranceCover.activity_id == Attendance.activity_id))
