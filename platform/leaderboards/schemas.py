"""Output of the leaderboard API."""

from __future__ import annotations

import msgspec


class LeaderboardRow(msgspec.Struct):
    rank: int
    volunteer_id: int
    name: str
    hours: float
    minutes: int
    points: int


class LeaderboardOut(msgspec.Struct):
    scope: str
    period: str
    by: str
    rows: list[LeaderboardRow]
    me: LeaderboardRow | None = None
