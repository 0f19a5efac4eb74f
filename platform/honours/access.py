"""Who may see and change which honour lists: organisers their community's, street administrators their
street's (and its communities'), platform administrators every list. The service checks with these, so the API
and the pages apply the same rule (the CLI and the monthly job act for the platform and are not checked)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.honours import repository
from servicebank.honours.models import Scope
from servicebank.honours.ranking import Filter
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.org.access import supervises
from servicebank.org.models import Street


def require_scope_manager(principal: Principal, scope_kind: str, scope_id: int, street_of: int | None) -> None:
    """Organisers manage community lists; street admins (and platform admins) manage street lists."""
    if scope_kind == Scope.COMMUNITY:
        try:
            principal.require_manager(scope_id)
        except NotFound as exc:
            raise NotFound("No such honour list.", code="honour_list_not_found") from exc
        return
    if not supervises(principal, street_of):
        raise NotFound("No such honour list.", code="honour_list_not_found")


def require_community_manager(principal: Principal, community_id: int) -> None:
    """A community's lists and certificates are its managers' (organisers, its street's and the platform's
    administrators) to see and change."""
    principal.require_manager(community_id)


async def street_of_scope(session: AsyncSession, scope_kind: str, scope_id: int) -> int | None:
    """The street a scope belongs to (a street is its own)."""
    if scope_kind == Scope.STREET:
        return scope_id
    return await repository.street_of_community(session, scope_id)


async def generation_filter(session: AsyncSession, principal: Principal, *, community_id: int | None,
                            street_id: int | None) -> Filter:
    """The scopes the caller asks to (re)generate, once checked: a community (its organisers), a street and its
    communities (its administrators), or everything (platform administrators)."""
    if community_id is not None and street_id is not None:
        raise InvalidInput("Give a community or a street, not both.", code="invalid_scope")
    if community_id is not None:
        principal.require_manager(community_id)
        return Filter(community_id=community_id)
    if street_id is not None:
        if await session.get(Street, street_id) is None or not supervises(principal, street_id):
            raise NotFound("No such street.", code="street_not_found")
        return Filter(street_id=street_id)
    principal.require_platform_admin()
    return Filter()
