"""The Dramatiq broker: Redis in production, the in-process stub in embedded mode. Same actors."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO

from servicebank.config import Settings, get_settings
from servicebank.kernel import redis_clients
from servicebank.kernel.collector import FreezeAfterBoot

BROKER_CLUSTER_NAMESPACE = "{dramatiq}"
# Dramatiq gives the messages a killed worker had fetched back to their queue only during its "maintenance", run on a
# share of broker commands (per million): 1,000 by default. Idle consumers poll about once a second, so after a
# SIGKILL the messages it held (a leaderboard rebuild's batches; events have the outbox sweep besides) waited a
# quarter of an hour; the fault test's rebuild, waited for 4 minutes, once did not come. At 1 in 100 they are back
# about a minute after the 60 s heartbeat timeout, for one small Lua script every hundredth command.
MAINTENANCE_CHANCE = 10_000


def make_broker(settings: Settings) -> dramatiq.Broker:
    """Build the broker the settings ask for, with asyncio support for our async actors."""
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        if settings.redis_cluster:
            # Dramatiq's one Lua script is given the namespace as its only key and builds every other key
            # from it; hash-tagged, they all hash to one slot, so the queues live on one master of the cluster.
            broker: dramatiq.Broker = RedisBroker(client=redis_clients.sync_client(settings.redis_url),
                                                  namespace=BROKER_CLUSTER_NAMESPACE,
                                                  maintenance_chance=MAINTENANCE_CHANCE)
        else:
            broker = RedisBroker(url=settings.redis_url, maintenance_chance=MAINTENANCE_CHANCE)
    else:
        broker = StubBroker()
    broker.add_middleware(AsyncIO())
    if settings.freeze_startup_heap:
        broker.add_middleware(FreezeAfterBoot(settings.gc_young_threshold))
    return broker


# Actors bind to the global broker when they are declared, so it is set on first import.
broker = make_broker(get_settings())
dramatiq.set_broker(broker)
