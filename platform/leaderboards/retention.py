"""Which leaderboard periods Redis keeps.

Redis keeps the monthly boards of the last `leaderboard_months` months (the current month included),
every yearly board and the all-time board. A monthly board is at most a month's active volunteers per
scope, but there is one more set of them every month: a city's six months took 3.0 GB, so without a
limit Redis grows for ever. An older month is read from the kept SQL period totals (SqlLeaderboards),
which rank and break ties exactly as the Redis boards do; such reads are rare (a past month's
honours are published as honour lists). Months follow the local calendar, as the ledger's periods do.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from servicebank.config import Settings
from servicebank.kernel.clock import utcnow


def oldest_month(today: dt.date, months: int) -> str:
    """The oldest month ("2025-12") of the `months` months ending with today's."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def oldest_kept_month(settings: Settings, now: dt.datetime | None = None) -> str:
    """The oldest monthly period whose boards Redis keeps now."""
    today = (now or utcnow()).astimezone(ZoneInfo(settings.timezone)).date()
    return oldest_month(today, settings.leaderboard_months)


def is_monthly(period: str) -> bool:
    return len(period) == 7


def kept_in_redis(period: str, oldest: str) -> bool:
    """Whether Redis keeps the boards of `period`: years and all time always, months from `oldest` on."""
    return not is_monthly(period) or period >= oldest  # "YYYY-MM" sorts as text
