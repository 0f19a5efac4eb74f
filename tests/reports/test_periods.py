"""Reporting periods: months, quarters and years in local time."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.kernel.errors import InvalidInput
from servicebank.reports.periods import parse_month, parse_period, previous_month


def test_periods_and_the_year_before() -> None:
    q4 = parse_period("2026-q4")
    assert (q4.label, q4.kind, q4.start, q4.end, q4.chinese) == (
        "2026-Q4", "quarter", dt.date(2026, 10, 1), dt.date(2027, 1, 1), "2026年第4季度")
    assert q4.year_before().label == "2025-Q4"
    december = parse_period("2026-12")
    assert (december.end, december.last_day, december.chinese) == (dt.date(2027, 1, 1), dt.date(2026, 12, 31),
                                                                    "2026年12月")
    assert parse_period("2026").year_before() == parse_period("2025")
    start, end = parse_period("2026-10").utc_bounds("Asia/Shanghai")
    assert start == dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC) and end == dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)
    assert previous_month(dt.date(2026, 1, 1)).label == "2025-12"


@pytest.mark.parametrize("value", ["", "2026-00", "2026-13", "2026-Q0", "2026-Q5", "1999", "2026/10", "Q4-2026"])
def test_bad_periods_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_period(value)
    assert err.value.code == "invalid_period"


def test_a_month_only_where_a_month_is_needed() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_month("2026-Q4")
    assert err.value.code == "invalid_month"
