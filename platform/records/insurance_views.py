"""Request and response shapes of insurance cover, built from the service: the API and the pages share them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import local_date
from servicebank.records import insurance
from servicebank.records.models import CoverRequirement, InsuranceCover


class CoverBody(msgspec.Struct, forbid_unknown_fields=True):
    insurer: str
    # The full number is read once, masked, and never stored.
    policy_number: str
    valid_from: dt.date
    valid_until: dt.date

    def plain(self) -> insurance.CoverIn:
        return insurance.CoverIn(insurer=self.insurer, policy_number=self.policy_number, valid_from=self.valid_from,
                                 valid_until=self.valid_until)


class CoverOut(msgspec.Struct):
    id: int
    # One of the two: the volunteer's own policy, or the activity's group policy.
    volunteer_id: int | None
    activity_id: int | None
    insurer: str
    policy_number_masked: str
    valid_from: dt.date
    valid_until: dt.date
    # "valid" | "expiring" (within 30 days) | "upcoming" | "expired"
    state: str
    recorded_by_user_id: int
    created_at: dt.datetime


class CoverRequirementIn(msgspec.Struct, forbid_unknown_fields=True):
    """One of `kind` (an activity kind code) and `request_category_id`; `required: false` lifts it."""

    kind: str | None = None
    request_category_id: int | None = None
    required: bool = True


class CoverRequirementOut(msgspec.Struct):
    kind: str | None
    request_category_id: int | None


def present(session: AsyncSession, rows: Sequence[InsuranceCover]) -> list[CoverOut]:
    today = local_date(session, utcnow())
    return [CoverOut(id=r.id, volunteer_id=r.volunteer_id, activity_id=r.activity_id, insurer=r.insurer,
                     policy_number_masked=r.policy_number_masked, valid_from=r.valid_from, valid_until=r.valid_until,
                     state=insurance.state_of(r, today=today), recorded_by_user_id=r.recorded_by_user_id,
                     created_at=r.created_at) for r in rows]


def requirements_out(rows: Sequence[CoverRequirement]) -> list[CoverRequirementOut]:
    return [CoverRequirementOut(kind=r.kind_code, request_category_id=r.request_category_id) for r in rows]
