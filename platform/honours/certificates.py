"""Certificates of volunteer service (志愿服务证明): requested, issued (谁记录谁证明), verified, revoked.

Figures come from the ledger's service credits (`ledger_service_credit`, by service date, as credited at
issue time) and are stored on the certificate, so a re-download shows exactly what was certified.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity, ActivityKind
from servicebank.audit.service import record_audit
from servicebank.checkins.models import Attendance
from servicebank.honours.access import require_community_manager
from servicebank.honours.models import Certificate, CertificateCounter, CertificateStatus
from servicebank.honours.schemas import CertificateCheckOut, ContentOut
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.kernel.text import mask_name
from servicebank.ledger import carry
from servicebank.ledger.models import ServiceCredit
from servicebank.org.models import Community
from servicebank.requests import ratings
from servicebank.volunteers.identity import mask_id_number
from servicebank.volunteers.models import Volunteer

# No 0/O, 1/I/L: codes are read off paper and typed in.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
OTHER_SERVICE = "其他服务"


def _not_found() -> NotFound:
    return NotFound("No such certificate.", code="certificate_not_found")


def check_period(start: dt.date, end: dt.date, *, today: dt.date) -> None:
    if start > end:
        raise InvalidInput("The period starts after it ends.", code="invalid_period")
    if end > today:
        raise InvalidInput("A certificate can only cover service up to today.", code="invalid_period")


async def refuse_archived_days(session: AsyncSession, start: dt.date) -> None:
    """A period reaching into a year whose ledger lines were detached (ledger/detach.py) would be certified short:
    its credits are no longer in the ledger tables, so it is refused until the operator attaches the year again."""
    attached_from = await carry.attached_from(session)
    if attached_from is not None and start < attached_from.date():
        raise InvalidInput(f"Service before {attached_from.year} is archived and cannot be certified now.",
                           code="period_archived")


async def service_figures(session: AsyncSession, *, volunteer_id: int, community_id: int, start: dt.date,
                          end: dt.date) -> tuple[int, int, list[dict[str, object]]]:
    """(total minutes, attendances, content by activity kind) credited for service dated in [start, end]."""
    per_attendance = (
        select(ServiceCredit.attendance_id, func.sum(ServiceCredit.minutes).label("minutes"))
        .where(ServiceCredit.volunteer_id == volunteer_id, ServiceCredit.service_date >= start,
               ServiceCredit.service_date <= end)
        .group_by(ServiceCredit.attendance_id)
        .having(func.sum(ServiceCredit.minutes) != 0)
        .subquery()
    )
    rows = (await session.execute(
        select(Activity.kind, func.count(per_attendance.c.attendance_id), func.sum(per_attendance.c.minutes))
        .select_from(per_attendance)
        .outerjoin(Attendance, Attendance.id == per_attendance.c.attendance_id)
        .outerjoin(Activity, Activity.id == Attendance.activity_id)
        .group_by(Activity.kind)
    )).all()
    names: dict[str, str] = dict((await session.execute(
        select(ActivityKind.code, ActivityKind.name).where(
            (ActivityKind.community_id.is_(None)) | (ActivityKind.community_id == community_id))
        .order_by(ActivityKind.community_id.is_(None).desc())  # the community's own name wins
    )).tuples().all())
    content = [{"kind": kind or "", "name": names.get(kind, kind) if kind else OTHER_SERVICE, "count": int(count),
                "minutes": int(minutes)} for kind, count, minutes in rows]
    content.sort(key=lambda c: (-int(c["minutes"]), str(c["kind"])))
    total = sum(int(c["minutes"]) for c in content)
    return total, sum(int(c["count"]) for c in content), content


async def next_number(session: AsyncSession, *, community: Community, year: int) -> str:
    """ZYFW-<community code>-<year>-<5-digit sequence>, unique; the counter row serialises issuers."""
    for _ in range(3):
        bumped = await session.scalar(
            update(CertificateCounter)
            .where(CertificateCounter.community_id == community.id, CertificateCounter.year == year)
            .values(last_value=CertificateCounter.last_value + 1)
            .returning(CertificateCounter.last_value))
        if bumped is not None:
            return f"ZYFW-{community.code}-{year}-{bumped:05d}"
        try:
            async with session.begin_nested():
                await session.execute(insert(CertificateCounter).values(community_id=community.id, year=year,
                                                                        last_value=0))
        except IntegrityError:
            pass  # another issuer created it first; bump theirs
    raise Conflict("Could not allocate a certificate number; please try again.", code="certificate_number_busy")


async def _volunteer_in(session: AsyncSession, volunteer_id: int, community_id: int) -> Volunteer:
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.community_id != community_id:
        raise NotFound("No such volunteer in this community.", code="volunteer_not_found")
    return volunteer


def _masked_id(volunteer: Volunteer) -> str | None:
    if volunteer.id_number_masked:
        return volunteer.id_number_masked
    return None if not volunteer.id_number_last4 else mask_id_number("*" * 14 + volunteer.id_number_last4)


async def _fill(session: AsyncSession, cert: Certificate, *, principal: Principal, person_in_charge: str | None,
                contact_phone: str | None, now: dt.datetime, timezone: str) -> Certificate:
    """Freeze the figures and the required fields on the certificate and number it."""
    community = await session.get(Community, cert.community_id)
    volunteer = await _volunteer_in(session, cert.volunteer_id, cert.community_id)
    assert community is not None
    await refuse_archived_days(session, cert.period_start)  # also a request made before its year was detached
    total, count, content = await service_figures(session, volunteer_id=volunteer.id, community_id=community.id,
                                                  start=cert.period_start, end=cert.period_end)
    if total <= 0:
        raise InvalidInput("No service hours were credited to this volunteer in the period.",
                           code="no_service_in_period")
    person = (person_in_charge or principal.display_name or "").strip()
    if not 1 <= len(person) <= 64:
        raise InvalidInput("Name the person in charge (1 to 64 characters).", code="invalid_person_in_charge")
    issue_date = now.astimezone(ZoneInfo(timezone)).date()
    cert.number = await next_number(session, community=community, year=issue_date.year)
    cert.verification_code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    cert.volunteer_name, cert.id_type, cert.id_number_masked = volunteer.real_name, volunteer.id_type, \
        _masked_id(volunteer)
    cert.volunteer_number = volunteer.number
    cert.total_minutes, cert.attendance_count, cert.content = total, count, content
    tz = ZoneInfo(timezone)
    rated = await ratings.received(session, volunteer_id=volunteer.id,
                                   served_from=dt.datetime.combine(cert.period_start, dt.time(), tz),
                                   served_before=dt.datetime.combine(cert.period_end + dt.timedelta(days=1), dt.time(),
                                                                     tz))
    cert.rating_summary = rated.as_dict() if rated else None
    cert.issuer_name, cert.person_in_charge = community.name, person
    cert.contact_phone = (contact_phone or community.contact_phone or "").strip() or None
    cert.public_consent = volunteer.public_consent
    cert.status, cert.issued_at, cert.issue_date = CertificateStatus.ISSUED, now, issue_date
    cert.issued_by_user_id = principal.user_id
    await session.flush()
    await record_audit(session, actor=principal, action="certificate.issue", entity_type="certificate",
                       entity_id=cert.id, community_id=cert.community_id,
                       after={"number": cert.number, "total_minutes": total})
    await record_event(session, "certificate.issued", {"certificate_id": cert.id, "volunteer_id": cert.volunteer_id})
    return cert


async def issue(session: AsyncSession, *, principal: Principal, community_id: int, volunteer_id: int,
                period_start: dt.date, period_end: dt.date, person_in_charge: str | None = None,
                contact_phone: str | None = None, purpose: str | None = None, timezone: str,
                now: dt.datetime | None = None) -> Certificate:
    """An organiser issues a certificate for a volunteer of their community."""
    require_community_manager(principal, community_id)
    now = now or dt.datetime.now(dt.UTC)
    check_period(period_start, period_end, today=now.astimezone(ZoneInfo(timezone)).date())
    await _volunteer_in(session, volunteer_id, community_id)
    cert = Certificate(community_id=community_id, volunteer_id=volunteer_id, status=CertificateStatus.REQUESTED,
                       period_start=period_start, period_end=period_end, purpose=(purpose or "").strip() or None)
    session.add(cert)
    await session.flush()
    return await _fill(session, cert, principal=principal, person_in_charge=person_in_charge,
                       contact_phone=contact_phone, now=now, timezone=timezone)


async def request(session: AsyncSession, *, principal: Principal, period_start: dt.date, period_end: dt.date,
                  purpose: str | None, timezone: str, now: dt.datetime | None = None) -> Certificate:
    """A volunteer asks their community for a certificate; an organiser issues (or rejects) it."""
    volunteer_id = principal.require_active_volunteer()
    volunteer = await session.get(Volunteer, volunteer_id)
    assert volunteer is not None
    now = now or dt.datetime.now(dt.UTC)
    check_period(period_start, period_end, today=now.astimezone(ZoneInfo(timezone)).date())
    await refuse_archived_days(session, period_start)
    open_request = await session.scalar(select(Certificate.id).where(
        Certificate.volunteer_id == volunteer_id, Certificate.status == CertificateStatus.REQUESTED))
    if open_request is not None:
        raise Conflict("You already have a certificate request waiting for your organiser.",
                       code="certificate_request_pending")
    cert = Certificate(community_id=volunteer.community_id, volunteer_id=volunteer_id,
                       status=CertificateStatus.REQUESTED, period_start=period_start, period_end=period_end,
                       purpose=(purpose or "").strip()[:200] or None, requested_at=now)
    session.add(cert)
    await session.flush()
    return cert


async def get_for_manager(session: AsyncSession, *, principal: Principal, certificate_id: int,
                          for_update: bool = False) -> Certificate:
    cert = await session.get(Certificate, certificate_id, with_for_update=for_update)
    if cert is None or not principal.manages(cert.community_id):
        raise _not_found()
    return cert


async def get_for_reader(session: AsyncSession, *, principal: Principal, certificate_id: int) -> Certificate:
    """The certificate for its volunteer or the community's organisers."""
    cert = await session.get(Certificate, certificate_id)
    if cert is None or (cert.volunteer_id != principal.volunteer_id and not principal.manages(cert.community_id)):
        raise _not_found()
    return cert


async def issue_requested(session: AsyncSession, *, principal: Principal, certificate_id: int,
                          person_in_charge: str | None, contact_phone: str | None, timezone: str) -> Certificate:
    """Issue a certificate a volunteer requested."""
    cert = await get_for_manager(session, principal=principal, certificate_id=certificate_id, for_update=True)
    if cert.status != CertificateStatus.REQUESTED:
        raise Conflict(f"This certificate is {cert.status}, not a waiting request.", code="certificate_not_requested")
    return await _fill(session, cert, principal=principal, person_in_charge=person_in_charge,
                       contact_phone=contact_phone, now=dt.datetime.now(dt.UTC), timezone=timezone)


async def close(session: AsyncSession, *, principal: Principal, certificate_id: int, reason: str) -> Certificate:
    """Revoke an issued certificate, or reject a waiting request; the reason is kept and audited."""
    cert = await get_for_manager(session, principal=principal, certificate_id=certificate_id, for_update=True)
    reason = reason.strip()
    if not 2 <= len(reason) <= 500:
        raise InvalidInput("Give a reason (2 to 500 characters).", code="invalid_reason")
    if cert.status == CertificateStatus.ISSUED:
        cert.status, cert.revoked_at, cert.revoked_by_user_id = CertificateStatus.REVOKED, dt.datetime.now(dt.UTC), \
            principal.user_id
    elif cert.status == CertificateStatus.REQUESTED:
        cert.status = CertificateStatus.REJECTED
    else:
        raise Conflict(f"This certificate is already {cert.status}.", code="certificate_closed")
    cert.status_reason = reason
    await session.flush()
    await record_audit(session, actor=principal, action=f"certificate.{cert.status}", entity_type="certificate",
                       entity_id=cert.id, community_id=cert.community_id, reason=reason)
    return cert


async def list_certificates(session: AsyncSession, *, principal: Principal, community_id: int | None,
                            status: str | None) -> list[Certificate]:
    """A community's certificates (organisers), or the caller's own (volunteers, no community given)."""
    query = select(Certificate).order_by(Certificate.id.desc()).limit(500)
    if community_id is None:
        query = query.where(Certificate.volunteer_id == principal.require_volunteer())
    else:
        require_community_manager(principal, community_id)
        query = query.where(Certificate.community_id == community_id)
    if status:
        query = query.where(Certificate.status == status)
    return list((await session.scalars(query)).all())


async def verify(session: AsyncSession, *, number: str, code: str) -> tuple[Certificate, bool]:
    """The certificate behind a number and its verification code, and whether its volunteer consents to
    being shown; a wrong code looks exactly like an unknown number."""
    cert = await session.scalar(select(Certificate).where(Certificate.number == number.strip().upper()))
    if cert is None or not cert.verification_code or not hmac.compare_digest(
            cert.verification_code.encode(), code.strip().upper().encode()):
        raise _not_found()
    consent = await session.scalar(select(Volunteer.public_consent).where(Volunteer.id == cert.volunteer_id))
    return cert, bool(consent)


def content_out(cert: Certificate) -> list[ContentOut]:
    """The certificate's service content: each kind with its count and minutes."""
    return [ContentOut(kind=str(c["kind"]), name=str(c["name"]), count=int(c["count"]), minutes=int(c["minutes"]))
            for c in cert.content or []]


async def public_check(session: AsyncSession, *, number: str, code: str) -> CertificateCheckOut:
    """What anyone holding the paper may confirm (the API and the /verify page): genuine or withdrawn, who
    issued it and when; the volunteer's masked name, period and hours only with their consent."""
    cert, consent = await verify(session, number=number, code=code)
    genuine = cert.status == CertificateStatus.ISSUED
    out = CertificateCheckOut(
        genuine=genuine, status=cert.status, number=cert.number or "", issuer_name=cert.issuer_name,
        issue_date=cert.issue_date, message="该证明真实有效。" if genuine else "该证明已被出具单位作废。")
    if consent and genuine:
        out.volunteer_name = mask_name(cert.volunteer_name or "")
        out.period_start, out.period_end = cert.period_start, cert.period_end
        out.total_minutes, out.content = cert.total_minutes, content_out(cert)
    return out
