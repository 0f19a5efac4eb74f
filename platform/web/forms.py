"""Reading the organiser's forms: the activity fields (shared by one-off activities and series) and their
pre-filled values, so the create and edit pages show and parse exactly the same fields."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.enums import RequestEncodingType

from servicebank.kernel.errors import InvalidInput
from servicebank.web.i18n import N_

LIST_SPLIT = re.compile(r"[、，,;；\s]+")
SKILL_SUGGESTIONS = ("医疗", "法律", "理发", "维修", "文艺", "心理疏导", "电脑", "摄影")
ROUNDINGS = ("nearest", "down", "up")
# Fields that are lists even when sent once (checkboxes).
LIST_FIELDS = ("team_ids", "weekday")
FIELDS = ("kind", "title", "description", "beneficiary_groups", "address", "latitude", "longitude", "capacity",
          "team_ids", "required_skill", "hours_rule_override", "beneficiaries_count")


def values(form: Any) -> dict[str, Any]:
    """A submitted form as a dict; fields sent several times (checkboxes) become lists."""
    out: dict[str, Any] = {}
    for key in form:
        many = form.getall(key) if hasattr(form, "getall") else [form[key]]
        out[key] = many if len(many) > 1 or key in LIST_FIELDS else many[0]
    return out


async def posted(request: Request) -> dict[str, Any]:
    """The posted form as `values` gives it. A URL-encoded body holding no escape (`%`, `+`) and only ASCII, as
    the scan page's form is, is split here: the framework's parser unquotes every name and value and builds two
    multi-dicts, a tenth of the scan page's own cost (issue 18); every other body goes through it."""
    if request.content_type[0] == RequestEncodingType.URL_ENCODED:
        body = await request.body()
        if body.isascii() and b"%" not in body and b"+" not in body:
            return _split(body.decode("ascii"))
    return values(await request.form())


def _split(text: str) -> dict[str, Any]:
    """`a=1&b=&b=2` as {"a": "1", "b": ["", "2"]}: what parse_qsl and `values` make of a body without escapes."""
    found: dict[str, list[str]] = {}
    for pair in text.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            found.setdefault(key, []).append(value)
    return {key: many if len(many) > 1 or key in LIST_FIELDS else many[0] for key, many in found.items()}


def text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return str(value[0] if isinstance(value, list) and value else value or "").strip()


def many(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name)
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def position(form: dict[str, Any]) -> tuple[float, float] | None:
    """Latitude and longitude as the browser gave them (static/position.js); a missing, partial or impossible
    pair counts as none, so the geofence's own rule for a scan without a position decides."""
    try:
        latitude, longitude = float(text(form, "latitude")), float(text(form, "longitude"))
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # also refuses nan
        return None
    return latitude, longitude


def whole(form: dict[str, Any], name: str, message: str) -> int | None:
    """An optional whole number; empty means None."""
    raw = text(form, name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(message, code="invalid_input") from None


def decimal(form: dict[str, Any], name: str, message: str) -> float | None:
    raw = text(form, name)
    if not raw:
        return None
    try:
        return float(Decimal(raw))
    except InvalidOperation:
        raise InvalidInput(message, code="invalid_input") from None


def parse_local(value: str, timezone: str) -> dt.datetime:
    """A datetime-local field ("2026-11-23T09:30") in the platform's timezone, as an aware time."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("Please give the date and time, e.g. 2026-11-23 09:30.", code="invalid_time") from None
    return naive.replace(tzinfo=ZoneInfo(timezone)) if naive.tzinfo is None else naive


def hours_rule(form: dict[str, Any]) -> dict[str, Any] | None:
    """The activity's own hours rule from the "special hours rule" fields; None when all are left as default."""
    rule: dict[str, Any] = {}
    multiplier = decimal(form, "hr_multiplier", N_("The points multiplier must be a number such as 1.5."))
    if multiplier is not None:
        rule["multiplier_permille"] = round(multiplier * 1000)
    for key in ("rounding_minutes", "daily_cap_minutes"):
        number = whole(form, f"hr_{key}", N_("Minutes must be whole numbers."))
        if number is not None:
            rule[key] = number
    if text(form, "hr_rounding") in ROUNDINGS:
        rule["rounding"] = text(form, "hr_rounding")
    if text(form, "hr_earns_points") in ("yes", "no"):
        rule["earns_points"] = text(form, "hr_earns_points") == "yes"
    return rule or None


def activity_fields(form: dict[str, Any], *, timezone: str, with_times: bool) -> dict[str, Any]:
    """The activity fields of the form (the domain validates them); times too for one-off activities."""
    out: dict[str, Any] = {
        "kind": text(form, "kind"), "title": text(form, "title"), "description": text(form, "description"),
        "address": text(form, "address"),
        "beneficiary_groups": [g for g in LIST_SPLIT.split(text(form, "beneficiary_groups")) if g],
        "capacity": whole(form, "capacity", N_("Places must be a whole number (or empty for no limit).")),
        "team_ids": sorted({int(t) for t in many(form, "team_ids") if t.isdigit()}),
        "required_skill": text(form, "required_skill") or None,
        "beneficiaries_count": whole(form, "beneficiaries_count",
                                     N_("The number of people served must be a whole number.")) or 0,
        "latitude": decimal(form, "latitude", N_("Latitude and longitude are numbers such as 39.9.")),
        "longitude": decimal(form, "longitude", N_("Latitude and longitude are numbers such as 39.9.")),
        "hours_rule_override": hours_rule(form),
    }
    if not out["title"]:
        raise InvalidInput(N_("Please give the activity a title."), code="invalid_input")
    if with_times:
        out["starts_at"] = parse_local(text(form, "starts_at"), timezone)
        out["ends_at"] = parse_local(text(form, "ends_at"), timezone)
    return out


def changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Only the fields whose value differs (editing nothing must not detach an occurrence from its series)."""
    return {k: v for k, v in wanted.items() if current.get(k) != v}


def current_fields(source: Any) -> dict[str, Any]:
    """The activity fields of an Activity, or of a series template (a dict)."""
    get = source.get if isinstance(source, dict) else (lambda k, default=None: getattr(source, k, default))
    current = {f: get(f) for f in FIELDS}
    current["beneficiary_groups"] = list(current["beneficiary_groups"] or [])
    current["team_ids"] = sorted(current["team_ids"] or [])
    current["beneficiaries_count"] = current["beneficiaries_count"] or 0
    current["description"] = current["description"] or ""
    current["address"] = current["address"] or ""
    return current


def prefill(source: Any, *, timezone: str) -> dict[str, Any]:
    """Form values (strings and lists) showing an Activity or a series template."""
    current = current_fields(source)
    rule = current["hours_rule_override"] or {}
    form: dict[str, Any] = {
        "kind": current["kind"] or "", "title": current["title"] or "", "description": current["description"],
        "address": current["address"], "beneficiary_groups": "、".join(current["beneficiary_groups"]),
        "capacity": "" if current["capacity"] is None else str(current["capacity"]),
        "team_ids": [str(t) for t in current["team_ids"]], "required_skill": current["required_skill"] or "",
        "beneficiaries_count": str(current["beneficiaries_count"] or ""),
        "latitude": "" if current["latitude"] is None else str(current["latitude"]),
        "longitude": "" if current["longitude"] is None else str(current["longitude"]),
        "hr_multiplier": str(Decimal(rule["multiplier_permille"]) / 1000) if "multiplier_permille" in rule else "",
        "hr_rounding_minutes": str(rule.get("rounding_minutes", "")),
        "hr_daily_cap_minutes": str(rule.get("daily_cap_minutes", "")),
        "hr_rounding": rule.get("rounding", ""),
        "hr_earns_points": {True: "yes", False: "no"}.get(rule.get("earns_points"), ""),  # type: ignore[arg-type]
    }
    if not isinstance(source, dict):
        tz = ZoneInfo(timezone)
        form["starts_at"] = source.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
        form["ends_at"] = source.ends_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    return form
