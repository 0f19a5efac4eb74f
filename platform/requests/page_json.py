"""The 接单大厅 and the 派单台 pages as PostgreSQL writes them: the API's JSON for a page of requests, built in the
page's own statement.

Thousands of phones refresh these lists; turning 50 rows into RequestOut structs and those into JSON cost the API
about two thirds of its time per page (py-spy, bench/requests_notes.md), against a fraction of that for PostgreSQL
to write the same JSON. The shape is RequestOut's, field for field and in its order, with its datetimes as msgspec
writes them; tests/requests/test_page_json.py compares the two paths over mixed pages.

Who sees a resident's name, address and phone (access.sees_contact) is decided for these two lists only, where the
community's policy never plays a part: a request in the hall is open and assigned to nobody, so its contact is for
staff of the community and the resident; the 派单台 is for staff, who see every row's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Text, bindparam, case, cast, func, literal_column, null, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by

from servicebank.requests.schemas import RatingOut, RequestOut


def _time(column: Any) -> Any:  # noqa: ANN401 - SQL expressions
    """A timestamptz as msgspec writes an aware UTC datetime: seconds, microseconds only when not zero, then Z."""
    utc = column.op("AT TIME ZONE")(literal_column("'UTC'"))
    written = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS.US'"))
    return func.replace(written, literal_column("'.000000'"), literal_column("''")).op("||")(literal_column("'Z'"))


# What str.strip() takes off a name that PostgreSQL's btrim must too (stored names are stripped already; the
# spaces a form could still carry): space, tab, line ends, no-break and ideographic space.
_SPACES: Any = literal_column("E' \\t\\n\\r\\u00a0\\u3000'")


def _masked(name: Any) -> Any:  # noqa: ANN401
    """kernel.text.mask_name in SQL: 王*英, 李*, A*e; one character stays, none is *."""
    trimmed = func.btrim(name, _SPACES)
    length = func.char_length(trimmed)
    return case((length == 0, literal_column("'*'")), (length == 1, trimmed),
                (length == 2, func.left(trimmed, 1).op("||")(literal_column("'*'"))),
                else_=func.left(trimmed, 1).op("||")(func.repeat(literal_column("'*'"), length - 2))
                .op("||")(func.right(trimmed, 1)))


def _object(row: Any, contact: Any) -> Any:  # noqa: ANN401
    """One row (repository.LIST_COLUMNS) as RequestOut's JSON object."""
    c = row.c
    address = func.btrim(c.grid_name.op("||")(literal_column("' '")).op("||")(c.building)
                         .op("||")(literal_column("' '")).op("||")(c.unit))
    rating = case((c.stars.is_(None), null()), else_=func.json_build_object(
        literal_column("'stars'"), c.stars, literal_column("'tags'"), func.coalesce(c.tags, cast("[]", c.tags.type)),
        literal_column("'comment'"), c.comment, literal_column("'on_behalf'"), c.rating_on_behalf,
        literal_column("'review_open'"), c.review_open))
    values = {
        "id": c.id, "community_id": c.community_id, "grid_id": c.grid_id, "grid_name": c.grid_name,
        "household_id": c.household_id, "category": c.category, "description": c.description, "urgency": c.urgency,
        "windows": c.time_windows, "status": c.status, "payer": c.payer, "estimated_minutes": c.estimated_minutes,
        "created_at": _time(c.created_at), "on_behalf": c.on_behalf,
        "resident": case((contact, c.resident_name), else_=_masked(c.resident_name)), "building": c.building,
        "address": case((contact, address), else_=null()), "phone": case((contact, c.phone), else_=null()),
        "volunteer_id": c.volunteer_id, "decline_reason": c.decline_reason, "cancel_reason": c.cancel_reason,
        "accepted_at": _time(c.accepted_at), "started_at": _time(c.started_at), "finished_at": _time(c.finished_at),
        "posted_minutes": c.posted_minutes, "posted_points": c.posted_points, "paid_by_payer": c.paid_by_payer,
        "rating": rating, "team_id": c.team_id,
    }
    assert list(values) == list(RequestOut.__struct_fields__), "RequestOut's fields, in its order"
    assert RatingOut.__struct_fields__ == ("stars", "tags", "comment", "on_behalf", "review_open")
    parts: list[Any] = []
    for name, value in values.items():
        parts += [literal_column(f"'{name}'"), value]
    return func.json_build_object(*parts)


def as_json(page: Any, *, contact: Callable[[Any], Any]) -> Any:  # noqa: ANN401
    """The page statement (ordered most urgent, then oldest, and limited) as one row: its rows' JSON array as text,
    in the page's order. `contact(rows)`: whether the caller sees a row's contact, in SQL."""
    rows = page.subquery("page")
    ordered = aggregate_order_by(_object(rows, contact(rows)), rows.c.urgency.desc(), rows.c.created_at, rows.c.id)
    return select(cast(func.coalesce(func.json_agg(ordered), literal_column("'[]'::json")), Text))


def hall_contact(rows: Any) -> Any:  # noqa: ANN401
    """Contact in the hall (open, unassigned rows): staff of the community (`:works_in`), and the resident."""
    return or_(bindparam("works_in", type_=Boolean), rows.c.resident_volunteer_id == bindparam("volunteer_id"))


def staff_contact(rows: Any) -> Any:  # noqa: ANN401
    """Contact in the 派单台: its callers are the community's staff, who see every row's."""
    del rows
    return true()
