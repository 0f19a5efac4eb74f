"""Periodic jobs of the stores domain."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.clock import utcnow
from servicebank.stores import repository
from servicebank.workers.runtime import periodic_job

# A spent code is refused by its expiry alone once it is this old; keep a margin for clock skew.
KEEP_AFTER_EXPIRY = dt.timedelta(hours=1)


@periodic_job("stores-prune-used-codes", "stores.prune_used_codes", seconds=3600,
              done="pruned %d spent and expired redemption codes")
async def prune_used_codes(session: AsyncSession) -> int:
    """Forget nonces of spent codes and short codes that have long expired (idempotent)."""
    return await repository.prune_expired_codes(session, before=utcnow() - KEEP_AFTER_EXPIRY)
