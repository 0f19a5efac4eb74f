"""The friendly repeat picker of the series form: weekdays or a day of the month, a time, a length, an end date.

It builds the RFC 5545 RRULE the activities domain stores, finds the first real occurrence (a series starts on a
day its rule gives, not on whatever day the form was filled in), and reads our own rules back into the picker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import cast
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from servicebank.kernel.errors import InvalidInput
from servicebank.web.i18n import N_

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_LENGTH_MINUTES = 24 * 60
LAST_DAY = -1  # BYMONTHDAY=-1: the last day of every month


@dataclasses.dataclass(frozen=True)
class Repeat:
    """What the organiser picked."""

    freq: str  # "weekly" or "monthly"
    weekdays: tuple[str, ...]  # weekly: MO..SU
    monthday: int  # monthly: 1..31, or -1 for the last day
    interval: int  # every N weeks / months
    first_day: dt.date  # the first occurrence is on or after this day
    start_time: dt.time
    length_minutes: int
    until: dt.date | None  # the last day an occurrence may fall on (None: open-ended)


def _bad(message: str, code: str = "invalid_repeat") -> InvalidInput:
    return InvalidInput(message, code=code)


def parse_repeat(form: dict[str, object]) -> Repeat:
    """The picker's fields as a Repeat; refuses what cannot make a schedule (stable codes)."""
    freq = str(form.get("freq", "weekly"))
    if freq not in ("weekly", "monthly"):
        raise _bad(N_("Choose weekly or monthly."))
    weekdays = tuple(d for d in WEEKDAYS if d in _many(form, "weekday"))
    if freq == "weekly" and not weekdays:
        raise _bad(N_("Choose at least one weekday."), "repeat_weekday_required")
    try:
        monthday = int(str(form.get("monthday") or "1"))
        interval = int(str(form.get("interval") or "1"))
        first_day = dt.date.fromisoformat(str(form.get("first_day", "")).strip())
        start_time = dt.time.fromisoformat(str(form.get("start_time", "")).strip())
        length = int(str(form.get("length_minutes") or "0"))
        raw_until = str(form.get("until") or "").strip()
        until = dt.date.fromisoformat(raw_until) if raw_until else None
    except ValueError:
        raise _bad(N_("Please give the first day, the time and the length as numbers and dates.")) from None
    if not (1 <= monthday <= 31 or monthday == LAST_DAY):
        raise _bad(N_("The day of the month is 1 to 31 (or the last day)."))
    if not 1 <= interval <= 12:
        raise _bad(N_("Repeat every 1 to 12 weeks or months."))
    if not 1 <= length <= MAX_LENGTH_MINUTES:
        raise _bad(N_("The length is 1 to 1440 minutes."), "invalid_repeat_length")
    if until is not None and until < first_day:
        raise _bad(N_("The end date is before the first day."), "invalid_repeat_until")
    return Repeat(freq=freq, weekdays=weekdays, monthday=monthday, interval=interval, first_day=first_day,
                  start_time=start_time.replace(second=0, microsecond=0), length_minutes=length, until=until)


def _many(form: dict[str, object], name: str) -> list[str]:
    value = form.get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def to_rrule(repeat: Repeat) -> str:
    """The RRULE text (no DTSTART: the series takes its first start from starts_at)."""
    parts = ["FREQ=WEEKLY" if repeat.freq == "weekly" else "FREQ=MONTHLY"]
    if repeat.interval > 1:
        parts.append(f"INTERVAL={repeat.interval}")
    if repeat.freq == "weekly":
        parts.append("BYDAY=" + ",".join(repeat.weekdays))
    else:
        parts.append(f"BYMONTHDAY={repeat.monthday}")
    if repeat.until is not None:
        # Floating local time, like the start the rule is expanded from: the whole last day counts.
        parts.append(f"UNTIL={repeat.until:%Y%m%d}T235959")
    return ";".join(parts)


def first_occurrence(repeat: Repeat, *, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the first occurrence on or after the first day, as aware times."""
    rule_text = to_rrule(repeat)
    begin = dt.datetime.combine(repeat.first_day, repeat.start_time)
    first = rrulestr(rule_text, dtstart=begin).after(begin, inc=True)
    if first is None:
        raise _bad(N_("No day between the first day and the end date fits this schedule."), "repeat_never_happens")
    start = first.replace(tzinfo=ZoneInfo(timezone))
    return start, start + dt.timedelta(minutes=repeat.length_minutes)


def read_rrule(rule: str, *, first_start: dt.datetime, length_minutes: int, timezone: str) -> dict[str, object] | None:
    """A stored rule as the picker's field values; None when it is not one the picker can show."""
    fields: dict[str, str] = {}
    for part in rule.strip().removeprefix("RRULE:").split(";"):
        key, _, value = part.partition("=")
        fields[key.upper()] = value.upper()
    if set(fields) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL"}:
        return None
    local = first_start.astimezone(ZoneInfo(timezone))
    values: dict[str, object] = {"interval": fields.get("INTERVAL", "1"), "first_day": local.date().isoformat(),
                                 "start_time": local.strftime("%H:%M"), "length_minutes": str(length_minutes),
                                 "until": "", "weekday": [], "monthday": "1"}
    if "UNTIL" in fields:
        try:
            values["until"] = dt.datetime.strptime(fields["UNTIL"][:8], "%Y%m%d").date().isoformat()
        except ValueError:
            return None
    if fields.get("FREQ") == "WEEKLY" and "BYMONTHDAY" not in fields:
        days = [d for d in fields.get("BYDAY", WEEKDAYS[local.weekday()]).split(",") if d]
        if any(d not in WEEKDAYS for d in days):
            return None
        values.update(freq="weekly", weekday=days)
        return values
    if fields.get("FREQ") == "MONTHLY" and "BYDAY" not in fields:
        values.update(freq="monthly", monthday=fields.get("BYMONTHDAY", str(local.day)))
        return values
    return None


def describe(rule: str, *, first_start: dt.datetime, length_minutes: int, timezone: str, _) -> str:  # noqa: ANN001
    """The schedule in words ("Every week on Sat, Sun at 09:00, 120 minutes, until 2026-12-31")."""
    values = read_rrule(rule, first_start=first_start, length_minutes=length_minutes, timezone=timezone)
    if values is None:
        return _("Custom schedule: %(rule)s", rule=rule)
    names = dict(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True))
    every = int(str(values["interval"]))
    if values["freq"] == "weekly":
        days = "、".join(_(names[d]) for d in cast("list[str]", values["weekday"]))
        text = (_("Every week on %(days)s", days=days) if every == 1
                else _("Every %(n)s weeks on %(days)s", n=every, days=days))
    else:
        day = int(str(values["monthday"]))
        shown = _("the last day") if day == LAST_DAY else _("day %(n)s", n=day)
        text = (_("Every month on %(day)s", day=shown) if every == 1
                else _("Every %(n)s months on %(day)s", n=every, day=shown))
    text += " · " + _("%(time)s, %(minutes)s minutes", time=values["start_time"], minutes=length_minutes)
    if values["until"]:
        text += " · " + _("until %(date)s", date=values["until"])
    return text


# The picker's labels (translated where shown).
WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
