"""Qualifications with expiry (急救证, 健康证…): types per community, what activity kinds require, a volunteer's
certificates with an organiser's check, and the reminder 30 days before one expires.

Services flush, never commit. Every organiser's change is audited."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.kinds import resolve_kind
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.records import repository as repo
from servicebank.records.access import readable_volunteer
from servicebank.records.catalogue import DEFAULT_TYPES
from servicebank.records.models import KindQualification, QualificationType, VolunteerQualification

REMIND_DAYS = 30
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclasses.dataclass(frozen=True)
class TypeView:
    code: str
    name: str
    custom: bool


def mask_number(number: str) -> str:
    """Keep the first two and last four characters (like ID numbers on display); short numbers keep the last two."""
    number = re.sub(r"\s+", "", number)
    keep_head, keep_tail = (2, 4) if len(number) > 8 else (0, 2)
    hidden = len(number) - keep_head - keep_tail
    return number[:keep_head] + "*" * hidden + number[len(number) - keep_tail:]


async def types_for(session: AsyncSession, *, community_id: int) -> list[TypeView]:
    """The default types and the community's own (its name wins for a default code), by code."""
    own = {t.code: t.name for t in await repo.qualification_types(session, community_id)}
    names = {**DEFAULT_TYPES, **own}
    return [TypeView(code=c, name=names[c], custom=c in own) for c in sorted(names)]


async def list_types(session: AsyncSession, *, principal: Principal, community_id: int) -> list[TypeView]:
    """The community's qualification types, for its members."""
    principal.require_member(community_id)
    return await types_for(session, community_id=community_id)


async def _require_type(session: AsyncSession, community_id: int, code: str) -> str:
    if code not in {t.code for t in await types_for(session, community_id=community_id)}:
        raise InvalidInput(f"Unknown qualification {code!r}; see the community's qualification types.",
                           code="unknown_qualification")
    return code


async def add_type(session: AsyncSession, *, principal: Principal, community_id: int, code: str,
                   name: str) -> TypeView:
    """An organiser adds a type, or renames a default one for the community (same code)."""
    principal.require_manager(community_id)
    code, name = code.strip().lower(), name.strip()
    if not _CODE.match(code) or not name or len(name) > 64:
        raise InvalidInput("A type needs a code of 2-32 lower-case letters, digits or underscores and a name of "
                           "1-64 characters.", code="invalid_qualification_type")
    existing = {t.code: t for t in await repo.qualification_types(session, community_id)}
    row = existing.get(code) or QualificationType(community_id=community_id, code=code, name=name)
    row.name = name
    session.add(row)
    await session.flush()
    await record_audit(session, actor=principal, action="qualification_type.save", entity_type="qualification_type",
                       entity_id=row.id, community_id=community_id, after=snapshot(row))
    return TypeView(code=code, name=name, custom=True)


async def list_requirements(session: AsyncSession, *, principal: Principal,
                            community_id: int) -> Sequence[KindQualification]:
    """Which activity kinds of the community require which qualification."""
    principal.require_member(community_id)
    return await repo.requirements(session, community_id)


async def set_requirement(session: AsyncSession, *, principal: Principal, community_id: int, kind_code: str,
                          qualification_code: str, required: bool) -> Sequence[KindQualification]:
    """An organiser makes a kind require a qualification, or lifts the requirement (audited)."""
    principal.require_manager(community_id)
    await resolve_kind(session, community_id=community_id, code=kind_code)
    await _require_type(session, community_id, qualification_code)
    current = {(r.kind_code, r.qualification_code): r for r in await repo.requirements(session, community_id)}
    row = current.get((kind_code, qualification_code))
    if required and row is None:
        session.add(KindQualification(community_id=community_id, kind_code=kind_code,
                                      qualification_code=qualification_code))
    elif not required and row is not None:
        await session.delete(row)  # a rule, not a record: lifting it leaves the audit entry below
    await session.flush()
    await record_audit(session, actor=principal, action="kind_qualification.require" if required
                       else "kind_qualification.lift", entity_type="activity_kind", entity_id=kind_code,
                       community_id=community_id, after={"qualification_code": qualification_code})
    return await repo.requirements(session, community_id)


async def of_volunteer(session: AsyncSession, *, principal: Principal,
                       volunteer_id: int) -> Sequence[VolunteerQualification]:
    """A volunteer's qualifications, soonest expiry first (the volunteer and their organisers)."""
    await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    return await repo.qualifications_of(session, volunteer_id=volunteer_id)


async def add(session: AsyncSession, *, principal: Principal, volunteer_id: int, qualification_code: str,
              issuer: str, number: str, valid_until: dt.date, now: dt.datetime | None = None) -> VolunteerQualification:
    """Record a certificate. An organiser entering it has seen it (checked now); a volunteer's own entry waits
    for an organiser's check. Only the masked number is kept."""
    now = now or utcnow()
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    await _require_type(session, volunteer.community_id, qualification_code)
    issuer, number = issuer.strip(), re.sub(r"\s+", "", number)
    if not issuer or len(issuer) > 100 or not 4 <= len(number) <= 40:
        raise InvalidInput("Give the issuer (up to 100 characters) and the certificate number (4-40 characters).",
                           code="invalid_qualification")
    if valid_until < local_date(session, now):
        raise InvalidInput("This certificate has already expired.", code="qualification_expired")
    checked = principal.manages(volunteer.community_id)
    row = VolunteerQualification(
        volunteer_id=volunteer.id, community_id=volunteer.community_id, qualification_code=qualification_code,
        issuer=issuer, number_masked=mask_number(number), valid_until=valid_until, created_at=now,
        verified_by_user_id=principal.user_id if checked else None, verified_at=now if checked else None)
    session.add(row)
    await session.flush()
    await record_audit(session, actor=principal, action="qualification.create", entity_type="volunteer_qualification",
                       entity_id=row.id, community_id=volunteer.community_id, after=snapshot(row))
    return row


async def verify(session: AsyncSession, *, principal: Principal, qualification_id: int,
                 now: dt.datetime | None = None) -> VolunteerQualification:
    """An organiser records that they saw the certificate; checking it again changes nothing."""
    row = await session.get(VolunteerQualification, qualification_id)
    if row is None or not principal.belongs_to(row.community_id):
        raise NotFound("No such qualification.", code="qualification_not_found")
    principal.require_manager(row.community_id)
    if row.verified_at is None:
        row.verified_at, row.verified_by_user_id = now or utcnow(), principal.user_id
        await session.flush()
        await record_audit(session, actor=principal, action="qualification.verify",
                           entity_type="volunteer_qualification", entity_id=row.id, community_id=row.community_id,
                           after=snapshot(row))
    return row


async def remind_expiring(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """One `qualification.expiring` per checked certificate within 30 days of its end (once per valid-until)."""
    today = local_date(session, now or utcnow())
    due = await repo.claim_due_reminders(session, today=today, until=today + dt.timedelta(days=REMIND_DAYS))
    for qualification_id, volunteer_id in due:
        await record_event(session, "qualification.expiring",
                           {"qualification_id": qualification_id, "volunteer_id": volunteer_id})
    return len(due)
