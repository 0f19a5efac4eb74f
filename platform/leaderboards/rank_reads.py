"""Own-rank reads coalesced: the ranks asked in one turn of the event loop go to Redis as one call per board.

During a festival thousands of phones refresh their own rank, and each read is three cheap commands in Redis
(ZSCORE, ZCOUNT, ZSCORE). What costs is the API's side of a call: redis-py packs the command, takes a pooled
connection, sends, parses and hands the connection back, about a third of an own-rank request's CPU
(bench/reads_notes.md). Requests that reach this point in the same turn of the loop (a burst of phones, or a
busy server's backlog) share one script call per board instead: each waits for the end of the turn, then
gets its own row of the answer. A lone request waits one turn of the loop, nothing more.

The answer is the same as one call per request: each rank is counted inside the one script, against the
board as it stands when Redis runs it. An error (Redis down, a timeout) reaches every request of the call;
each then reads from SQL (repository.read_board).
"""

from __future__ import annotations

import asyncio
from typing import Any

from servicebank.kernel.kept import one_per

# KEYS: the ranked board, the other board (hours/points), the mark that the boards are built.
# ARGV: the members. Returns {built, {{ahead, score, other score} or {} per member, in order}}.
_RANKS_SCRIPT = """
local built = redis.call('EXISTS', KEYS[3])
local ranks = {}
for i = 1, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score then
    ranks[i] = {redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf'), score, redis.call('ZSCORE', KEYS[2], ARGV[i]) or '0'}
  else
    ranks[i] = {}
  end
end
return {built, ranks}
"""

Keys = tuple[str, str, str]
Waiter = tuple[str, asyncio.Future]


class RankReads:
    """The coalesced own-rank reads of one Redis client (one per event loop: redis_clients.loop_client)."""

    def __init__(self, client: Any) -> None:
        self._script = client.register_script(_RANKS_SCRIPT)
        self._waiting: dict[Keys, list[Waiter]] = {}
        self._sending: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    async def rank(self, keys: Keys, member: str) -> tuple[bool, list[Any]]:
        """(boards built, [members ahead, score, other score] or [] when not ranked) for one member."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._send_all, loop)
        future: asyncio.Future = loop.create_future()
        self._waiting.setdefault(keys, []).append((member, future))
        return await future

    def _send_all(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting, self._waiting = self._waiting, {}
        for keys, waiters in waiting.items():
            task = loop.create_task(self._send(keys, waiters))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, keys: Keys, waiters: list[Waiter]) -> None:
        try:
            built, ranks = await self._script(keys=list(keys), args=[member for member, _ in waiters])
        except BaseException as error:  # noqa: BLE001 - every request of the call falls back to SQL on its own
            for _, future in waiters:
                if future.done():  # a request whose client went away was cancelled meanwhile
                    continue
                if isinstance(error, Exception):
                    future.set_exception(error)
                else:
                    future.cancel()  # the loop is shutting down
            if not isinstance(error, Exception):
                raise
            return
        for (_, future), mine in zip(waiters, ranks, strict=True):
            if not future.done():
                future.set_result((bool(built), mine))


def rank_reads(client: Any) -> RankReads:  # noqa: ANN401
    """The coalescer of `client` (made on first use)."""
    return one_per(client, "rank_reads", RankReads)
