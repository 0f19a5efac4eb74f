"""Periodic housekeeping of logins."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.accounts.one_time_codes import prune_codes
from servicebank.accounts.ratelimit import prune_attempts
from servicebank.workers.broker import broker  # noqa: F401  (the broker must exist before actors)
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="accounts.prune_login_attempts", queue_name="default", max_retries=0)
async def prune_login_attempts() -> None:
    """Forget login counts idle for longer than the limits remember them (see accounts/ratelimit.py)."""
    async with worker_db().session_scope() as session:
        await prune_attempts(session)


every("accounts-prune-login-attempts", "accounts.prune_login_attempts", seconds=3600)


@dramatiq.actor(actor_name="accounts.prune_one_time_codes", queue_name="default", max_retries=0)
async def prune_one_time_codes() -> None:
    """Delete texted one-time codes a day after they expired (accounts/one_time_codes.py)."""
    async with worker_db().session_scope() as session:
        pruned = await prune_codes(session)
    if pruned:
        log.info("pruned %d expired one-time codes", pruned)


every("accounts-prune-one-time-codes", "accounts.prune_one_time_codes", seconds=3600)
