"""Reviewing, publishing and objecting to honour lists; who may see and change which list."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit
from servicebank.honours import repository
from servicebank.honours.access import (
    generation_filter,
    require_community_manager,
    require_scope_manager,
    street_of_scope,
)
from servicebank.honours.generation import (
    GenerationResult,
    generate_month,
    regenerate_entries,
    require_month_over,
)
from servicebank.honours.models import (
    HonourEntry,
    HonourList,
    HonourObjection,
    ListStatus,
    ObjectionStatus,
    Scope,
)
from servicebank.honours.ranking import DEFAULT_TOP_N, DEFAULT_TOP_TEAMS
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from servicebank.kernel.events import record_event

MIN_NOTICE_DAYS = 7
MAX_NOTICE_DAYS = 30
# Objections from one client address: enough for a family, too few to flood an organiser's queue.
OBJECTION_WINDOW = dt.timedelta(hours=1)
MAX_OBJECTIONS_PER_CLIENT = 5


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def public_state(honour_list: HonourList, now: dt.datetime | None = None) -> str:
    """draft, notice (公示中, objections open) or final (公示期满, frozen for good)."""
    if honour_list.status == ListStatus.DRAFT:
        return "draft"
    ends = _aware(honour_list.notice_ends_at)
    return "notice" if ends is not None and (now or utcnow()) < ends else "final"


async def generate_for_scope(session: AsyncSession, *, principal: Principal, month: str, timezone: str,
                             community_id: int | None = None, street_id: int | None = None,
                             top_n: int = DEFAULT_TOP_N, top_teams: int = DEFAULT_TOP_TEAMS) -> GenerationResult:
    """(Re)generate a month's drafts for a community, a street (and its communities) or, with neither, every scope,
    once the caller is checked for that scope (honours.access.generation_filter): API and pages alike."""
    flt = await generation_filter(session, principal, community_id=community_id, street_id=street_id)
    return await generate_month(session, month=month, timezone=timezone, flt=flt, top_n=top_n, top_teams=top_teams,
                                user_id=principal.user_id)


async def get_list(session: AsyncSession, *, list_id: int, principal: Principal | None = None,
                   for_update: bool = False) -> HonourList:
    """The list, checked against the caller's scope when a principal is given."""
    honour_list = await repository.get_list(session, list_id, for_update=for_update)
    if honour_list is None:
        raise NotFound("No such honour list.", code="honour_list_not_found")
    if principal is not None:
        street_id = await street_of_scope(session, honour_list.scope_kind, honour_list.scope_id)
        require_scope_manager(principal, honour_list.scope_kind, honour_list.scope_id, street_id)
    return honour_list


async def entries(session: AsyncSession, *, list_id: int) -> list[HonourEntry]:
    return await repository.entries_of(session, list_id)


async def lists_for_scope(session: AsyncSession, *, principal: Principal, scope_kind: str, scope_id: int,
                          limit: int | None = None) -> list[HonourList]:
    """A scope's lists, newest month first (its managers only)."""
    if scope_kind not in Scope.ALL:
        raise InvalidInput("The scope is community or street.", code="invalid_scope")
    require_scope_manager(principal, scope_kind, scope_id, await street_of_scope(session, scope_kind, scope_id))
    return await repository.lists_of_scope(session, scope_kind=scope_kind, scope_id=scope_id, limit=limit)


async def published_lists(session: AsyncSession, *, scope_id: int, scope_kind: str = Scope.COMMUNITY
                          ) -> list[HonourList]:
    """A community's (or a street's) lists past their draft, newest month first: open to everyone."""
    return await repository.lists_of_scope(session, scope_kind=scope_kind, scope_id=scope_id, drafts=False)


async def open_objection_counts(session: AsyncSession, *, list_ids: list[int]) -> dict[int, int]:
    """list id -> objections nobody answered yet, for lists the caller already may see."""
    return await repository.open_objection_counts(session, list_ids)


async def publish(session: AsyncSession, *, principal: Principal, list_id: int, notice_days: int = MIN_NOTICE_DAYS,
                  now: dt.datetime | None = None) -> HonourList:
    """Publish a reviewed draft: the public notice period (公示) of at least 7 days starts now."""
    honour_list = await get_list(session, list_id=list_id, principal=principal, for_update=True)
    if honour_list.status != ListStatus.DRAFT:
        raise Conflict("This list is already published; it cannot change any more.", code="honour_list_published")
    _check_notice_days(notice_days)
    now = now or utcnow()
    # A draft made before the month ended (or with nobody to honour) has nothing true to show residents.
    require_month_over(honour_list.period_end, now)
    if not await repository.has_entries(session, honour_list.id):
        raise Conflict("This list has no entries; there is nobody to honour, so it cannot be published.",
                       code="honour_list_empty")
    honour_list.status = ListStatus.PUBLISHED
    _start_notice(honour_list, principal, notice_days, now)
    await session.flush()
    await record_audit(session, actor=principal, action="honour_list.publish", entity_type="honour_list",
                       entity_id=honour_list.id, community_id=_community_of(honour_list),
                       after={"title": honour_list.title, "month": honour_list.month,
                              "notice_ends_at": honour_list.notice_ends_at})
    # The volunteers on the list hear of it (notifications/honour_notices.py); a correction tells nobody again.
    await record_event(session, "honour_list.published", {"list_id": honour_list.id})
    return honour_list


def _check_notice_days(notice_days: int) -> None:
    if not MIN_NOTICE_DAYS <= notice_days <= MAX_NOTICE_DAYS:
        raise InvalidInput(f"The notice period is {MIN_NOTICE_DAYS} to {MAX_NOTICE_DAYS} days.",
                           code="invalid_notice_days")


def _start_notice(honour_list: HonourList, principal: Principal, notice_days: int, now: dt.datetime) -> None:
    honour_list.published_at, honour_list.published_by_user_id = now, principal.user_id
    honour_list.notice_days = notice_days
    honour_list.notice_ends_at = now + dt.timedelta(days=notice_days)


async def upheld_versions(session: AsyncSession, list_ids: list[int]) -> dict[int, set[int]]:
    """For each list, the versions that have an upheld objection (a reason to correct that version)."""
    found: dict[int, set[int]] = {}
    for list_id, version in await repository.upheld_versions(session, list_ids):
        found.setdefault(list_id, set()).add(version)
    return found


def correctable(honour_list: HonourList, upheld: set[int], now: dt.datetime | None = None) -> bool:
    """A published list may be corrected during its notice period, or later when an objection to its current
    version was upheld; otherwise a final list stays frozen."""
    if honour_list.status != ListStatus.PUBLISHED:
        return False
    return public_state(honour_list, now) == "notice" or honour_list.version in upheld


async def correct(session: AsyncSession, *, principal: Principal, list_id: int, notice_days: int = MIN_NOTICE_DAYS,
                  reason: str | None = None, now: dt.datetime | None = None) -> HonourList:
    """更正并重新公示: rebuild a published list's entries from the ledger as it is now (hours are corrected in the
    ledger first), keep its id, add one to its version and start the notice period again."""
    honour_list = await get_list(session, list_id=list_id, principal=principal, for_update=True)
    if honour_list.status != ListStatus.PUBLISHED:
        raise Conflict("This list is still a draft; make the draft again instead.", code="honour_list_draft")
    now = now or utcnow()
    if not correctable(honour_list, (await upheld_versions(session, [list_id])).get(list_id, set()), now):
        raise Conflict("This list is final (its notice period is over and no objection to it was upheld); it "
                       "cannot change any more.", code="honour_list_final")
    _check_notice_days(notice_days)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > 500:
        raise InvalidInput("Please keep the reason under 500 characters.", code="invalid_correction_reason")
    before = {"version": honour_list.version, "notice_ends_at": honour_list.notice_ends_at}
    await regenerate_entries(session, honour_list, user_id=principal.user_id, now=now)
    honour_list.version += 1
    _start_notice(honour_list, principal, notice_days, now)
    await session.flush()
    await record_audit(session, actor=principal, action="honour_list.correct", entity_type="honour_list",
                       entity_id=honour_list.id, community_id=_community_of(honour_list), before=before,
                       after={"version": honour_list.version, "notice_ends_at": honour_list.notice_ends_at},
                       reason=reason)
    return honour_list


def _community_of(honour_list: HonourList) -> int | None:
    """The community an entry about this list is filed under (street lists belong to no one community)."""
    return honour_list.scope_id if honour_list.scope_kind == Scope.COMMUNITY else None


async def scope_name(session: AsyncSession, honour_list: HonourList) -> str:
    return await repository.scope_name(session, honour_list.scope_kind, honour_list.scope_id)


def client_key(secret: str, client: str | None) -> str:
    """A keyed hash of the client address (the rate limit needs equality, not the address)."""
    return hmac.new(secret.encode(), (client or "unknown").encode(), hashlib.sha256).hexdigest()


async def raise_objection(session: AsyncSession, *, list_id: int, name: str, phone: str | None, text: str,
                          client: str, now: dt.datetime | None = None) -> HonourObjection:
    """A resident objects to a published list during its notice period (no login; rate-limited)."""
    now = now or utcnow()
    honour_list = await session.get(HonourList, list_id)
    if honour_list is None or honour_list.status == ListStatus.DRAFT:
        raise NotFound("No such honour list.", code="honour_list_not_found")
    if public_state(honour_list, now) != "notice":
        raise Conflict("The notice period of this list has ended; objections are closed.",
                       code="notice_period_over")
    name, text, phone = name.strip(), text.strip(), (phone or "").strip() or None
    if not 1 <= len(name) <= 64:
        raise InvalidInput("Please give your name (1 to 64 characters).", code="invalid_objection_name")
    if not 5 <= len(text) <= 2000:
        raise InvalidInput("Please describe the objection in 5 to 2000 characters.", code="invalid_objection_text")
    if phone is not None and (not phone.replace("-", "").replace("+", "").isdigit() or not 5 <= len(phone) <= 20):
        raise InvalidInput("The phone number should be 5 to 20 digits.", code="invalid_phone")
    if await repository.objections_from(session, client, since=now - OBJECTION_WINDOW) >= MAX_OBJECTIONS_PER_CLIENT:
        raise TooManyRequests("Too many objections from this address; please try again in an hour.",
                              code="objection_rate_limited", retry_after=int(OBJECTION_WINDOW.total_seconds()))
    objection = HonourObjection(list_id=list_id, name=name, phone=phone, text=text, client_key=client,
                                list_version=honour_list.version, created_at=now)
    session.add(objection)
    await session.flush()
    return objection


async def objections(session: AsyncSession, *, principal: Principal, list_id: int) -> list[HonourObjection]:
    await get_list(session, list_id=list_id, principal=principal)
    return await repository.objections_of(session, list_id)


async def resolve_objection(session: AsyncSession, *, principal: Principal, objection_id: int, resolution: str,
                            note: str) -> HonourObjection:
    """Uphold or dismiss an objection with a note; a correction of hours goes through the ledger."""
    objection = await session.get(HonourObjection, objection_id, with_for_update=True)
    if objection is None:
        raise NotFound("No such objection.", code="objection_not_found")
    try:
        await get_list(session, list_id=objection.list_id, principal=principal)
    except NotFound as exc:
        raise NotFound("No such objection.", code="objection_not_found") from exc
    if resolution not in ObjectionStatus.RESOLUTIONS:
        raise InvalidInput("Resolve an objection as upheld or dismissed.", code="invalid_resolution")
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict("This objection was already resolved.", code="objection_resolved")
    note = note.strip()
    if not 2 <= len(note) <= 1000:
        raise InvalidInput("Please explain the resolution (2 to 1000 characters).", code="invalid_resolution_note")
    objection.status, objection.resolution_note = resolution, note
    objection.resolved_by_user_id, objection.resolved_at = principal.user_id, utcnow()
    await session.flush()
    honour_list = await session.get(HonourList, objection.list_id)
    await record_audit(session, actor=principal, action=f"honour_objection.{resolution}",
                       entity_type="honour_objection", entity_id=objection.id,
                       community_id=_community_of(honour_list) if honour_list else None,
                       before={"status": ObjectionStatus.OPEN, "text": objection.text},
                       after={"status": resolution}, reason=note)
    return objection


async def lists_with_open_objections(session: AsyncSession, *, principal: Principal,
                                     community_id: int) -> list[tuple[repository.ListTitle, int]]:
    """The community's honour lists with objections nobody answered yet, and how many (the dashboard's 待处理)."""
    require_community_manager(principal, community_id)
    return await repository.lists_with_open_objections(session, community_id)
