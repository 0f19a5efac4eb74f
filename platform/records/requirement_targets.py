"""What a requirement (insurance cover, a training) is set on: an activity kind or a resident-request category of
the community, exactly one of the two."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.kinds import resolve_kind
from servicebank.kernel.errors import InvalidInput
from servicebank.requests.models import RequestCategory


async def check_target(session: AsyncSession, *, community_id: int, kind_code: str | None,
                       request_category_id: int | None, code: str) -> None:
    """Refuse (`code`) naming neither or both; `unknown_kind` or `request_category_unknown` for one not the
    community's."""
    if (kind_code is None) == (request_category_id is None):
        raise InvalidInput("Name either an activity kind or a request category.", code=code)
    if kind_code is not None:
        await resolve_kind(session, community_id=community_id, code=kind_code)
        return
    category = await session.get(RequestCategory, request_category_id)
    if category is None or category.community_id != community_id:
        raise InvalidInput("Choose one of the community's kinds of help.", code="request_category_unknown")
