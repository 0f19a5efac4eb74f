"""Response shapes of qualifications, built from the service: the API and the pages share them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import local_date
from servicebank.records import qualifications
from servicebank.records.models import KindQualification, VolunteerQualification
from servicebank.records.schemas import QualificationIn, QualificationOut, RequirementOut


def state_of(row: VolunteerQualification, *, today: dt.date) -> str:
    """What the certificate counts for today."""
    if row.valid_until < today:
        return "expired"
    if row.verified_at is None:
        return "unchecked"
    if row.valid_until <= today + dt.timedelta(days=qualifications.REMIND_DAYS):
        return "expiring"
    return "valid"


async def present(session: AsyncSession, rows: Sequence[VolunteerQualification],
                  community_id: int) -> list[QualificationOut]:
    names = {t.code: t.name for t in await qualifications.types_for(session, community_id=community_id)}
    today = local_date(session, utcnow())
    return [QualificationOut(id=r.id, volunteer_id=r.volunteer_id, qualification_code=r.qualification_code,
                             name=names.get(r.qualification_code, r.qualification_code), issuer=r.issuer,
                             number_masked=r.number_masked, valid_until=r.valid_until, verified_at=r.verified_at,
                             verified_by_user_id=r.verified_by_user_id, state=state_of(r, today=today))
            for r in rows]


async def of_volunteer(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> list[QualificationOut]:
    rows = await qualifications.of_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    community_id = rows[0].community_id if rows else principal.volunteer_community_id or 0
    return await present(session, rows, community_id)


async def add(session: AsyncSession, *, principal: Principal, volunteer_id: int,
              data: QualificationIn) -> QualificationOut:
    row = await qualifications.add(session, principal=principal, volunteer_id=volunteer_id,
                                   qualification_code=data.qualification_code, issuer=data.issuer,
                                   number=data.number, valid_until=data.valid_until)
    return (await present(session, [row], row.community_id))[0]


async def verify(session: AsyncSession, *, principal: Principal, qualification_id: int) -> QualificationOut:
    row = await qualifications.verify(session, principal=principal, qualification_id=qualification_id)
    return (await present(session, [row], row.community_id))[0]


def requirements_out(rows: Sequence[KindQualification]) -> list[RequirementOut]:
    return [RequirementOut(kind=r.kind_code, qualification_code=r.qualification_code) for r in rows]
