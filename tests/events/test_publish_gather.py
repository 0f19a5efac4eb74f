"""The API's gathered publisher: the ids of many commits in one send, off the event loop, none lost at shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from litestar.testing import AsyncTestClient

from servicebank.app import create_app
from servicebank.config import Settings
from servicebank.kernel.publish_gather import GatheredPublisher


class Sent:
    """A send that records each call and the thread it ran on."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.threads: list[int] = []
        self.fail = fail

    def __call__(self, ids: Sequence[int]) -> None:
        self.threads.append(threading.get_ident())
        if self.fail:
            raise ConnectionError("the broker is down")
        self.calls.append(list(ids))


async def test_ids_published_within_the_gathering_time_go_in_one_send_from_a_thread() -> None:
    sent = Sent()
    publish = GatheredPublisher(sent, seconds=0.05)
    publish([1])
    publish([2, 3])
    assert sent.calls == [], "nothing waits for the broker in the request"
    await asyncio.sleep(0.02)
    publish([4])
    await asyncio.sleep(0.1)
    assert sent.calls == [[1, 2, 3, 4]]
    assert sent.threads != [threading.get_ident()], "sent by a thread, not the event loop"
    publish([5])
    await publish.drain()
    assert sent.calls == [[1, 2, 3, 4], [5]], "the next ids start a new gathering"


def test_without_an_event_loop_ids_are_sent_at_once() -> None:
    sent = Sent()
    GatheredPublisher(sent, seconds=10)([7, 8])
    assert sent.calls == [[7, 8]]


async def test_a_failed_send_is_logged_and_left_to_the_sweep(caplog) -> None:  # noqa: ANN001
    sent = Sent(fail=True)
    publish = GatheredPublisher(sent, seconds=0.01)
    publish([1])
    await asyncio.sleep(0.05)
    await publish.drain()
    assert "the sweep will resend them" in caplog.text


async def test_the_app_sends_what_is_waiting_when_it_shuts_down(settings: Settings) -> None:
    app = create_app(settings.replace(publish_events=True, outbox_gather_ms=60_000))
    publisher = app.state.db.publisher
    assert isinstance(publisher, GatheredPublisher)
    sent = Sent()
    publisher._send = sent  # noqa: SLF001 - the broker stands in for Redis here
    async with AsyncTestClient(app):
        publisher([42])
        assert sent.calls == []
    assert sent.calls == [[42]], "a minute's gathering is cut short by the shutdown"
