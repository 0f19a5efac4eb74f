"""Late claims in and out: the form both the API and the pages send, and the shapes people read."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import InvalidInput
from servicebank.records import claim_repository as repo
from servicebank.records import claims
from servicebank.records.access import readable_volunteer
from servicebank.records.models import ClaimPhoto, ServiceClaim
from servicebank.records.schemas import ClaimIn, ClaimOut, ClaimPhotoOut


def _time(form: Any, name: str, timezone: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(form.get(name) or "").strip())
    except ValueError:
        raise InvalidInput("Give the start and end time, e.g. 2026-11-23T09:30.", code="claim_invalid_times") from None
    # A datetime-local field has no zone: it is the platform's local time.
    return value.replace(tzinfo=ZoneInfo(timezone)) if value.tzinfo is None else value


def _number(form: Any, name: str) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(f"{name} must be a number.", code="claim_target_required")
    return int(raw)


async def read_submission(form: Any, *, timezone: str) -> tuple[ClaimIn, list[bytes]]:
    """A multipart claim: fields `activity_id` or `organisation_id` (+ `place`), `started_at`, `ended_at`,
    `content`, and up to three files named `photos` (empty file fields are ignored)."""
    sent = form.getall("photos") if "photos" in form else []
    files = [f for f in sent if isinstance(f, UploadFile)]
    photos = [data for data in [await f.read() for f in files] if data]
    data = ClaimIn(started_at=_time(form, "started_at", timezone), ended_at=_time(form, "ended_at", timezone),
                   content=str(form.get("content") or ""), activity_id=_number(form, "activity_id"),
                   organisation_id=_number(form, "organisation_id"), place=str(form.get("place") or ""))
    return data, photos


def claim_out(claim: ServiceClaim, activity_title: str | None, community_name: str, volunteer_name: str,
              photos: list[ClaimPhoto]) -> ClaimOut:
    return ClaimOut(
        id=claim.id, volunteer_id=claim.volunteer_id, volunteer_name=volunteer_name, community_id=claim.community_id, community_name=community_name,
        activity_id=claim.activity_id, activity_title=activity_title, place=claim.place, content=claim.content,
        started_at=claim.started_at, ended_at=claim.ended_at, service_date=claim.service_date,
        served_minutes=claim.served_minutes, status=claim.status, decided_by_user_id=claim.decided_by_user_id,
        decided_at=claim.decided_at, decision_reason=claim.decision_reason, transaction_id=claim.transaction_id,
        posted_minutes=claim.posted_minutes, posted_points=claim.posted_points, created_at=claim.created_at,
        photos=[ClaimPhotoOut(position=p.position, url=f"/api/claims/{claim.id}/photos/{p.position}",
                              media_type=p.media_type, size_bytes=p.size_bytes) for p in photos])


async def _listed(session: AsyncSession, **where: Any) -> list[ClaimOut]:
    rows = await repo.claims_with_names(session, **where)
    photos = await repo.photos_of(session, [c.id for c, *_ in rows])
    return [claim_out(c, title, name, volunteer, photos[c.id]) for c, title, name, volunteer in rows]


async def one(session: AsyncSession, *, principal: Principal, claim_id: int) -> ClaimOut:
    """A claim for its volunteer or the organisers of its community."""
    claim = await claims.readable(session, principal=principal, claim_id=claim_id)
    [out] = await _listed(session, claim_id=claim.id)
    return out


async def of_volunteer(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> list[ClaimOut]:
    """A volunteer's claims (for themself, or an organiser of their community: only the claims it confirms)."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    mine = principal.volunteer_id == volunteer.id
    return [c for c in await _listed(session, volunteer_id=volunteer.id) if mine or principal.manages(c.community_id)]


async def for_community(session: AsyncSession, *, principal: Principal, community_id: int,
                        status: str | None) -> list[ClaimOut]:
    """The claims the community's organisers decide, newest first (pending ones when status is `pending`)."""
    principal.require_manager(community_id)
    return await _listed(session, community_id=community_id, status=status)


async def decide(session: AsyncSession, *, principal: Principal, claim_id: int, approve: bool, reason: str,
                 now: dt.datetime) -> ClaimOut:
    if approve:
        await claims.approve(session, principal=principal, claim_id=claim_id, reason=reason, now=now)
    else:
        await claims.decline(session, principal=principal, claim_id=claim_id, reason=reason, now=now)
    return await one(session, principal=principal, claim_id=claim_id)
