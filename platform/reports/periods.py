"""Reporting periods: a month "2026-11", a quarter "2026-Q4" or a year "2026", in local time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from servicebank.kernel.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclasses.dataclass(frozen=True)
class Period:
    """A local calendar period: first day inclusive, `end` exclusive."""

    label: str
    kind: str  # month, quarter, year
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def chinese(self) -> str:
        """The label as a Chinese heading: 2026年11月, 2026年第4季度, 2026年."""
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    def year_before(self) -> Period:
        """The same period one year earlier."""
        return parse_period(_shift_label(self, -1))

    def utc_bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants [start, end) for columns stored in UTC."""
        tz = ZoneInfo(timezone)
        start = dt.datetime.combine(self.start, dt.time(), tz).astimezone(dt.UTC)
        end = dt.datetime.combine(self.end, dt.time(), tz).astimezone(dt.UTC)
        return start, end


def _first_of_next_month(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1)


def _shift_label(period: Period, years: int) -> str:
    year = period.start.year + years
    if period.kind == "month":
        return f"{year}-{period.start.month:02d}"
    if period.kind == "quarter":
        return f"{year}-Q{(period.start.month - 1) // 3 + 1}"
    return str(year)


def _check_year(year: int, value: str) -> None:
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"The period {value!r} is outside the years 2000-2100.", code="invalid_period")


def parse_period(value: str) -> Period:
    """Parse "2026-11", "2026-Q4" or "2026"; InvalidInput(code=invalid_period) otherwise."""
    value = (value or "").strip().upper()
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        _check_year(year, value)
        return Period(value, "month", dt.date(year, month, 1), _first_of_next_month(year, month))
    if match := _QUARTER.match(value):
        year, quarter = int(match[1]), int(match[2])
        _check_year(year, value)
        first = 3 * quarter - 2
        return Period(value, "quarter", dt.date(year, first, 1), _first_of_next_month(year, first + 2))
    if match := _YEAR.match(value):
        year = int(match[1])
        _check_year(year, value)
        return Period(value, "year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    raise InvalidInput(f"{value!r} is not a period: use a month (2026-11), a quarter (2026-Q4) or a year (2026).",
                       code="invalid_period")


def parse_month(value: str) -> Period:
    """Parse a month "2026-10" only; InvalidInput(code=invalid_month) otherwise."""
    if not _MONTH.match((value or "").strip()):
        raise InvalidInput(f"{value!r} is not a month: use the form 2026-10.", code="invalid_month")
    return parse_period(value)


def previous_month(today: dt.date) -> Period:
    """The month before the one `today` falls in."""
    first = today.replace(day=1) - dt.timedelta(days=1)
    return parse_period(f"{first.year}-{first.month:02d}")
