"""Checks on what an organiser enters: times, capacity, the hours rule override."""

from __future__ import annotations

import datetime as dt
from typing import Any

from servicebank.kernel.errors import InvalidInput

ROUNDING_MODES = ("nearest", "down", "up")
# key -> (type, min, max); bounds keep a typo (x100 instead of x1.0) from minting hours.
_HOURS_RULE_INTS = {
    "multiplier_permille": (1, 10_000),
    "rounding_minutes": (1, 240),
    "daily_cap_minutes": (1, 1440),
}
MAX_DURATION = dt.timedelta(days=14)


def validate_hours_rule(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a clean copy of the override, or refuse it with `invalid_hours_rule`."""
    if rule is None:
        return None
    if not isinstance(rule, dict):
        raise InvalidInput("The hours rule must be an object.", code="invalid_hours_rule")
    allowed = {*_HOURS_RULE_INTS, "rounding", "earns_points"}
    unknown = sorted(set(rule) - allowed)
    if unknown:
        raise InvalidInput(f"Unknown hours rule keys: {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
                           code="invalid_hours_rule")
    clean: dict[str, Any] = {}
    for key, (low, high) in _HOURS_RULE_INTS.items():
        if key not in rule:
            continue
        value = rule[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{key} must be a whole number from {low} to {high}.", code="invalid_hours_rule")
        clean[key] = value
    if "rounding" in rule:
        if rule["rounding"] not in ROUNDING_MODES:
            raise InvalidInput("rounding must be one of nearest, down, up.", code="invalid_hours_rule")
        clean["rounding"] = rule["rounding"]
    if "earns_points" in rule:
        if not isinstance(rule["earns_points"], bool):
            raise InvalidInput("earns_points must be true or false.", code="invalid_hours_rule")
        clean["earns_points"] = rule["earns_points"]
    return clean or None


def validate_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """End after start, both with a time zone, and no longer than two weeks."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("Give times with a time zone, e.g. 2025-05-01T09:00:00+08:00.", code="naive_datetime")
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.", code="invalid_time_range")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("An activity lasts at most 14 days; split longer ones or make them recurring.",
                           code="invalid_time_range")


def validate_capacity(capacity: int | None) -> None:
    """None means unlimited; otherwise at least one place."""
    if capacity is not None and not 1 <= capacity <= 100_000:
        raise InvalidInput("Capacity must be at least 1 (or empty for no limit).", code="invalid_capacity")


def validate_coordinates(latitude: float | None, longitude: float | None) -> None:
    """Both or neither, within range."""
    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", code="invalid_coordinates")
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # type: ignore[operator]
        raise InvalidInput("Coordinates are out of range.", code="invalid_coordinates")
