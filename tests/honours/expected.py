"""Honour list figures computed independently from the seeded records (plain Python, no SQL)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from tests.honours.seeding import TZ, Seeded


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=TZ)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def credited(seeded: Seeded, year: int, month: int) -> dict[int, int]:
    """Minutes per volunteer posted in the month, positive totals only."""
    start, end = month_bounds(year, month)
    totals: dict[int, int] = defaultdict(int)
    for c in seeded.credits:
        if start <= c.posted_at < end:
            totals[c.volunteer_id] += c.minutes
    return {v: m for v, m in totals.items() if m > 0}


def _ranked(items: list[tuple[int, int]], top: int) -> list[tuple[int, int, int]]:
    """(id, minutes) -> [(rank, id, minutes)] with ties sharing a rank and all ties up to `top` kept."""
    ordered = sorted(items, key=lambda x: (-x[1], x[0]))
    out = []
    for id_, minutes in ordered:
        rank = 1 + sum(1 for _, m in ordered if m > minutes)
        if rank <= top:
            out.append((rank, id_, minutes))
    return out


def top_volunteers(seeded: Seeded, community_ids: set[int], year: int, month: int,
                   top: int = 10) -> list[tuple[int, int, int]]:
    totals = credited(seeded, year, month)
    eligible = [(vid, m) for vid, m in totals.items()
                if seeded.volunteers[vid].community_id in community_ids
                and not seeded.volunteers[vid].paid_service and seeded.volunteers[vid].status != "suspended"]
    return _ranked(eligible, top)


def top_teams(seeded: Seeded, community_ids: set[int], year: int, month: int,
              top: int = 3) -> list[tuple[int, int, int]]:
    totals = credited(seeded, year, month)
    items = []
    for team in seeded.teams:
        if team.community_id not in community_ids:
            continue
        minutes = sum(totals.get(v, 0) for v in seeded.team_members[team.id])
        if any(v in totals for v in seeded.team_members[team.id]):
            items.append((team.id, minutes))
    return _ranked(items, top)
