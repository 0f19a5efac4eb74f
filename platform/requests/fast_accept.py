"""接单 in one statement on PostgreSQL: the common case of a volunteer taking a request from the 接单大厅.

The statement reads the caller's live login (accounts.sessions.live_login) and the request as lists show it,
takes the request with the same guarded UPDATE as the general path when every condition of dispatch.accept holds,
writes its `request.accepted` outbox event, and returns what it read either way. The conditions, in the order
dispatch.accept checks them: an active volunteer of the request's community; the request open; given to nobody
in particular or to a team of theirs; not their own household's nor paid with their coins; and no rule of another
domain applying to its category (hooks.acceptance_rules_apply), whose refusals the general path asks for.

When any condition fails (a race lost, a team it was not given to, a category that requires cover...), nothing is
written and the caller takes the general path, which raises the right error or accepts with the other domains'
checks. So the plain accept costs one round trip, as the one-insert baseline does (bench/requests_notes.md).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import TIMESTAMP, bindparam, cast, exists, func, literal, literal_column, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import ACTING_STATUSES, Principal
from servicebank.accounts.sessions import hash_token, live_login, plausible_token, volunteer_of_login
from servicebank.kernel import direct
from servicebank.kernel.dialect import is_asyncpg
from servicebank.kernel.events import OUTBOX_TABLE, publish_after_commit
from servicebank.requests import hooks, repository
from servicebank.requests.models import RequestStatus, ServiceRequest
from servicebank.volunteers.models import TeamMember

R = ServiceRequest
ACCEPTED_EVENT = "request.accepted"


def _visit_start(now: Any) -> Any:  # noqa: ANN401 - SQL expressions
    """reminders.visit_start in SQL: the start of the first preferred window (in order) not over at `now`."""
    window = func.jsonb_array_elements(R.time_windows).table_valued("value").alias("w")
    start = cast(window.c.value.op("->>")(literal_column("0")), TIMESTAMP(timezone=True))
    end = cast(window.c.value.op("->>")(literal_column("1")), TIMESTAMP(timezone=True))
    return select(start).select_from(window).where(end > now).order_by(start, end).limit(1).scalar_subquery()


@lru_cache(maxsize=1)
def _statement() -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The statement in asyncpg's numbered form, its parameter names in order, and the values it carries."""
    now = cast(bindparam("now"), TIMESTAMP(timezone=True))
    login = live_login(now).cte("login")
    request = (repository.listing()
               .add_columns(R.payer_volunteer_id, _visit_start(now).label("next_visit_at"),
                            hooks.acceptance_rules_apply.any_of(R.community_id, R.category_id).label("rules_apply"))
               .where(R.id == bindparam("request_id")).cte("request"))
    in_team = exists().where(TeamMember.team_id == R.team_id, TeamMember.volunteer_id == login.c.login_volunteer_id)
    taken = (update(R)
             .where(R.id == request.c.id, R.status == RequestStatus.OPEN,
                    R.community_id == login.c.login_volunteer_community_id,
                    or_(*(login.c.login_volunteer_status == status for status in ACTING_STATUSES)),
                    or_(R.team_id.is_(None), in_team),
                    login.c.login_volunteer_id.is_distinct_from(request.c.resident_volunteer_id),
                    login.c.login_volunteer_id.is_distinct_from(request.c.payer_volunteer_id),
                    request.c.rules_apply.is_(False))
             .values(status=RequestStatus.ACCEPTED, volunteer_id=login.c.login_volunteer_id, accepted_at=now,
                     visit_at=request.c.next_visit_at)
             .returning(R.id.label("taken_id"))
             .cte("taken"))
    # The event as dispatch.accept records it (events.insert_events), its payload built by PostgreSQL.
    payload = func.jsonb_build_object(literal_column("'request_id'"), taken.c.taken_id,
                                      literal_column("'user_id'"), login.c.login_user_id,
                                      literal_column("'volunteer_id'"), login.c.login_volunteer_id)
    event = (OUTBOX_TABLE.insert()
             .from_select(["type", "payload", "created_at", "attempts", "dead"],
                          select(literal(ACCEPTED_EVENT), cast(payload, OUTBOX_TABLE.c.payload.type), now,
                                 literal(0), literal(False)).select_from(taken).join(login, true()))
             .returning(OUTBOX_TABLE.c.id.label("event_id"))
             .cte("event"))
    found = (select(login, request, taken.c.taken_id, event.c.event_id)
             .select_from(login.outerjoin(request, true()).outerjoin(taken, true()).outerjoin(event, true())))
    text, carried, _done = direct.named(found)
    sql, names = direct.numbered(text)
    return sql, names, carried


def available(session: AsyncSession) -> bool:
    """The one-statement accept needs PostgreSQL's data-modifying CTEs sent straight through asyncpg, and an SQL
    answer from every domain that may refuse an acceptance (else it could accept what one of them refuses)."""
    return is_asyncpg(session) and len(hooks.acceptance_rules_apply) >= len(hooks.acceptance_refusals)


async def accept(session: AsyncSession, *, bearer: str, request_id: int,
                 now: dt.datetime) -> tuple[Principal, SimpleNamespace] | None:
    """Take the request for the bearer's volunteer in one round trip: (the caller, the request as lists show it,
    now accepted), or None when this statement did not take it (no live login, or any condition of
    dispatch.accept not met): the caller then takes the general path, which says why or accepts.

    Runs in the session's transaction when one is open, otherwise as its own: the UPDATE and its outbox event are
    one statement either way. The event is sent once the session commits, like any recorded event."""
    if not plausible_token(bearer):
        return None
    sql, names, carried = _statement()
    given = {**carried, "token_hash": hash_token(bearer), "request_id": request_id, "now": now}
    connection = await (await session.connection()).get_raw_connection()
    record = await direct.driver(connection).fetchrow(sql, *(given[n] for n in names))
    if record is None or record["taken_id"] is None:
        return None
    row = SimpleNamespace(**dict(record.items()))
    publish_after_commit(session, row.event_id)
    # What the UPDATE wrote, over what the request's row said before it.
    row.status, row.volunteer_id, row.accepted_at = RequestStatus.ACCEPTED, row.login_volunteer_id, now
    return volunteer_of_login(row), row

