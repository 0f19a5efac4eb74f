"""The event ids a busy API process commits, sent to the broker together a moment later, from a thread.

A request that writes an event used to send its own message after its commit and before its answer: a Redis round
trip on the event loop per check-out (a fifth of the API's busy samples in the festival's check-out wave,
bench/checkin.md), and one message for which the worker then opened a whole dispatch transaction. Gathered for a
few milliseconds, the ids of every request committed meanwhile go in one message, sent by a thread while the loop
serves the next requests, and the worker handles them as one batch.

Nothing is weaker than before: ids not yet sent when the process dies are re-sent by the outbox sweep, as ids whose
send failed always were, and the dispatcher applies an event once however many messages name it (kernel/events.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

Send = Callable[[Sequence[int]], None]


class GatheredPublisher:
    """A publisher (Database.publisher) that sends what it is given within `seconds`, all in one call of `send`."""

    def __init__(self, send: Send, *, seconds: float) -> None:
        self._send = send
        self._seconds = seconds
        self._waiting: list[int] = []
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Future[None]] = set()
        # Its own thread, one message at a time: in the loop's default pool a send could wait behind an e-mail, a
        # push or a leaderboard write (asyncio.to_thread), and a Redis that stopped answering would tie up every
        # thread of that pool.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-send")

    def __call__(self, event_ids: Sequence[int]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a command or a thread without an event loop: nothing to gather with
            self._send(list(event_ids))
            return
        self._waiting.extend(event_ids)
        if self._timer is None:
            self._timer = loop.call_later(self._seconds, self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        ids, self._waiting, self._timer = self._waiting, [], None
        if ids:
            sending = loop.run_in_executor(self._thread, self._send_or_log, ids)
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)

    def _send_or_log(self, ids: list[int]) -> None:
        try:
            self._send(ids)
        except Exception:  # noqa: BLE001 - the commits stand; the sweep re-sends what the broker did not take
            log.warning("could not publish %d outbox events; the sweep will resend them", len(ids), exc_info=True)

    async def drain(self) -> None:
        """Send what is waiting now and wait for every send under way (at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._flush(asyncio.get_running_loop())
        if self._sending:
            await asyncio.gather(*self._sending)
