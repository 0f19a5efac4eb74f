"""Check-in and check-out by scanning the kiosk code: the volunteer's own phone, or a staff member's phone
scanning the volunteer's personal card (代签). Services flush, never commit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import SignupStatus
from servicebank.audit.service import record_audit
from servicebank.checkins import fast_scan, rules, tokens
from servicebank.checkins import repository as repo
from servicebank.checkins.access import require_proxy_signer
from servicebank.checkins.models import (
    AttendanceAdjustment,
    AttendanceFlag,
    AttendanceStatus,
    GeofenceMode,
)
from servicebank.checkins.self_scan import (
    ACTIVITY,
    APPROVED_EVENT,
    AUTO_APPROVE_REASON,
    CHECK_IN,
    FIRST_SCAN,
    LOGIN,
    VOLUNTEER,
    approved_at_once,
    enforce,
)
from servicebank.config import Settings
from servicebank.kernel.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
)
from servicebank.kernel.events import insert_events
from servicebank.volunteers.repository import team_ids_of


@dataclasses.dataclass(frozen=True)
class Scanner:
    """Who the scan is for, and who scanned: the volunteer themself, or staff holding their card."""

    volunteer_id: int
    volunteer_community_id: int | None
    # Set for a proxy scan (代签): the staff member, checked against the activity's community.
    proxy: Principal | None = None
    card_version: int | None = None
    current_card_version: int | None = None
    # The teams of the card's volunteer: only their leaders (and the community's organisers) sign them in.
    volunteer_team_ids: frozenset[int] = frozenset()
    # An organiser's explicit choice to sign a walk-in in although the activity is full (flagged, audited).
    over_capacity: bool = False


@dataclasses.dataclass(frozen=True)
class ScanResult:
    attendance: Any  # a row with the attendance columns
    created: bool
    message: str
    # The scan context: the activity's title and times, so a page can say what was scanned without a query.
    activity: Any = None


async def scanner_for_card(session: AsyncSession, *, settings: Settings, card: str, staff: Principal,
                           over_capacity: bool = False) -> Scanner:
    """The volunteer on a scanned personal card; the card must be genuine and current."""
    volunteer_id, version = tokens.verify_card_token(card, secret_key=settings.signing_keys())
    volunteer = await repo.get_volunteer(session, volunteer_id)
    if volunteer is None:
        raise tokens.TokenError("This card belongs to no volunteer any more.", code="card_invalid")
    return await _proxy_scanner(session, volunteer, staff=staff, card_version=version, over_capacity=over_capacity)


async def scanner_for_volunteer(session: AsyncSession, *, volunteer_id: int, staff: Principal,
                                over_capacity: bool = False) -> Scanner:
    """代签 without the card: staff picked the volunteer from a lookup. The same rules as a card apply (who may
    sign whom, active volunteer, own community), only there is no card to be revoked."""
    volunteer = await repo.get_volunteer(session, volunteer_id)
    # Unlike a card, an id proves nothing: outsiders learn not even whether the volunteer exists.
    if volunteer is None or not staff.works_in(volunteer.community_id):
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    return await _proxy_scanner(session, volunteer, staff=staff, card_version=volunteer.card_version,
                                over_capacity=over_capacity)


async def _proxy_scanner(session: AsyncSession, volunteer: Any, *, staff: Principal, card_version: int,
                         over_capacity: bool) -> Scanner:
    team_ids = (await team_ids_of(session, [volunteer.id])).get(volunteer.id, [])
    return Scanner(volunteer_id=volunteer.id, volunteer_community_id=volunteer.community_id,
                   proxy=staff, card_version=card_version,
                   current_card_version=volunteer.card_version, volunteer_team_ids=frozenset(team_ids),
                   over_capacity=over_capacity)


def _check_proxy(ctx: Any, scanner: Scanner) -> None:
    """The staff member signing someone in (代签) may sign this volunteer in to this activity."""
    assert scanner.proxy is not None
    require_proxy_signer(scanner.proxy, ctx.community_id)
    if scanner.volunteer_community_id != ctx.community_id:
        raise Forbidden("This card belongs to a volunteer of another community; they check in with their own "
                        "community's activities.", code="card_other_community")
    if not scanner.proxy.speaks_for(community_id=ctx.community_id, team_ids=scanner.volunteer_team_ids):
        raise Forbidden("Only the leaders of this volunteer's teams and the community's organisers can sign them "
                        "in (代签).", code="not_your_volunteer")
    if scanner.card_version != scanner.current_card_version:
        raise Forbidden("This card was revoked (a newer card was issued). Please use the current card.",
                        code="card_revoked")


async def _check_admission(session: AsyncSession, ctx: Any, scanner: Scanner) -> list[str]:
    """Volunteers with a confirmed place may check in; others are walk-ins if the policy allows."""
    if ctx.signup_status == SignupStatus.CONFIRMED:
        return []
    if scanner.proxy is None and scanner.volunteer_community_id != ctx.community_id:
        raise Forbidden("This activity is for volunteers of another community, and you have no confirmed place.",
                        code="volunteer_other_community")
    if ctx.allow_walk_ins is False:
        raise Forbidden("This activity takes only volunteers with a confirmed place. Please sign up first.",
                        code="walk_in_not_allowed")
    if ctx.allow_walk_ins is None and ctx.capacity is not None:
        taken = await repo.places_taken_locked(session, activity_id=ctx.id)
        if taken >= ctx.capacity:
            return [AttendanceFlag.WALK_IN, _over_capacity(ctx, scanner)]
    return [AttendanceFlag.WALK_IN]


def _over_capacity(ctx: Any, scanner: Scanner) -> str:
    """A full activity admits one more walk-in only when an organiser signing them in (代签) chose so."""
    organiser = scanner.proxy is not None and scanner.proxy.manages(ctx.community_id)
    if organiser and not scanner.over_capacity:
        raise Conflict("This activity is full. As an organiser you may still sign them in over the limit "
                       "(over_capacity).", code="activity_full")
    if organiser:
        return AttendanceFlag.OVER_CAPACITY
    if scanner.proxy is not None:
        # A team leader may not go over the limit, whatever they send: the organiser decides.
        raise Conflict("This activity is full. Only the community's organiser can sign someone in over the "
                       "limit; please ask them.", code="activity_full")
    raise Conflict("This activity is full. Please ask the organiser on site.", code="activity_full")


def _check_geofence(ctx: Any, latitude: float | None, longitude: float | None) -> tuple[list[str], int | None]:
    if not ctx.radius_m or ctx.latitude is None or ctx.longitude is None:
        return [], None
    refuse = ctx.geofence_mode == GeofenceMode.REFUSE
    if latitude is None or longitude is None:
        if refuse:
            raise InvalidInput("This activity checks your position. Please allow location access and scan again.",
                               code="location_required")
        return [AttendanceFlag.NO_LOCATION], None
    distance = rules.distance_m(latitude, longitude, ctx.latitude, ctx.longitude)
    if distance <= ctx.radius_m:
        return [], distance
    if refuse:
        raise Forbidden(f"You are about {distance} m from the venue; check-in works within {ctx.radius_m} m.",
                        code="outside_geofence", distance_m=distance, radius_m=ctx.radius_m)
    return [AttendanceFlag.OUTSIDE_GEOFENCE], distance


def _self_scan(ctx: Any, *, now: dt.datetime, at: dt.datetime) -> tuple[Any, Scanner]:
    """A volunteer's own scan: their login and the activity pass the conditions (self_scan.py)."""
    enforce((*LOGIN, *ACTIVITY, *VOLUNTEER), ctx, now=now, at=at)
    return ctx, Scanner(volunteer_id=ctx.volunteer_id, volunteer_community_id=ctx.volunteer_community_id)


def _check_expected(activity_id: int, expected: int | None) -> None:
    if expected is not None and expected != activity_id:
        raise tokens.TokenError("This code belongs to another activity. Please scan the code of this activity.",
                                code="qr_token_other_activity")


async def _context(session: AsyncSession, *, activity_id: int, expected: int | None, scanner: Scanner | None,
                   bearer: str | None, now: dt.datetime, at: dt.datetime) -> tuple[Any, Scanner]:
    """The scan context and who it is for; a volunteer's own scan resolves their login in the same query."""
    _check_expected(activity_id, expected)
    if scanner is None:
        return _self_scan(await repo.self_scan_context(session, bearer=bearer or "", activity_id=activity_id),
                          now=now, at=at)
    ctx = await repo.scan_context(session, activity_id=activity_id, volunteer_id=scanner.volunteer_id)
    enforce(ACTIVITY, ctx, now=now, at=at)
    if scanner.proxy is not None:
        _check_proxy(ctx, scanner)
    enforce(VOLUNTEER, ctx, now=now, at=at)
    return ctx, scanner


async def check_in(session: AsyncSession, *, settings: Settings, token: str, now: dt.datetime,
                   scanner: Scanner | None = None, bearer: str | None = None, expected_activity_id: int | None = None,
                   latitude: float | None = None, longitude: float | None = None,
                   scanned_at: dt.datetime | None = None) -> ScanResult:
    """Record a check-in for the bearer's volunteer (or the scanned card's); a second scan returns the record.

    `scanned_at`: when this browser scanned the code, remembered through a login (web/scan_pass.py); the code
    must have been valid then, and the record carries that time."""
    at = scanned_at or now
    activity_id = tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(now), purpose=tokens.CHECK_IN,
                                            rotation_seconds=settings.qr_rotation_seconds, now=at)
    # The statement checks the login against the check-in time: a remembered scan takes the general path.
    if scanner is None and scanned_at is None and fast_scan.available(session):
        # One round trip: the statement records the common case itself and returns the context for the rest.
        _check_expected(activity_id, expected_activity_id)
        placeholder = repo.fresh_attendance(activity_id=activity_id, volunteer_id=0, community_id=0, at=now,
                                            service_date=dt.date.min, flags=[], distance=None, proxy_user_id=None,
                                            now=now)
        ctx = await fast_scan.self_check_in(session, bearer=bearer or "", activity_id=activity_id, now=now,
                                            timezone=settings.timezone, values=placeholder)
        if ctx is not None and ctx.new_attendance_id is not None:
            values = {**placeholder, "volunteer_id": ctx.volunteer_id, "community_id": ctx.community_id,
                      "service_date": ctx.new_service_date}
            return ScanResult(_Row(id=ctx.new_attendance_id, **values), True, "Checked in.", ctx)
        ctx, scanner = _self_scan(ctx, now=now, at=at)
    else:
        ctx, scanner = await _context(session, activity_id=activity_id, expected=expected_activity_id,
                                      scanner=scanner, bearer=bearer, now=now, at=at)
    if enforce(CHECK_IN, ctx, now=now, at=at) is FIRST_SCAN:  # already checked in: the first scan's record
        return ScanResult(await repo.attendance_row(session, ctx.attendance_id), False, "Already checked in.", ctx)
    flags = await _check_admission(session, ctx, scanner)
    geo_flags, distance = _check_geofence(ctx, latitude, longitude)
    flags += geo_flags
    if scanner.proxy is not None:
        flags.append(AttendanceFlag.PROXY_CHECK_IN)
    values = repo.fresh_attendance(activity_id=activity_id, volunteer_id=scanner.volunteer_id,
                                   community_id=ctx.community_id, at=at,
                                   service_date=rules.service_date(ctx.starts_at, settings.timezone), flags=flags,
                                   distance=distance, proxy_user_id=scanner.proxy.user_id if scanner.proxy else None,
                                   now=now)
    attendance_id = await repo.insert_attendance(session, values)
    if attendance_id is None:  # a simultaneous scan of the same person won the unique key
        existing = await repo.attendance_row_for(session, activity_id=activity_id, volunteer_id=scanner.volunteer_id)
        return ScanResult(existing, False, "Already checked in.", ctx)
    if scanner.proxy is not None:
        over = AttendanceFlag.OVER_CAPACITY in flags
        await record_audit(session, actor=scanner.proxy, action="attendance.proxy_check_in",
                           entity_type="attendance", entity_id=attendance_id, community_id=ctx.community_id,
                           after={"volunteer_id": scanner.volunteer_id, "activity_id": activity_id, "at": at,
                                  **({"over_capacity": True} if over else {})},
                           reason="Signed in over the activity's capacity by an organiser." if over else None)
    return ScanResult(_Row(id=attendance_id, **values), True, "Checked in.", ctx)


async def check_out(session: AsyncSession, *, settings: Settings, token: str, now: dt.datetime,
                    scanner: Scanner | None = None, bearer: str | None = None,
                    expected_activity_id: int | None = None, scanned_at: dt.datetime | None = None) -> ScanResult:
    """Close the volunteer's attendance; minutes count only inside the activity window. `scanned_at` as for
    check_in: the record closes at the time of the scan."""
    at = scanned_at or now
    activity_id = tokens.verify_kiosk_token(token, secret_key=settings.signing_keys(now), purpose=tokens.CHECK_OUT,
                                            rotation_seconds=settings.qr_rotation_seconds, now=at)
    if scanner is None and scanned_at is None and fast_scan.available(session):
        # One round trip: the statement closes an open record itself (self_scan.SELF_CHECK_OUT), approving it when
        # its kind approves at once, and returns the context either way. The checks are the general path's; anything
        # else (nothing to close, a record closed already or meanwhile) goes on below with what was read.
        _check_expected(activity_id, expected_activity_id)
        found = await fast_scan.self_check_out(session, bearer=bearer or "", activity_id=activity_id, now=now)
        ctx, scanner = _self_scan(found[0] if found else None, now=now, at=at)
        if found is not None and found[1] is not None:
            approved = found[1].status == AttendanceStatus.APPROVED
            return ScanResult(found[1], True, "Checked out and approved." if approved else "Checked out.", ctx)
        if ctx.attendance_id is None:
            raise _not_checked_in()
    else:
        ctx, scanner = await _context(session, activity_id=activity_id, expected=expected_activity_id,
                                      scanner=scanner, bearer=bearer, now=now, at=at)
    if ctx.attendance_id is None:
        raise _not_checked_in()
    current = await repo.checkout_state(session, attendance_id=ctx.attendance_id, community_id=ctx.community_id,
                                        kind=ctx.kind)
    if current is None:  # the context found the record in this transaction; nothing can have removed it
        raise _not_checked_in()
    if current.status != AttendanceStatus.CHECKED_IN:
        return ScanResult(current, False, "Already checked out.", ctx)
    values = _closing_values(ctx, checked_in_at=current.checked_in_at, flags=current.flags, at=at,
                             proxy=scanner.proxy)
    auto = approved_at_once(kind_auto_approves=current.kind_auto_approves, flags=values["flags"])
    if auto:
        values.update(status=AttendanceStatus.APPROVED, revision=current.revision + 1, decided_at=now)
    row = await repo.close_open(session, attendance_id=current.id, values=values)
    if row is None:
        return ScanResult(await repo.attendance_row(session, current.id), False, "Already checked out.", ctx)
    if auto:
        after = {"status": AttendanceStatus.APPROVED, "served_minutes": values["served_minutes"],
                 "checked_in_at": current.checked_in_at, "checked_out_at": at}
        session.add(AttendanceAdjustment(attendance_id=current.id, at=now, action="auto_approve",
                                         before=None, after=snapshot_times(after), revision=values["revision"],
                                         reason=AUTO_APPROVE_REASON))
        # The ledger's cue; a check-out that waits for review has no event (the organiser's decision will).
        await insert_events(session, [(APPROVED_EVENT, {"attendance_id": current.id,
                                                        "revision": values["revision"]})], now=now)
    if scanner.proxy is not None:
        await record_audit(session, actor=scanner.proxy, action="attendance.proxy_check_out",
                           entity_type="attendance", entity_id=current.id, community_id=ctx.community_id,
                           after={"volunteer_id": scanner.volunteer_id, "activity_id": activity_id, "at": now})
    await session.flush()
    return ScanResult(row, True, "Checked out and approved." if auto else "Checked out.", ctx)


def _not_checked_in() -> Conflict:
    return Conflict("You have not checked in to this activity, so there is nothing to check out of.",
                    code="not_checked_in")


def _closing_values(ctx: Any, *, checked_in_at: dt.datetime, flags: list[str] | None, at: dt.datetime,
                    proxy: Principal | None) -> dict[str, Any]:
    """What closing an open record writes (repository.CLOSING_COLUMNS); minutes count inside the window."""
    return {
        "checked_out_at": at, "status": AttendanceStatus.CHECKED_OUT,
        "flags": [*(flags or []), *([AttendanceFlag.PROXY_CHECK_OUT] if proxy is not None else [])],
        "served_minutes": rules.served_minutes(checked_in_at=rules.aware(checked_in_at), checked_out_at=at,
                                               starts_at=rules.aware(ctx.starts_at), ends_at=rules.aware(ctx.ends_at)),
        "checkout_proxy_by_user_id": proxy.user_id if proxy else None,
    }


def snapshot_times(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of the fields an adjustment history keeps."""
    return {k: v.isoformat() if isinstance(v, (dt.datetime, dt.date)) else v for k, v in values.items()}


class _Row:
    """A just-inserted attendance as attributes, so the response needs no second query."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


__all__ = ["ScanResult", "Scanner", "check_in", "check_out", "scanner_for_card", "scanner_for_volunteer",
           "snapshot_times"]
