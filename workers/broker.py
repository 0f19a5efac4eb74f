"""The Dramatiq broker: Redis in production, the in-process stub in embedded mode. Same actors."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO

from servicebank.config import Settings, get_settings


def make_broker(settings: Settings) -> dramatiq.Broker:
    """Build the broker the settings ask for, with asyncio support for our async actors."""
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=settings.redis_url)
    else:
        broker = StubBroker()
    broker.add_middleware(AsyncIO())
    return broker


# Actors bind to the global broker when they are declared, so it is set on first import.
broker = make_broker(get_settings())
dramatiq.set_broker(broker)
