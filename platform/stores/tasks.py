"""Periodic jobs of the stores domain."""

from __future__ import annotations

import datetime as dt
import logging

import dramatiq
from sqlalchemy import delete

from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import affected_rows
from servicebank.stores.models import RedemptionCode, UsedRedemptionCode
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)

every("stores-prune-used-codes", "stores.prune_used_codes", seconds=3600)

# A spent code is refused by its expiry alone once it is this old; keep a margin for clock skew.
KEEP_AFTER_EXPIRY = dt.timedelta(hours=1)


@dramatiq.actor(actor_name="stores.prune_used_codes", queue_name="default", max_retries=0)
async def prune_used_codes() -> None:
    """Forget nonces of spent codes that have long expired (idempotent)."""
    async with worker_db().session_scope() as session:
        result = await session.execute(delete(UsedRedemptionCode).where(
            UsedRedemptionCode.expires_at < utcnow() - KEEP_AFTER_EXPIRY))
        # Short codes too: an expired one is refused by its expiry, and its digits may be drawn again.
        short = await session.execute(delete(RedemptionCode).where(
            RedemptionCode.expires_at < utcnow() - KEEP_AFTER_EXPIRY))
    if affected_rows(result) or affected_rows(short):
        log.info("pruned %d spent and %d expired short redemption codes", affected_rows(result), affected_rows(short))
