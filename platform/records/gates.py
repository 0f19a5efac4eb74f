"""What the records domain asks of a sign-up: the qualifications the kind requires, and the no-show hold.

Called by activities.signups while it holds the activity lock, so the answer and the place are one step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import Forbidden
from servicebank.records import policy
from servicebank.records import repository as repo
from servicebank.records.catalogue import DEFAULT_TYPES
from servicebank.volunteers.models import Volunteer


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
