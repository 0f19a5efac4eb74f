"""Star levels (星级志愿者) and leaderboard periods: pure functions shared by posting, verify and rebuild."""

from __future__ import annotations

import datetime as dt
import re

# Cumulative service hours for 1★..5★, in minutes.
STAR_THRESHOLDS_MINUTES = (100 * 60, 300 * 60, 600 * 60, 1000 * 60, 1500 * 60)
ALL_TIME = "all"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^\d{4}$")


def star_level(service_minutes: int) -> int:
    """The star level (0..5) for this many cumulative service minutes."""
    return sum(1 for threshold in STAR_THRESHOLDS_MINUTES if service_minutes >= threshold)


def periods_for(service_date: dt.date) -> tuple[str, str, str]:
    """The month, year and all-time periods a day of service counts towards."""
    return (service_date.strftime("%Y-%m"), service_date.strftime("%Y"), ALL_TIME)


def is_period(value: str) -> bool:
    """Whether `value` names a period: "2026-11", "2026" or "all"."""
    return value == ALL_TIME or bool(_MONTH.match(value)) or bool(_YEAR.match(value))


def round_minutes(minutes: int, *, step: int, mode: str) -> int:
    """Round to a multiple of `step` minutes: nearest (halves up), down or up."""
    if minutes <= 0:
        return 0
    if step <= 1:
        return minutes
    if mode == "down":
        return minutes // step * step
    if mode == "up":
        return -(-minutes // step) * step
    return (minutes + step // 2) // step * step


def weighted_points(minutes: int, multiplier_permille: int) -> int:
    """Points for service minutes under a multiplier in permille, halves rounded up."""
    return (minutes * multiplier_permille + 500) // 1000

