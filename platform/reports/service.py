"""Who may read which 台账, and building it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.org import service as org
from servicebank.org.access import supervises
from servicebank.reports import repository as repo
from servicebank.reports import taizhang as tz
from servicebank.reports.periods import parse_period
from servicebank.reports.schemas import TaizhangOut


def parse_scope(scope: str) -> tuple[str, int]:
    """"community:12" or "street:3" -> (kind, id); InvalidInput(code=invalid_scope) otherwise."""
    kind, _, raw_id = (scope or "").strip().partition(":")
    if kind not in ("community", "street") or not raw_id.isdigit():
        raise InvalidInput("The scope is community:<id> or street:<id>.", code="invalid_scope")
    return kind, int(raw_id)


def _not_found() -> NotFound:
    return NotFound("No such community or street.", code="scope_not_found")


async def resolve_scope(session: AsyncSession, scope: str, principal: Principal | None) -> tuple[str, int, str,
                                                                                                 dict[int, str]]:
    """(kind, id, name, communities) of a scope the caller may report on; None principal: no check (CLI)."""
    kind, scope_id = parse_scope(scope)
    name, communities = await repo.scope_communities(session, kind, scope_id)
    if not name:
        raise _not_found()
    if principal is not None:
        if kind == "community":
            try:
                principal.require_manager(scope_id)
            except NotFound as exc:
                raise _not_found() from exc
        elif not supervises(principal, scope_id):
            raise _not_found()
    return kind, scope_id, name, communities


async def report_scopes(session: AsyncSession, *, principal: Principal) -> list[tuple[str, str]]:
    """(scope, name) the caller may report on, as `resolve_scope` allows: the communities they manage, then the
    streets they administer."""
    out = [(f"community:{c.id}", c.name) for c in await org.workplaces(session, actor=principal)
           if principal.manages(c.id)]
    out += [(f"street:{s.id}", s.name) for s in await org.supervised_streets(session, actor=principal)]
    return out


async def taizhang(session: AsyncSession, *, principal: Principal | None, scope: str, period: str,
                   timezone: str) -> TaizhangOut:
    """The report for a scope and period (month, quarter or year) with last year's comparison."""
    parsed = parse_period(period)
    kind, scope_id, name, communities = await resolve_scope(session, scope, principal)
    return await tz.build(session, scope_kind=kind, scope_id=scope_id, scope_name=name, communities=communities,
                          period=parsed, timezone=timezone)
