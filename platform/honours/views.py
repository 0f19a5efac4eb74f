"""Turning stored lists into API output: the organiser's full view and the public (consented) view."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours import service
from servicebank.honours.models import HonourEntry, HonourList, HonourObjection, ListStatus, ObjectionStatus, Section
from servicebank.honours.schemas import EntryOut, ListOut, ObjectionOut, PublicEntryOut, PublicListOut
from servicebank.kernel.errors import NotFound

# Shown on public pages for a volunteer who did not agree to be named.
UNNAMED = "志愿者（未公开姓名）"


def hours(minutes: int) -> float:
    """Minutes as hours with one decimal, for display only (figures stay in minutes)."""
    return round(minutes / 60, 1)


def entry_out(entry: HonourEntry) -> EntryOut:
    return EntryOut(section=entry.section, position=entry.position, rank=entry.rank, name=entry.name,
                    public_name=entry.public_name, minutes=entry.minutes, hours=hours(entry.minutes),
                    volunteer_id=entry.volunteer_id, team_id=entry.team_id, community_id=entry.community_id,
                    star_level=entry.star_level, member_count=entry.member_count)


async def list_out(session: AsyncSession, honour_list: HonourList, *, with_entries: bool) -> ListOut:
    open_count = await session.scalar(select(func.count()).select_from(HonourObjection).where(
        HonourObjection.list_id == honour_list.id, HonourObjection.status == ObjectionStatus.OPEN))
    items = [entry_out(e) for e in await service.entries(session, list_id=honour_list.id)] if with_entries else []
    upheld = (await service.upheld_versions(session, [honour_list.id])).get(honour_list.id, set())
    return ListOut(id=honour_list.id, scope_kind=honour_list.scope_kind, scope_id=honour_list.scope_id,
                   month=honour_list.month, title=honour_list.title, status=honour_list.status,
                   state=service.public_state(honour_list), top_n=honour_list.top_n,
                   generated_at=honour_list.generated_at, published_at=honour_list.published_at,
                   notice_ends_at=honour_list.notice_ends_at, digest=honour_list.digest,
                   open_objections=int(open_count or 0), version=honour_list.version,
                   top_teams=honour_list.top_teams, correctable=service.correctable(honour_list, upheld),
                   entries=items)


def objection_out(o: HonourObjection) -> ObjectionOut:
    return ObjectionOut(id=o.id, list_id=o.list_id, name=o.name, phone=o.phone, text=o.text, status=o.status,
                        resolution_note=o.resolution_note, created_at=o.created_at, resolved_at=o.resolved_at,
                        list_version=o.list_version)


def _public_entry(entry: HonourEntry) -> PublicEntryOut:
    if entry.section == Section.TOP_TEAMS:
        return PublicEntryOut(rank=entry.rank, name=entry.name, hours=hours(entry.minutes),
                              member_count=entry.member_count)
    name = entry.public_name or UNNAMED
    if entry.section == Section.NEW_STARS:
        return PublicEntryOut(rank=entry.rank, name=name, star_level=entry.star_level)
    return PublicEntryOut(rank=entry.rank, name=name, hours=hours(entry.minutes))


async def public_list(session: AsyncSession, *, list_id: int) -> PublicListOut:
    """A published list as anyone may see it: masked names of those who consented, nothing else personal."""
    honour_list = await session.get(HonourList, list_id)
    if honour_list is None or honour_list.status == ListStatus.DRAFT:
        raise NotFound("No such honour list.", code="honour_list_not_found")
    sections: dict[str, list[PublicEntryOut]] = {s: [] for s in Section.ALL}
    for entry in await service.entries(session, list_id=list_id):
        sections[entry.section].append(_public_entry(entry))
    state = service.public_state(honour_list)
    return PublicListOut(id=honour_list.id, title=honour_list.title,
                         scope_name=await service.scope_name(session, honour_list), month=honour_list.month,
                         state=state, published_at=honour_list.published_at,
                         notice_ends_at=honour_list.notice_ends_at, objections_open=state == "notice",
                         version=honour_list.version,
                         top_volunteers=sections[Section.TOP_VOLUNTEERS], new_stars=sections[Section.NEW_STARS],
                         top_teams=sections[Section.TOP_TEAMS])
