"""代签 without the card: a staff member finds the volunteer by part of a name, the last 4 digits of a phone or
a volunteer number. Team leaders find only their teams' members, organisers the community's volunteers — the
same people `Principal.speaks_for` lets them sign in, so the list never offers someone the check-in refuses."""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.checkins import access
from servicebank.checkins import proxy_repository as repo

MAX_RESULTS = 10
MAX_QUERY_LENGTH = 40


@dataclasses.dataclass(frozen=True)
class ProxyCandidate:
    volunteer_id: int
    name: str
    number: str
    phone_masked: str
    # Their record at this activity (checked_in, checked_out, ...), None before any scan.
    attendance_status: str | None


def mask_phone(phone: str) -> str:
    """138****1234: enough to tell two people of the same name apart, not enough to call them."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) < 8:
        return "****" + digits[-4:]
    return digits[:3] + "****" + digits[-4:]


async def find_for_proxy(session: AsyncSession, *, activity_id: int, principal: Principal, query: str = "",
                         volunteer_id: int | None = None) -> list[ProxyCandidate]:
    """Volunteers this staff member may sign in at the activity, matching what they typed (at most ten)."""
    activity = await access.staff_activity(session, activity_id=activity_id, principal=principal)
    term = query.strip()[:MAX_QUERY_LENGTH]
    if not term and volunteer_id is None:
        return []
    team_ids = None if principal.manages(activity.community_id) else principal.led_team_ids
    volunteers = await repo.matching_volunteers(session, community_id=activity.community_id, term=term or None,
                                                volunteer_id=volunteer_id, team_ids=team_ids, limit=MAX_RESULTS)
    statuses = await repo.attendance_statuses(session, activity_id=activity_id,
                                              volunteer_ids=[v.id for v in volunteers])
    return [ProxyCandidate(volunteer_id=v.id, name=v.real_name, number=v.number, phone_masked=mask_phone(v.phone),
                           attendance_status=statuses.get(v.id)) for v in volunteers]
