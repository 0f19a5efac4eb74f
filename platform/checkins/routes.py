"""HTTP API of check-in and check-out, kiosk codes, personal cards and the organiser's review."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import provide_principal, token_from_request
from servicebank.accounts.principal import Principal
from servicebank.checkins import kiosk, records, review
from servicebank.checkins import repository as repo
from servicebank.checkins.rules import aware
from servicebank.checkins.schemas import (
    AdjustIn,
    AdjustmentOut,
    AttendanceOut,
    BulkApproveIn,
    BulkApproveOut,
    CardOut,
    CardReissueIn,
    DecisionIn,
    DeclineIn,
    LiveCountOut,
    ManualRecordIn,
    NoShowIn,
    PolicyIn,
    PolicyOut,
    ScanOut,
    ScanRequest,
)
from servicebank.checkins.service import (
    Scanner,
    ScanResult,
    check_in,
    check_out,
    scanner_for_card,
    scanner_for_volunteer,
)
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.kernel.qr import ImageFormat, qr_image
from servicebank.ratelimit import rate_limit_guard


def attendance_out(row: Any, **extra: Any) -> AttendanceOut:
    """An attendance (ORM object or plain row) as the API shows it."""
    return AttendanceOut(
        id=row.id, activity_id=row.activity_id, volunteer_id=row.volunteer_id, community_id=row.community_id,
        status=row.status, checked_in_at=row.checked_in_at and aware(row.checked_in_at),
        checked_out_at=row.checked_out_at and aware(row.checked_out_at), served_minutes=row.served_minutes,
        service_date=row.service_date, revision=row.revision, proxy_by_user_id=row.proxy_by_user_id,
        checkout_proxy_by_user_id=row.checkout_proxy_by_user_id, flags=list(row.flags or []),
        distance_m=row.distance_m, decided_by_user_id=row.decided_by_user_id,
        decided_at=row.decided_at and aware(row.decided_at), **extra)


def _image(data: str, fmt: str) -> Response[bytes]:
    body, media_type = qr_image(data, fmt)
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})


async def _proxy(request: Request, db_session: AsyncSession, settings: Settings, data: ScanRequest) -> Scanner | None:
    """The scanned card's (or picked) volunteer with the staff member signing them; None for an own scan."""
    if data.volunteer_card is None and data.volunteer_id is None:
        if data.over_capacity:
            raise InvalidInput("over_capacity is for an organiser signing someone in (代签).", code="invalid_input")
        return None
    if data.volunteer_card is not None and data.volunteer_id is not None:
        raise InvalidInput("Send volunteer_card or volunteer_id, not both.", code="invalid_input")
    staff = await provide_principal(request, db_session)
    if data.volunteer_id is not None:
        return await scanner_for_volunteer(db_session, volunteer_id=data.volunteer_id, staff=staff,
                                           over_capacity=data.over_capacity)
    return await scanner_for_card(db_session, settings=settings, card=data.volunteer_card or "", staff=staff,
                                  over_capacity=data.over_capacity)


def _scan_response(result: ScanResult) -> Response[ScanOut]:
    body = ScanOut(attendance=attendance_out(result.attendance), created=result.created, message=result.message)
    return Response(body, status_code=201 if result.created else 200)


# Generous enough for a team leader signing in a queue of elderly volunteers (代签), tight enough
# to stop a script hammering the busiest endpoint with one login.
SCAN_LIMIT = rate_limit_guard("scan", limit=120, window_seconds=60, what="scans")


class ScanController(Controller):
    path = "/api"
    tags = ["check-in"]

    @post("/check-ins", guards=[SCAN_LIMIT])
    async def check_in(self, request: Request, data: ScanRequest, db_session: AsyncSession) -> Response[ScanOut]:
        """Check in by scanning the kiosk code: the volunteer's own session, or staff with `volunteer_card` (代签).

        201 with the new record; 200 with the existing one when the volunteer was already checked in.
        """
        settings: Settings = request.app.state.settings
        # A volunteer's own scan resolves the login inside the scan's one query (the busiest request we serve).
        scanner = await _proxy(request, db_session, settings, data)
        result = await check_in(db_session, settings=settings, token=data.token, scanner=scanner, now=utcnow(),
                                bearer=token_from_request(request),
                                expected_activity_id=data.activity_id, latitude=data.latitude,
                                longitude=data.longitude)
        return _scan_response(result)

    @post("/check-outs", guards=[SCAN_LIMIT])
    async def check_out(self, request: Request, data: ScanRequest, db_session: AsyncSession) -> Response[ScanOut]:
        """Check out by scanning the kiosk's check-out code (own session, or staff with `volunteer_card`).

        Minutes count only inside the activity's window. 200 with the existing record when already closed.
        """
        settings: Settings = request.app.state.settings
        scanner = await _proxy(request, db_session, settings, data)
        result = await check_out(db_session, settings=settings, token=data.token, scanner=scanner, now=utcnow(),
                                 bearer=token_from_request(request),
                                 expected_activity_id=data.activity_id)
        return _scan_response(result)


class ActivityAttendanceController(Controller):
    path = "/api/activities/{activity_id:int}"
    tags = ["check-in"]

    @get("/qr")
    async def kiosk_code(self, request: Request, activity_id: int, db_session: AsyncSession, principal: Principal,
                         purpose: Literal["check-in", "check-out"] = "check-in",
                         format_: Annotated[ImageFormat, QueryParameter(name="format")] = "json") -> Response[Any]:
        """The kiosk's current code (staff of the community): token, URL and expiry, or the QR image."""
        code = await kiosk.kiosk_code(db_session, settings=request.app.state.settings, activity_id=activity_id,
                                      purpose=purpose, principal=principal, now=utcnow())
        if format_ == "json":
            return Response(code, headers={"Cache-Control": "no-store"})
        return _image(code.url, format_)

    @get("/attendance/live")
    async def live(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> LiveCountOut:
        """Live count for the kiosk: on site now, came and left, expected."""
        return await kiosk.live_count(db_session, activity_id=activity_id, principal=principal, now=utcnow())

    @get("/attendance")
    async def list_attendance(self, activity_id: int, db_session: AsyncSession, principal: Principal,
                              status: str | None = None) -> list[AttendanceOut]:
        """Every attendance of the activity with the volunteer's name (staff of the community)."""
        rows = await records.of_activity(db_session, principal=principal, activity_id=activity_id, status=status)
        return [attendance_out(att, volunteer_name=name, volunteer_number=number) for att, name, number in rows]

    @post("/attendance/approve", status_code=200)
    async def bulk_approve(self, activity_id: int, data: BulkApproveIn, db_session: AsyncSession,
                           principal: Principal) -> BulkApproveOut:
        """Approve every closed record (or the listed ones); flagged records only with include_flagged."""
        approved, skipped = await review.bulk_approve(
            db_session, activity_id=activity_id, principal=principal, now=utcnow(),
            attendance_ids=data.attendance_ids, include_flagged=data.include_flagged)
        return BulkApproveOut(approved=approved, skipped=skipped)

    @post("/attendance/no-show", status_code=200)
    async def no_show(self, activity_id: int, data: NoShowIn, db_session: AsyncSession,
                      principal: Principal) -> AttendanceOut:
        """Record that a volunteer did not come (organisers)."""
        att = await review.mark_no_show(db_session, activity_id=activity_id, volunteer_id=data.volunteer_id,
                                        principal=principal, reason=data.reason, now=utcnow())
        return attendance_out(att)

    @post("/attendance/manual", status_code=201)
    async def manual(self, activity_id: int, data: ManualRecordIn, db_session: AsyncSession,
                     principal: Principal) -> AttendanceOut:
        """补录: record and approve attendance of a volunteer who could not scan (organisers, with a reason)."""
        att = await review.manual_record(db_session, activity_id=activity_id, volunteer_id=data.volunteer_id,
                                         principal=principal, checked_in_at=data.checked_in_at,
                                         checked_out_at=data.checked_out_at, reason=data.reason, now=utcnow())
        return attendance_out(att)

    @get("/checkin-policy")
    async def get_policy(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> PolicyOut:
        """The activity's check-in rules: geofence, opening time, grace, walk-ins."""
        return await kiosk.get_policy(db_session, activity_id=activity_id, principal=principal)

    @put("/checkin-policy")
    async def set_policy(self, activity_id: int, data: PolicyIn, db_session: AsyncSession,
                         principal: Principal) -> PolicyOut:
        """Set the activity's check-in rules (organisers)."""
        return await kiosk.set_policy(db_session, activity_id=activity_id, data=data, principal=principal,
                                      now=utcnow())


class AttendanceController(Controller):
    path = "/api/attendance"
    tags = ["check-in"]

    @get("/mine")
    async def mine(self, db_session: AsyncSession, principal: Principal,
                   limit: int = Parameter(default=50, ge=1, le=500)) -> list[AttendanceOut]:
        """The caller's own attendance records, newest first."""
        volunteer_id = principal.require_volunteer()
        rows = await records.service_record(db_session, volunteer_id=volunteer_id, limit=limit)
        return [attendance_out(att, activity_title=title) for att, title in rows]

    @get("/{attendance_id:int}")
    async def get_one(self, attendance_id: int, db_session: AsyncSession, principal: Principal) -> AttendanceOut:
        """One attendance: for the volunteer themself and staff of the community."""
        return attendance_out(await _visible(db_session, attendance_id, principal))

    @get("/{attendance_id:int}/history")
    async def history(self, attendance_id: int, db_session: AsyncSession,
                      principal: Principal) -> list[AdjustmentOut]:
        """Every change after the scans: who, when, why, before and after."""
        await _visible(db_session, attendance_id, principal)
        return [AdjustmentOut(id=a.id, attendance_id=a.attendance_id, at=aware(a.at), actor_user_id=a.actor_user_id,
                              actor_name=a.actor_name, action=a.action, reason=a.reason, before=a.before,
                              after=a.after, revision=a.revision)
                for a in await repo.adjustments(db_session, attendance_id=attendance_id)]

    @post("/{attendance_id:int}/approve", status_code=200)
    async def approve(self, attendance_id: int, data: DecisionIn, db_session: AsyncSession,
                      principal: Principal) -> AttendanceOut:
        """Approve the minutes of a closed record (organisers)."""
        return attendance_out(await review.approve(db_session, attendance_id=attendance_id, principal=principal,
                                                   now=utcnow(), reason=data.reason))

    @post("/{attendance_id:int}/adjust", status_code=200)
    async def adjust(self, attendance_id: int, data: AdjustIn, db_session: AsyncSession,
                     principal: Principal) -> AttendanceOut:
        """Correct the times (with a reason); the corrected record is approved."""
        return attendance_out(await review.adjust(
            db_session, attendance_id=attendance_id, principal=principal, checked_in_at=data.checked_in_at,
            checked_out_at=data.checked_out_at, reason=data.reason, now=utcnow()))

    @post("/{attendance_id:int}/decline", status_code=200)
    async def decline(self, attendance_id: int, data: DeclineIn, db_session: AsyncSession,
                      principal: Principal) -> AttendanceOut:
        """Decline a record (with a reason); an approved one is reversed in the ledger."""
        return attendance_out(await review.decline(db_session, attendance_id=attendance_id, principal=principal,
                                                   reason=data.reason, now=utcnow()))


async def _visible(session: AsyncSession, attendance_id: int, principal: Principal) -> Any:
    att = await repo.get_attendance(session, attendance_id)
    if att is None or not (att.volunteer_id == principal.volunteer_id or principal.works_in(att.community_id)):
        raise NotFound("No such attendance record.", code="attendance_not_found")
    return att


class CardController(Controller):
    path = "/api/volunteers/{volunteer_id:int}/qr-card"
    tags = ["check-in"]

    @get("/")
    async def card(self, request: Request, volunteer_id: int, db_session: AsyncSession, principal: Principal,
                   format_: Annotated[ImageFormat, QueryParameter(name="format")] = "json") -> Response[Any]:
        """The volunteer's personal QR card (JSON, or SVG/PNG to print): the volunteer, the leaders of their teams and
        the organisers of their community; 403 `not_your_volunteer` for other staff of the community."""
        card = await kiosk.get_card(db_session, settings=request.app.state.settings, volunteer_id=volunteer_id,
                                    principal=principal)
        return Response(card) if format_ == "json" else _image(card.token, format_)

    @post("/reissue", status_code=200)
    async def reissue(self, request: Request, volunteer_id: int, data: CardReissueIn, db_session: AsyncSession,
                      principal: Principal) -> CardOut:
        """Revoke every printed card of the volunteer and issue a new one (organisers, with a reason)."""
        return await kiosk.reissue_card(db_session, settings=request.app.state.settings, volunteer_id=volunteer_id,
                                        principal=principal, reason=data.reason)


ROUTES = [ScanController, ActivityAttendanceController, AttendanceController, CardController]
