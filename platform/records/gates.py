"""What the records domain answers when activities signs someone up and checkins records attendance by hand
(kernel/hooks.py; registry.py imports this module): the qualifications the kind requires, the no-show hold and
its words, the no-shows counted per volunteer, a late claim that already counts the service, and the insurance cover
(records/insurance.py) and the trainings (records/training_requirements.py) an activity kind or a request category
requires.

Asked while activities holds the activity lock, so the answer and the place are one step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Exists
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities import hooks as signup_hooks
from servicebank.activities.models import Activity
from servicebank.checkins import hooks as checkin_hooks
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import Conflict, Forbidden
from servicebank.records import (
    claim_repository,
    insurance,
    insurance_repository,
    no_shows,
    policy,
    training_requirement_repository,
    training_requirements,
)
from servicebank.records import repository as repo
from servicebank.records.catalogue import DEFAULT_TYPES
from servicebank.requests import hooks as request_hooks
from servicebank.requests.models import ServiceRequest
from servicebank.volunteers.models import Volunteer


@signup_hooks.signup_holds.answer
async def hold_code(session: AsyncSession, *, volunteer: Volunteer, now: dt.datetime) -> str | None:
    """The code that makes this volunteer's sign-ups wait for the organiser, or None."""
    standing = await policy.standing(session, volunteer_id=volunteer.id, community_id=volunteer.community_id, now=now)
    return standing.hold_code


async def missing_qualifications(session: AsyncSession, *, community_id: int, kind_code: str, volunteer_id: int,
                                 on: dt.date) -> list[str]:
    """Codes the kind requires that the volunteer holds no valid, checked qualification of on day `on`."""
    required = await repo.required_codes(session, community_id=community_id, kind_code=kind_code)
    if not required:
        return []
    held = await repo.valid_checked_codes(session, volunteer_id=volunteer_id, on=on)
    return [code for code in required if code not in held]


@signup_hooks.signup_refusals.answer
async def check_qualifications(session: AsyncSession, *, activity: Activity, volunteer: Volunteer,
                               now: dt.datetime) -> None:
    """Refuse (`qualification_required`, naming what is missing) when the kind needs what the volunteer lacks."""
    del now  # validity is judged on the activity's own day, not today
    missing = await missing_qualifications(session, community_id=activity.community_id, kind_code=activity.kind,
                                           volunteer_id=volunteer.id, on=local_date(session, activity.starts_at))
    if missing:
        names = await repo.type_names(session, community_id=activity.community_id, codes=missing,
                                     defaults=DEFAULT_TYPES)
        raise Forbidden(f"This activity needs a valid, checked qualification: {', '.join(names)}. "
                        "Show the certificate to the organiser.", code="qualification_required",
                        missing=missing, missing_names=names)


@signup_hooks.signup_refusals.answer
async def check_cover(session: AsyncSession, *, activity: Activity, volunteer: Volunteer, now: dt.datetime) -> None:
    """Refuse (`insurance_required`) when the kind requires cover the volunteer and the activity lack on its day."""
    del now  # cover is judged on the activity's own day
    await insurance.check_activity(session, activity=activity, volunteer_id=volunteer.id)


@request_hooks.acceptance_refusals.answer
async def check_request_cover(session: AsyncSession, *, request: ServiceRequest, volunteer_id: int,
                              on: dt.date) -> None:
    """Refuse taking a request whose category requires cover the volunteer lacks on the visit's day."""
    await insurance.check_request(session, community_id=request.community_id, category_id=request.category_id,
                                  volunteer_id=volunteer_id, on=on)


@request_hooks.acceptance_rules_apply.answer
def request_cover_applies(community_id: Any, category_id: Any) -> Exists:  # noqa: ANN401
    """check_request_cover's rule, in SQL: the category requires cover."""
    return insurance_repository.category_requirement(community_id, category_id)


@signup_hooks.signup_refusals.answer
async def check_training(session: AsyncSession, *, activity: Activity, volunteer: Volunteer,
                         now: dt.datetime) -> None:
    """Refuse (`training_required`, naming the categories missing) when the kind requires a training the volunteer
    has not had (recently enough) by the activity's day."""
    del now  # the months count back from the activity's own day
    await training_requirements.check_activity(session, activity=activity, volunteer_id=volunteer.id)


@request_hooks.acceptance_refusals.answer
async def check_request_training(session: AsyncSession, *, request: ServiceRequest, volunteer_id: int,
                                 on: dt.date) -> None:
    """Refuse taking a request whose category requires a training the volunteer lacks by the visit's day."""
    await training_requirements.check_request(session, community_id=request.community_id,
                                              category_id=request.category_id, volunteer_id=volunteer_id, on=on)


@request_hooks.acceptance_rules_apply.answer
def request_training_applies(community_id: Any, category_id: Any) -> Exists:  # noqa: ANN401
    """check_request_training's rule, in SQL: the category requires a training."""
    return training_requirement_repository.request_category_requirement(community_id, category_id)


@signup_hooks.hold_explanations.answer
async def hold_words(session: AsyncSession, *, volunteer: Volunteer) -> str | None:
    """Why the volunteer's sign-ups wait for the organiser, in the words both sides read."""
    standing = await no_shows.standing(session, volunteer_id=volunteer.id, community_id=volunteer.community_id)
    return standing.message_zh()


@signup_hooks.missed_counts.answer
async def missed(session: AsyncSession, *, community_id: int, volunteer_ids: list[int]) -> dict[int, int]:
    return await no_shows.counts(session, community_id=community_id, volunteer_ids=volunteer_ids)


@checkin_hooks.manual_record_refusals.answer
async def refuse_claimed(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> None:
    """The volunteer's own live 补录 of this activity would count the same service twice (records/claims.py)."""
    claim_id = await claim_repository.live_claim_for(session, activity_id=activity_id, volunteer_id=volunteer_id)
    if claim_id is not None:
        raise Conflict("The volunteer has claimed this activity (补录); approve or decline the claim instead.",
                       code="attendance_claimed", claim_id=claim_id)
