"""Periodic housekeeping of logins."""

from __future__ import annotations

import dramatiq

from servicebank.accounts.ratelimit import prune_attempts
from servicebank.workers.broker import broker  # noqa: F401  (the broker must exist before actors)
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every


@dramatiq.actor(actor_name="accounts.prune_login_attempts", queue_name="default", max_retries=0)
async def prune_login_attempts() -> None:
    """Forget login counts idle for longer than the limits remember them (see accounts/ratelimit.py)."""
    async with worker_db().session_scope() as session:
        await prune_attempts(session)


every("accounts-prune-login-attempts", "accounts.prune_login_attempts", seconds=3600)
