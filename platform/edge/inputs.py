"""Input no database column can hold, refused the same way on SQLite and PostgreSQL: a NUL character
(PostgreSQL text cannot store U+0000) and whole numbers beyond signed 64 bits (BIGINT, SQLite INTEGER)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from servicebank.kernel.errors import DomainError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
WHOLE_NUMBER = re.compile(r"[+-]?\d+")
MAX_DEPTH = 64


class RefusedInput(DomainError):
    status_code = 400
    code = "invalid_input"


NUL_REFUSED = "The request contains a NUL character (U+0000), which no field accepts. Please remove it."
NUMBER_REFUSED = ("A number in the request is too large (at most 9223372036854775807). Please check it: "
                  "ids and amounts are never that big.")


def refuse_number(value: int | str) -> RefusedInput:
    shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "…"
    return RefusedInput(NUMBER_REFUSED, value=shown)


def check_text(text: str) -> None:
    if "\x00" in text:
        raise RefusedInput(NUL_REFUSED)


def check_number(value: int) -> None:
    if not INT64_MIN <= value <= INT64_MAX:
        raise refuse_number(value)


def check_numeric_text(text: str) -> None:
    """A whole number written as text (a form field, a typed query parameter) must fit 64 bits too."""
    stripped = text.strip()
    if WHOLE_NUMBER.fullmatch(stripped) and not INT64_MIN <= int(stripped) <= INT64_MAX:
        raise refuse_number(stripped)


def check_pairs(pairs: Iterable[tuple[str, Any]], *, numeric: bool) -> None:
    """Form or query fields: no NUL anywhere; with `numeric`, digit-only values must fit 64 bits."""
    for key, value in pairs:
        check_text(key)
        if isinstance(value, str):
            check_text(value)
            if numeric:
                check_numeric_text(value)


# A JSON body can carry a NUL only as the escape \u0000 (a raw NUL byte is not valid JSON), and an integer
# past 64 bits only as a run of 19 or more digits. A body with neither needs no decoding here: the
# handler decodes it anyway, and most writes (a scan, a form) are small bodies with neither.
_MAYBE_REFUSED = re.compile(rb"\\u0000|\d{19}")


def json_may_hold_refused(body: bytes) -> bool:
    """Whether a raw JSON body could hold a NUL or an out-of-range integer (then check_json decides)."""
    return _MAYBE_REFUSED.search(body) is not None


# A URL-encoded form can carry a NUL or a long number past this check only through a percent escape (of the NUL,
# of a digit, or of a letter that counts as a digit in another script) or a run of 19 or more ASCII digits; a
# body without `%`, without raw NUL and beyond-ASCII bytes, and without such a run decodes to fields that pass
# check_pairs. The scan page's form is such a body: it is parsed once, by its handler, instead of here too.
_FORM_MAY_HOLD_REFUSED = re.compile(rb"[%\x00\x80-\xff]|\d{19}")


def form_may_hold_refused(body: bytes) -> bool:
    """Whether a raw URL-encoded body could hold a NUL or an out-of-range number (then check_pairs decides)."""
    return _FORM_MAY_HOLD_REFUSED.search(body) is not None


def check_json(value: Any, depth: int = 0) -> None:
    """Every string and key of a decoded JSON body, every integer in 64 bits."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        check_number(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key))
            check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth + 1)


_INT_QUERY_KEYS: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def _is_int(field: Any) -> bool:
    if field.is_optional:
        field = next((t for t in field.inner_types if not t.is_none_type), field)
    if field.is_non_string_collection and field.inner_types:
        field = field.inner_types[0]
    return field.annotation is int


def int_query_keys(handler: Any) -> frozenset[str]:
    """The query parameters the handler reads as whole numbers (their names as sent)."""
    keys = _INT_QUERY_KEYS.get(handler)
    if keys is None:
        found = set()
        for name, field in handler.parsed_fn_signature.parameters.items():
            if _is_int(field):
                found.add(getattr(field.kwarg_definition, "query", None) or name)
        keys = _INT_QUERY_KEYS[handler] = frozenset(found)
    return keys


def check_url(scope: Any) -> None:
    """The path, its typed parameters, the query string and the headers."""
    check_text(scope.get("path", ""))
    for value in (scope.get("path_params") or {}).values():
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            check_number(value)
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace")
        check_pairs(pairs, numeric=False)
        handler = scope.get("route_handler")
        typed = int_query_keys(handler) if handler is not None else frozenset()
        for key, value in pairs:
            if key in typed:
                check_numeric_text(value)
    for _, value in scope.get("headers", ()):
        if b"\x00" in value:
            raise RefusedInput(NUL_REFUSED)
