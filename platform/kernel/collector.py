"""Keep Python's cyclic garbage collector off the objects a process made while starting.

A started API or worker holds a few hundred thousand long-lived objects (modules, the app, mappers,
compiled statements). A full collection walks all of them: 110-160 ms in the festival benchmark, during
which the process answers nobody. Frozen after start-up, they are out of every later collection's walk,
so a full collection costs what the requests' own objects cost. (The technique Instagram described
for its Django servers; CPython's `gc.freeze` exists for it.)

The youngest generation is also collected less often (`gc_young_threshold`, 20,000 net new objects instead of
Python's 700). Every young collection walks the objects of all requests then in flight, which are alive and
survive it: with 32 requests in flight a young collection came every 30 requests and cost about 1 ms, 30-60 µs
of every request's CPU, more for a page (its template makes more objects). At 20,000 one comes every few
hundred requests, and the objects freed in between by reference counting are never walked. The cost is a few
megabytes more of unreachable cycles waiting for their collection.
"""

from __future__ import annotations

import gc
import logging
import time

import dramatiq

log = logging.getLogger(__name__)
_frozen = False


def freeze_startup_heap(young_threshold: int = 0) -> int:
    """Collect once, then move every surviving object to the permanent generation; returns how many. A
    `young_threshold` above 0 becomes the youngest generation's threshold.

    Once per process: the embedded mode boots its worker inside the API, and both ask."""
    global _frozen
    if _frozen:
        return gc.get_freeze_count()
    _frozen = True
    if young_threshold > 0:
        _young, older, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, older, oldest)
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen: %d objects out of the collector's walks (%.0f ms)", frozen,
             (time.perf_counter() - started) * 1000)
    return frozen


class FreezeAfterBoot(dramatiq.Middleware):
    """A worker process freezes its start-up heap once its actors and threads are up (added to the broker
    when the settings ask for the freeze, workers/broker.py)."""

    def __init__(self, young_threshold: int = 0) -> None:
        self.young_threshold = young_threshold

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        freeze_startup_heap(self.young_threshold)
