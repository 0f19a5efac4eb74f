"""Trainings (培训) an activity kind or a resident-request category requires: a training of a category (通用, 专业,
岗前), taken ever or within the last N months of the service's day, without which signing up for such an activity
and taking such a request are refused (records/gates.py asks `check_activity` and `check_request`).

A training counts whether an organiser recorded the course or the volunteer attended a training activity
(records/trainings.py, records/training_activities.py); a training activity whose attendance was declined (0 minutes)
does not. Services flush, never commit; setting and lifting a requirement are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import Forbidden, InvalidInput
from servicebank.records import training_requirement_repository as repo
from servicebank.records.models import TrainingCategory, TrainingRequirement
from servicebank.records.record_export_fields import TRAINING_NAMES
from servicebank.records.requirement_targets import check_target

# Ten years: longer than any refresher cycle; "ever" is a requirement without months.
MAX_MONTHS = 120


def earliest_day(requirement: TrainingRequirement, on: dt.date) -> dt.date | None:
    """The first day a training may have been taken to count on day `on` (None: any day before it counts)."""
    return None if requirement.within_months is None else on - relativedelta(months=requirement.within_months)


def wanting(requirements: Iterable[TrainingRequirement], latest: dict[str, dt.date],
            on: dt.date) -> list[TrainingRequirement]:
    """The requirements the volunteer's latest training per category (up to day `on`) does not meet."""
    missing = []
    for requirement in requirements:
        day, earliest = latest.get(requirement.category), earliest_day(requirement, on)
        if day is None or (earliest is not None and day < earliest):
            missing.append(requirement)
    return missing


def untrained(missing: Sequence[TrainingRequirement], *, what: str, on: dt.date, **target: str | int) -> Forbidden:
    """The one refusal for a volunteer without the training required (`training_required`, nothing written)."""
    wanted = [{"category": r.category, "name": TRAINING_NAMES.get(r.category, r.category),
               "within_months": r.within_months} for r in missing]
    said = "; ".join(f"{r.category}" + (f" within the {r.within_months} months before {on.isoformat()}"
                                        if r.within_months is not None else "") for r in missing)
    extra: dict[str, Any] = {"missing": [w["category"] for w in wanted], "missing_names": [w["name"] for w in wanted],
                             "missing_trainings": wanted, "on": on.isoformat(), **target}
    return Forbidden(f"This {what} requires a training the volunteer has not had: {said}. Take the training, or ask "
                     "the organiser to record one already taken.", code="training_required", **extra)


async def check_activity(session: AsyncSession, *, activity: Activity, volunteer_id: int) -> None:
    """Refuse a sign-up when the activity's kind requires a training the volunteer lacks on the activity's day."""
    required = await repo.of_kind(session, community_id=activity.community_id, kind_code=activity.kind)
    if not required:
        return
    on = local_date(session, activity.starts_at)
    missing = wanting(required, await repo.latest_by_category(session, volunteer_id=volunteer_id, on=on), on)
    if missing:
        raise untrained(missing, what="activity", on=on, kind=activity.kind)


async def check_request(session: AsyncSession, *, community_id: int, category_id: int, volunteer_id: int,
                        on: dt.date) -> None:
    """Refuse taking a request whose category requires a training the volunteer lacks on the visit's day."""
    required = await repo.of_request_category(session, community_id=community_id, category_id=category_id)
    if not required:
        return
    missing = wanting(required, await repo.latest_by_category(session, volunteer_id=volunteer_id, on=on), on)
    if missing:
        raise untrained(missing, what="request", on=on, request_category_id=category_id)


async def list_requirements(session: AsyncSession, *, principal: Principal,
                            community_id: int) -> Sequence[TrainingRequirement]:
    """The community's training requirements, for its members."""
    principal.require_member(community_id)
    return await repo.requirements(session, community_id)


async def set_requirement(session: AsyncSession, *, principal: Principal, community_id: int, kind_code: str | None,
                          request_category_id: int | None, category: str, within_months: int | None,
                          required: bool) -> Sequence[TrainingRequirement]:
    """An organiser makes a kind or a request category require a training of `category` (within the last
    `within_months` months, or ever), changes the months, or lifts it (audited)."""
    principal.require_manager(community_id)
    await check_target(session, community_id=community_id, kind_code=kind_code,
                       request_category_id=request_category_id, code="training_requirement_target")
    if category not in TrainingCategory.ALL or (within_months is not None and not 1 <= within_months <= MAX_MONTHS):
        raise InvalidInput(f"Give the training category (general, professional or pre_service) and, if it must be "
                           f"recent, 1 to {MAX_MONTHS} months.", code="invalid_training_requirement")
    current = {(r.kind_code, r.request_category_id, r.category): r
               for r in await repo.requirements(session, community_id)}
    row = current.get((kind_code, request_category_id, category))
    before = snapshot(row) if row is not None else None
    if required:
        row = row or TrainingRequirement(community_id=community_id, kind_code=kind_code,
                                         request_category_id=request_category_id, category=category)
        row.within_months = within_months
        session.add(row)
    elif row is not None:
        await session.delete(row)  # a rule, not a record: lifting it leaves the audit entry below
    await session.flush()
    await record_audit(session, actor=principal, action="training_requirement.require" if required
                       else "training_requirement.lift", entity_type="training_requirement",
                       entity_id=kind_code or request_category_id, community_id=community_id, before=before,
                       after={"kind_code": kind_code, "request_category_id": request_category_id, "category": category,
                              "within_months": within_months if required else None})
    return await repo.requirements(session, community_id)


async def kinds_need(session: AsyncSession,
                     community_ids: Iterable[int]) -> dict[tuple[int, str], list[TrainingRequirement]]:
    """(community, kind) → the trainings its activities require (the sign-up list tells volunteers before they try)."""
    needs: dict[tuple[int, str], list[TrainingRequirement]] = {}
    for row in await repo.of_kinds_in(session, community_ids):
        needs.setdefault((row.community_id, str(row.kind_code)), []).append(row)
    return needs
