"""Event handlers: a leaderboard push that Redis refused after its commit, sent again from the kept totals.

The period totals in PostgreSQL are the truth and the boards their copy. A push refused (Redis restarting or
unreachable, a cluster refusing every slot while one of its masters is down) would leave a board that still
says it is built one change behind, for good; so would a process killed between the commit and its push.
LeaderboardPush writes `leaderboards.push_missed` naming the (volunteer, period) pairs in the posting's own
transaction, unsent, and marks it done once its push went through. Otherwise it is sent (at once when Redis
refused the push, by the outbox sweep when the process died), and this handler pushes their totals as they are
now, version-checked like every push (a later posting's push still wins). Until Redis takes it the handler
fails, and the outbox retries it with its backoff; sent twice, it writes the same values.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.leaderboards.push import PUSH_MISSED, run_push, sync_client
from servicebank.leaderboards.rebuild import current_push


@subscribe(PUSH_MISSED)
async def push_missed(session: AsyncSession, event: OutboxEvent) -> None:
    db = session.info.get("db")
    url = db.settings.redis_url if db is not None else None
    if not url:
        return  # Redis is no longer configured: no board to repair
    args = await current_push(session, {(int(vid), str(period)) for vid, period in event.payload["pairs"]})
    if args:
        await asyncio.to_thread(run_push, sync_client(url), args)
