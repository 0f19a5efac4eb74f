"""Pure rules of attendance: the minutes that count, the venue distance, the service day."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

EARTH_RADIUS_M = 6_371_000
# The longest stretch an organiser may record for one attendance (a night patrol plus handover).
MAX_ADJUSTED_MINUTES = 24 * 60


def served_minutes(*, checked_in_at: dt.datetime, checked_out_at: dt.datetime, starts_at: dt.datetime,
                   ends_at: dt.datetime) -> int:
    """Whole minutes between the scans, counted only inside the activity window (travel and waiting excluded)."""
    start = max(checked_in_at, starts_at)
    end = min(checked_out_at, ends_at)
    if end <= start:
        return 0
    return int((end - start).total_seconds()) // 60


def span_minutes(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes between two times an organiser recorded."""
    return max(0, int((end - start).total_seconds()) // 60)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in whole metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


def service_date(starts_at: dt.datetime, timezone: str) -> dt.date:
    """The local day an activity is reported under: the day it starts."""
    return aware(starts_at).astimezone(ZoneInfo(timezone)).date()


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC; make every time aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
