"""Cleaning of single volunteer fields, shared by the API and the roster import (one set of rules)."""

from __future__ import annotations

import datetime as dt
import re

from servicebank.kernel.errors import InvalidInput

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
GENDERS = {"男": "男", "女": "女", "m": "男", "male": "男", "f": "女", "female": "女"}
MAX_SKILL_TAGS = 20
SKILL_SPLIT = re.compile(r"[、，,;；|/\s]+")


def clean_name(raw: str | None) -> str:
    """A real name: 1-64 characters after trimming."""
    name = (raw or "").strip()
    if not name:
        raise InvalidInput("The real name is missing.", code="missing_name")
    if len(name) > 64:
        raise InvalidInput("The real name is longer than 64 characters.", code="invalid_name")
    return name


def clean_phone(raw: str | None) -> str:
    """A mainland mobile (11 digits) or a landline with area code; +86 and separators are dropped."""
    phone = re.sub(r"[\s()（）]", "", str(raw or ""))
    if not phone:
        raise InvalidInput("The phone number is missing.", code="missing_phone")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    compact = phone.replace("-", "")
    if MOBILE.match(compact):
        return compact
    if LANDLINE.match(phone):
        return phone
    raise InvalidInput(f"{raw!s} is not a phone number: use an 11-digit mobile number or a landline with its "
                       "area code (010-88886666).", code="invalid_phone")


def clean_gender(raw: str | None) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    gender = GENDERS.get(str(raw).strip().lower())
    if gender is None:
        raise InvalidInput(f"Gender must be 男 or 女, not {raw!s}.", code="invalid_gender")
    return gender


def clean_birth_year(raw: object, *, this_year: int) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if text.isdigit() and 5 <= len(text) <= 6:
        # A date cell read as its Excel serial number (days since 1899-12-30).
        text = (dt.date(1899, 12, 30) + dt.timedelta(days=int(text))).isoformat()
    match = re.match(r"^(\d{4})", text)
    year = int(match.group(1)) if match else -1
    if not (1900 <= year <= this_year):
        raise InvalidInput(f"The birth year {text} is not a year between 1900 and {this_year}.",
                           code="invalid_birth_year")
    return year


def clean_skill_tags(raw: list[str] | str | None) -> list[str]:
    """Distinct tags of up to 16 characters; a string is split on 、,;| and spaces."""
    if raw is None:
        return []
    items = SKILL_SPLIT.split(raw) if isinstance(raw, str) else raw
    tags: list[str] = []
    for item in items:
        tag = str(item).strip()
        if not tag or tag in tags:
            continue
        if len(tag) > 16:
            raise InvalidInput(f"The skill tag {tag!r} is longer than 16 characters.", code="invalid_skill_tag")
        tags.append(tag)
    if len(tags) > MAX_SKILL_TAGS:
        raise InvalidInput(f"At most {MAX_SKILL_TAGS} skill tags per volunteer.", code="too_many_skill_tags")
    return tags


def clean_short_text(raw: str | None, *, field: str, limit: int = 32) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters.", code=f"invalid_{field}")
    return text


def parse_flag(raw: object) -> bool:
    """Spreadsheet yes/no: 是/否, Y/N, 1/0, true/false, ✓."""
    if isinstance(raw, bool):
        return raw
    text = str(raw or "").strip().lower()
    if text in {"是", "y", "yes", "1", "true", "✓", "√", "有"}:
        return True
    if text in {"", "否", "n", "no", "0", "false", "无", "-"}:
        return False
    raise InvalidInput(f"Use 是 or 否, not {raw!s}.", code="invalid_flag")
