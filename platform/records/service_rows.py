"""The service records as they count now, one row per record: approved attendance, approved late claims (as their
latest accepted correction left them) and residents' requests served. The queries behind the 志愿服务记录表, the
organisation-wide export and the 台账's late-claim figures (reports/repository.py), so all three count the same.

What counts now, never an edit: a corrected attendance carries its corrected times and the ledger's current figure
(`ledger_attendance_posting.minutes`); an attendance moved to another activity is declined (it drops out) and the
new record counts; a corrected claim keeps the claim as sent, while its day, activity and times come from its latest
accepted correction and its minutes from `service_claim.posted_minutes` (what the ledger counts for it after the
reversal and the new posting).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Integer, String, and_, cast, func, literal, null, select, union_all
from sqlalchemy.sql import Select

from servicebank.accounts.models import User
from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.ledger.models import AttendancePosting
from servicebank.org.models import Community
from servicebank.records.models import ClaimStatus, CorrectionStatus, ServiceClaim, ServiceCorrection
from servicebank.requests.models import RequestCategory, RequestRating, ServiceRequest
from servicebank.volunteers.models import Volunteer

ACTIVITY, LATE_CLAIM, REQUEST = "activity", "late_claim", "request"


def _latest_correction(column: Any) -> Any:  # noqa: ANN401
    """`column` of the claim's latest accepted correction (NULL without one), as a correlated scalar subquery."""
    return (select(column).where(ServiceCorrection.claim_id == ServiceClaim.id,
                                 ServiceCorrection.status == CorrectionStatus.ACCEPTED)
            .order_by(ServiceCorrection.decided_at.desc(), ServiceCorrection.id.desc()).limit(1)
            .scalar_subquery())


def claims_now() -> Select[Any]:
    """Approved claims as they count now: id, volunteer, community, activity, day, times, minutes, confirmer."""
    corrected_by = _latest_correction(ServiceCorrection.decided_by_user_id)
    return select(
        ServiceClaim.id.label("record_id"), ServiceClaim.volunteer_id, ServiceClaim.community_id,
        func.coalesce(_latest_correction(ServiceCorrection.activity_id), ServiceClaim.activity_id).label("activity_id"),
        func.coalesce(_latest_correction(ServiceCorrection.service_date), ServiceClaim.service_date).label("service_date"),
        func.coalesce(_latest_correction(ServiceCorrection.started_at), ServiceClaim.started_at).label("started_at"),
        func.coalesce(_latest_correction(ServiceCorrection.ended_at), ServiceClaim.ended_at).label("ended_at"),
        ServiceClaim.posted_minutes.label("minutes"),
        func.coalesce(corrected_by, ServiceClaim.decided_by_user_id).label("confirmed_by_user_id"),
        func.coalesce(_latest_correction(ServiceCorrection.decided_at), ServiceClaim.decided_at).label("confirmed_at"),
        (corrected_by.is_not(None)).label("corrected"),
        ServiceClaim.content, ServiceClaim.place,
    ).where(ServiceClaim.status == ClaimStatus.APPROVED)


def _attendance(communities: list[int] | None, volunteer_id: int | None, start: dt.date | None,
                end: dt.date | None) -> Select[Any]:
    query = (select(
        literal(ACTIVITY).label("record_type"), Attendance.id.label("record_id"), Attendance.volunteer_id,
        Attendance.community_id, Attendance.activity_id, Attendance.service_date,
        Attendance.checked_in_at.label("started_at"), Attendance.checked_out_at.label("ended_at"),
        func.coalesce(AttendancePosting.minutes, 0).label("minutes"),
        # A scan approved on its own was confirmed by whoever runs the activity (its organiser opened the scan code).
        func.coalesce(Attendance.decided_by_user_id, Activity.created_by_user_id).label("confirmed_by_user_id"),
        func.coalesce(Attendance.decided_at, Attendance.checked_out_at, Attendance.checked_in_at).label("confirmed_at"),
        (Attendance.revision > 0).label("corrected"),
        Activity.title.label("title"), Activity.description.label("content"), Activity.address.label("place"),
        Activity.kind.label("kind"), cast(null(), Integer).label("rating_stars"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .outerjoin(AttendancePosting, AttendancePosting.attendance_id == Attendance.id)
        .where(Attendance.status == AttendanceStatus.APPROVED))
    return _limited(query, Attendance.community_id, Attendance.volunteer_id, Attendance.service_date,
                    communities, volunteer_id, start, end)


def _claims(communities: list[int] | None, volunteer_id: int | None, start: dt.date | None,
            end: dt.date | None) -> Select[Any]:
    now = claims_now().subquery("claim_now")
    query = (select(
        literal(LATE_CLAIM).label("record_type"), now.c.record_id, now.c.volunteer_id, now.c.community_id,
        now.c.activity_id, now.c.service_date, now.c.started_at, now.c.ended_at, now.c.minutes,
        now.c.confirmed_by_user_id, now.c.confirmed_at, now.c.corrected,
        func.coalesce(Activity.title, literal("补录：组织外服务")).label("title"), now.c.content.label("content"),
        func.coalesce(func.nullif(now.c.place, ""), Activity.address, literal("")).label("place"),
        func.coalesce(Activity.kind, literal(LATE_CLAIM)).label("kind"), cast(null(), Integer).label("rating_stars"))
        .outerjoin(Activity, Activity.id == now.c.activity_id))
    return _limited(query, now.c.community_id, now.c.volunteer_id, now.c.service_date, communities, volunteer_id,
                    start, end)


def _requests(communities: list[int] | None, volunteer_id: int | None, start: dt.date | None,
              end: dt.date | None) -> Select[Any]:
    # A request's local day is not stored, only its local month (`month`); the exact day is worked out in Python
    # from `started_at`, and the month range filters on `month`.
    query = (select(
        literal(REQUEST).label("record_type"), ServiceRequest.id.label("record_id"), ServiceRequest.volunteer_id,
        ServiceRequest.community_id, cast(null(), Integer).label("activity_id"),
        cast(null(), Date).label("service_date"), ServiceRequest.started_at, ServiceRequest.finished_at.label("ended_at"),
        ServiceRequest.posted_minutes.label("minutes"),
        func.coalesce(ServiceRequest.assigned_by_user_id, ServiceRequest.reviewed_by_user_id)
        .label("confirmed_by_user_id"), ServiceRequest.finished_at.label("confirmed_at"),
        literal(False).label("corrected"), RequestCategory.name.label("title"),
        ServiceRequest.description.label("content"), literal("").label("place"), cast(literal(REQUEST), String)
        .label("kind"), RequestRating.stars.label("rating_stars"))
        .join(RequestCategory, RequestCategory.id == ServiceRequest.category_id)
        .outerjoin(RequestRating, RequestRating.request_id == ServiceRequest.id)
        .where(ServiceRequest.transaction_id.is_not(None), ServiceRequest.volunteer_id.is_not(None)))
    if communities is not None:
        query = query.where(ServiceRequest.community_id.in_(communities))
    if volunteer_id is not None:
        query = query.where(ServiceRequest.volunteer_id == volunteer_id)
    if start is not None and end is not None:
        last = end - dt.timedelta(days=1)
        query = query.where(ServiceRequest.month >= f"{start.year}-{start.month:02d}",
                            ServiceRequest.month <= f"{last.year}-{last.month:02d}")
    return query


def _limited(query: Select[Any], community: Any, volunteer: Any, day: Any, communities: list[int] | None,  # noqa: ANN401
             volunteer_id: int | None, start: dt.date | None, end: dt.date | None) -> Select[Any]:
    conditions = []
    if communities is not None:
        conditions.append(community.in_(communities))
    if volunteer_id is not None:
        conditions.append(volunteer == volunteer_id)
    if start is not None and end is not None:
        conditions += [day >= start, day < end]
    return query.where(and_(*conditions)) if conditions else query


def records_statement(*, communities: list[int] | None = None, volunteer_id: int | None = None,
                      start: dt.date | None = None, end: dt.date | None = None,
                      types: tuple[str, ...] = (ACTIVITY, LATE_CLAIM, REQUEST)) -> Select[Any]:
    """Every record that counts now in these communities / of this volunteer with a day in [start, end), with the
    volunteer's identity, the recording organisation and the confirmer's name, oldest first (a stable order)."""
    parts = {ACTIVITY: _attendance, LATE_CLAIM: _claims, REQUEST: _requests}
    rows = union_all(*(parts[t](communities, volunteer_id, start, end) for t in types)).subquery("service_row")
    return (select(rows, Volunteer.real_name, Volunteer.id_type, Volunteer.id_number_masked,
                   Volunteer.id_number_last4, Volunteer.number.label("volunteer_number"),
                   Community.name.label("community_name"), Community.code.label("community_code"),
                   User.display_name.label("confirmed_by"))
            .join(Volunteer, Volunteer.id == rows.c.volunteer_id)
            .join(Community, Community.id == rows.c.community_id)
            .outerjoin(User, User.id == rows.c.confirmed_by_user_id)
            .order_by(func.coalesce(rows.c.service_date, func.date(rows.c.started_at)), rows.c.record_type,
                      rows.c.record_id))

