"""The honour list figures for every scope at once: set-based queries with window functions.

Sources (each figure is reproducible from the records):
- hours: the ledger's service credits (`ledger_service_credit.minutes`) whose transaction was posted in
  the local month (`ledger_transaction.created_at`), summed per volunteer. Counting by posting month means
  every credited minute lands in exactly one month's list, and a correction posted after a list was
  published shows in the next one instead of changing it.
- new star levels: the ledger's `ledger.star_level_reached` announcements received in the month.
- teams: the same monthly minutes, summed over each team's members.
Ties share a rank (并列) and are all listed; inside a rank the lower volunteer/team id comes first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Integer, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours.models import Scope, Section, StarAward
from servicebank.kernel.text import mask_name
from servicebank.ledger.models import ServiceCredit, Transaction
from servicebank.org.models import Community, Street
from servicebank.volunteers.models import Team, TeamMember, Volunteer, VolunteerStatus

DEFAULT_TOP_N = 10
DEFAULT_TOP_TEAMS = 3


@dataclasses.dataclass(frozen=True)
class Filter:
    """Which scopes to compute: everything, one community, or one street (its communities and itself)."""

    community_id: int | None = None
    street_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Line:
    """One computed line of a list, before it is stored."""

    scope_kind: str
    scope_id: int
    section: str
    position: int
    rank: int
    community_id: int
    name: str
    public_name: str | None
    minutes: int
    volunteer_id: int | None = None
    team_id: int | None = None
    star_level: int | None = None
    member_count: int | None = None


@dataclasses.dataclass(frozen=True)
class LateCredits:
    """For a correction (更正): also count credits posted after the month, up to `until`, for service dated in
    [first_day, end_day) — the ledger posts a correction of October's hours when it is made, in November."""

    until: dt.datetime
    first_day: dt.date
    end_day: dt.date


def public_name(real_name: str, consent: bool) -> str | None:
    """What the public page shows for a volunteer: the masked name with consent, nothing without."""
    return mask_name(real_name) if consent else None


def _credited(start: dt.datetime, end: dt.datetime, late: LateCredits | None = None):  # noqa: ANN202
    """Minutes credited per volunteer in [start, end) of posting time (and the late credits of a correction)."""
    posted = and_(Transaction.created_at >= start, Transaction.created_at < end)
    if late is not None:
        posted = or_(posted, and_(Transaction.created_at >= end, Transaction.created_at < late.until,
                                  ServiceCredit.service_date >= late.first_day,
                                  ServiceCredit.service_date < late.end_day))
    return (
        select(ServiceCredit.volunteer_id.label("volunteer_id"), func.sum(ServiceCredit.minutes).label("minutes"))
        .join(Transaction, Transaction.id == ServiceCredit.transaction_id)
        .where(posted)
        .group_by(ServiceCredit.volunteer_id)
        .having(func.sum(ServiceCredit.minutes) > 0)
        .cte("credited")
    )


def _scope_filter(flt: Filter):  # noqa: ANN202
    if flt.community_id is not None:
        return Community.id == flt.community_id
    if flt.street_id is not None:
        return Community.street_id == flt.street_id
    return literal(True)


def _ranked(base, partition, scope_kind: str, section: str, top: int, subject, name, consent,  # noqa: ANN001, ANN202
            members):  # noqa: ANN001
    """Rank rows of `base` inside each `partition` by minutes; keep ranks up to `top` (ties included)."""
    rank = func.rank().over(partition_by=partition, order_by=base.c.minutes.desc())
    position = func.row_number().over(partition_by=partition, order_by=(base.c.minutes.desc(), subject))
    inner = select(literal(section).label("section"), literal(scope_kind).label("scope_kind"),
                   partition.label("scope_id"), rank.label("rk"), position.label("pos"), subject.label("subject_id"),
                   base.c.minutes.label("minutes"), base.c.community_id.label("community_id"), name.label("name"),
                   consent.label("consent"), members.label("members")).where(partition.is_not(None)).subquery()
    return select(inner).where(inner.c.rk <= top)


def _scopes_of(flt: Filter) -> tuple[bool, bool]:
    """(community lists wanted, street lists wanted)."""
    return True, flt.community_id is None


async def ranked_lines(session: AsyncSession, *, start: dt.datetime, end: dt.datetime, top_n: int, top_teams: int,
                       flt: Filter, late: LateCredits | None = None) -> list[Line]:
    """Top volunteers and most active teams of every community and street list in one statement: the month's
    credits are aggregated once and ranked with window functions per community and per street."""
    credited = _credited(start, end, late)
    base = (
        select(credited.c.volunteer_id, credited.c.minutes, Volunteer.community_id, Community.street_id,
               Volunteer.real_name, Volunteer.public_consent)
        .join(Volunteer, Volunteer.id == credited.c.volunteer_id)
        .join(Community, Community.id == Volunteer.community_id)
        # Paid service (公益性岗位) and suspended volunteers are not honoured.
        .where(_scope_filter(flt), Volunteer.paid_service.is_(False), Volunteer.status != VolunteerStatus.SUSPENDED)
        .cte("base")
    )
    teams = (
        select(Team.id.label("team_id"), Team.name, Team.community_id, Community.street_id,
               func.sum(credited.c.minutes).label("minutes"), func.count().label("members"))
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(credited, credited.c.volunteer_id == TeamMember.volunteer_id)
        .join(Community, Community.id == Team.community_id)
        .where(_scope_filter(flt))
        .group_by(Team.id, Team.name, Team.community_id, Community.street_id)
        .cte("team_base")
    )
    no_members = literal(None, Integer)
    want_community, want_street = _scopes_of(flt)
    parts: list[Select] = []
    for wanted, kind, vol_partition, team_partition in (
            (want_community, Scope.COMMUNITY, base.c.community_id, teams.c.community_id),
            (want_street, Scope.STREET, base.c.street_id, teams.c.street_id)):
        if not wanted:
            continue
        parts.append(_ranked(base, vol_partition, kind, Section.TOP_VOLUNTEERS, top_n, base.c.volunteer_id,
                             base.c.real_name, base.c.public_consent, no_members))
        if top_teams:
            parts.append(_ranked(teams, team_partition, kind, Section.TOP_TEAMS, top_teams, teams.c.team_id,
                                 teams.c.name, literal(True), teams.c.members))
    rows = (await session.execute(union_all(*parts) if len(parts) > 1 else parts[0])).all()
    lines = []
    for r in rows:
        is_team = r.section == Section.TOP_TEAMS
        lines.append(Line(
            scope_kind=r.scope_kind, scope_id=r.scope_id, section=r.section, position=r.pos, rank=r.rk,
            community_id=r.community_id, name=r.name, minutes=int(r.minutes),
            public_name=r.name if is_team else public_name(r.name, r.consent),
            volunteer_id=None if is_team else r.subject_id, team_id=r.subject_id if is_team else None,
            member_count=int(r.members) if is_team else None))
    return lines


async def new_stars(session: AsyncSession, *, start: dt.datetime, end: dt.datetime, flt: Filter) -> list[Line]:
    """Every volunteer whose star level rose in the month (highest level reached), per community and street."""
    award = (
        select(StarAward.volunteer_id, func.max(StarAward.level).label("level"))
        .where(StarAward.reached_at >= start, StarAward.reached_at < end)
        .group_by(StarAward.volunteer_id).subquery()
    )
    rows = (await session.execute(
        select(award.c.volunteer_id, award.c.level, Volunteer.community_id, Community.street_id,
               Volunteer.real_name, Volunteer.public_consent)
        .join(Volunteer, Volunteer.id == award.c.volunteer_id)
        .join(Community, Community.id == Volunteer.community_id)
        .where(_scope_filter(flt))
        .order_by(award.c.level.desc(), award.c.volunteer_id)
    )).all()
    want_community, want_street = _scopes_of(flt)
    lines: list[Line] = []
    counters: dict[tuple[str, int], list[int]] = {}
    for r in rows:
        scopes = []
        if want_community:
            scopes.append((Scope.COMMUNITY, r.community_id))
        if want_street and r.street_id is not None:
            scopes.append((Scope.STREET, r.street_id))
        for kind, scope_id in scopes:
            # [position, rank, level of the previous line]
            state = counters.setdefault((kind, scope_id), [0, 0, -1])
            state[0] += 1
            if r.level != state[2]:
                state[1], state[2] = state[0], r.level
            lines.append(Line(scope_kind=kind, scope_id=scope_id, section="new_stars", position=state[0],
                              rank=state[1], community_id=r.community_id, name=r.real_name,
                              public_name=public_name(r.real_name, r.public_consent), minutes=0,
                              volunteer_id=r.volunteer_id, star_level=int(r.level)))
    return lines


async def scopes(session: AsyncSession, flt: Filter) -> list[tuple[str, int, str]]:
    """(scope kind, id, name) of every list to generate, communities first, in id order."""
    communities = (await session.execute(
        select(Community.id, Community.name).where(_scope_filter(flt)).order_by(Community.id))).all()
    found = [(Scope.COMMUNITY, c.id, c.name) for c in communities]
    if flt.community_id is None:
        street_query = select(Street.id, Street.name).order_by(Street.id)
        if flt.street_id is not None:
            street_query = street_query.where(Street.id == flt.street_id)
        street_query = street_query.where(Street.id.in_(select(Community.street_id)))
        found += [(Scope.STREET, s.id, s.name) for s in (await session.execute(street_query)).all()]
    return found

