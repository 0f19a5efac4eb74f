"""Insurance cover (保险): a volunteer's own policy or an activity's group policy, which activity kinds and resident-
request categories require cover, and the check the sign-up and the acceptance of a request ask (records/gates.py).

A patrol at night, clearing snow, care at home: when something goes wrong the volunteer must have been insured on
the day. The organiser records the policy they have seen (insurer, number, the days it covers); only the masked
number is kept. Services flush, never commit; every change is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import Forbidden, InvalidInput, NotFound
from servicebank.records import insurance_repository as repo
from servicebank.records.access import readable_volunteer
from servicebank.records.models import CoverRequirement, InsuranceCover
from servicebank.records.qualifications import mask_number
from servicebank.records.requirement_targets import check_target

# Within this many days of its end a policy shows as expiring (the organiser renews it in time).
EXPIRING_DAYS = 30


@dataclasses.dataclass(frozen=True)
class CoverIn:
    insurer: str
    # The full policy number is read once, masked, and never stored.
    policy_number: str
    valid_from: dt.date
    valid_until: dt.date


def state_of(row: InsuranceCover, *, today: dt.date) -> str:
    """What the policy covers today: upcoming, valid, expiring (within 30 days) or expired."""
    if row.valid_until < today:
        return "expired"
    if row.valid_from > today:
        return "upcoming"
    return "expiring" if row.valid_until <= today + dt.timedelta(days=EXPIRING_DAYS) else "valid"


def _checked(data: CoverIn, *, today: dt.date) -> tuple[str, str]:
    insurer, number = data.insurer.strip(), re.sub(r"\s+", "", data.policy_number)
    if not insurer or len(insurer) > 100 or not 4 <= len(number) <= 40 or data.valid_from > data.valid_until \
            or data.valid_until < today:
        raise InvalidInput("Give the insurer (up to 100 characters), the policy number (4-40 characters) and the "
                           "days it covers (from, until; not already over).", code="invalid_cover")
    return insurer, mask_number(number)


async def _record(session: AsyncSession, principal: Principal, row: InsuranceCover, data: CoverIn,
                  now: dt.datetime) -> InsuranceCover:
    row.insurer, row.policy_number_masked = _checked(data, today=local_date(session, now))
    row.valid_from, row.valid_until = data.valid_from, data.valid_until
    row.recorded_by_user_id, row.created_at = principal.user_id, now
    session.add(row)
    await session.flush()
    await record_audit(session, actor=principal, action="insurance_cover.record", entity_type="insurance_cover",
                       entity_id=row.id, community_id=row.community_id, after=snapshot(row))
    return row


async def record_for_volunteer(session: AsyncSession, *, principal: Principal, volunteer_id: int, data: CoverIn,
                               now: dt.datetime | None = None) -> InsuranceCover:
    """An organiser of the volunteer's community records the volunteer's own policy."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    principal.require_manager(volunteer.community_id)
    return await _record(session, principal, InsuranceCover(community_id=volunteer.community_id,
                                                            volunteer_id=volunteer.id), data, now or utcnow())


async def _managed_activity(session: AsyncSession, principal: Principal, activity_id: int) -> Activity:
    activity = await session.get(Activity, activity_id)
    if activity is None or not principal.belongs_to(activity.community_id):
        raise NotFound("No such activity.", code="activity_not_found")
    principal.require_manager(activity.community_id)
    return activity


async def record_for_activity(session: AsyncSession, *, principal: Principal, activity_id: int, data: CoverIn,
                              now: dt.datetime | None = None) -> InsuranceCover:
    """An organiser records a group policy covering everyone who takes part in the activity."""
    activity = await _managed_activity(session, principal, activity_id)
    return await _record(session, principal, InsuranceCover(community_id=activity.community_id,
                                                            activity_id=activity.id), data, now or utcnow())


async def of_volunteer(session: AsyncSession, *, principal: Principal,
                       volunteer_id: int) -> Sequence[InsuranceCover]:
    """The volunteer's own policies (the volunteer, organisers of their community)."""
    await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    return await repo.covers_of_volunteer(session, volunteer_id)


async def of_activity(session: AsyncSession, *, principal: Principal, activity_id: int) -> Sequence[InsuranceCover]:
    """The activity's group policies (organisers of its community)."""
    await _managed_activity(session, principal, activity_id)
    return await repo.covers_of_activity(session, activity_id)


async def list_requirements(session: AsyncSession, *, principal: Principal,
                            community_id: int) -> Sequence[CoverRequirement]:
    principal.require_member(community_id)
    return await repo.requirements(session, community_id)


async def set_requirement(session: AsyncSession, *, principal: Principal, community_id: int, kind_code: str | None,
                          request_category_id: int | None, required: bool) -> Sequence[CoverRequirement]:
    """An organiser makes an activity kind or a request category require cover, or lifts it (audited)."""
    principal.require_manager(community_id)
    await check_target(session, community_id=community_id, kind_code=kind_code,
                       request_category_id=request_category_id, code="cover_requirement_target")
    current = {(r.kind_code, r.request_category_id): r for r in await repo.requirements(session, community_id)}
    row = current.get((kind_code, request_category_id))
    if required and row is None:
        session.add(CoverRequirement(community_id=community_id, kind_code=kind_code,
                                     request_category_id=request_category_id))
    elif not required and row is not None:
        await session.delete(row)  # a rule, not a record: lifting it leaves the audit entry below
    await session.flush()
    await record_audit(session, actor=principal, action="cover_requirement.require" if required
                       else "cover_requirement.lift", entity_type="cover_requirement",
                       entity_id=kind_code or request_category_id, community_id=community_id,
                       after={"kind_code": kind_code, "request_category_id": request_category_id})
    return await repo.requirements(session, community_id)


def uninsured(*, what: str, on: dt.date, **names: str | int) -> Forbidden:
    """The one refusal for a volunteer without cover on the day (`insurance_required`, nothing written)."""
    extra: dict[str, Any] = {"missing": ["insurance"], "on": on.isoformat(), **names}
    return Forbidden(f"This {what} requires insurance cover valid on {on.isoformat()}: the volunteer has no policy "
                     "of their own for that day and there is no group policy. Ask the organiser to record the cover.",
                     code="insurance_required", **extra)


async def check_activity(session: AsyncSession, *, activity: Activity, volunteer_id: int) -> None:
    """Refuse a sign-up when the activity's kind requires cover that neither the volunteer nor the activity has."""
    if not await repo.kind_requires(session, community_id=activity.community_id, kind_code=activity.kind):
        return
    on = local_date(session, activity.starts_at)
    if not await repo.is_covered(session, volunteer_id=volunteer_id, on=on, activity_id=activity.id):
        raise uninsured(what="activity", on=on, kind=activity.kind)


async def check_request(session: AsyncSession, *, community_id: int, category_id: int, volunteer_id: int,
                        on: dt.date) -> None:
    """Refuse taking a request whose category requires cover the volunteer lacks on the visit's day."""
    if not await repo.category_requires(session, community_id=community_id, category_id=category_id):
        return
    if not await repo.is_covered(session, volunteer_id=volunteer_id, on=on):
        raise uninsured(what="request", on=on, request_category_id=category_id)
