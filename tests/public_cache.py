"""For the tests of the one-second public read cache (edge/public_reads.py, web/public_pages.py): the cache switched
on (the suite runs with it off: its tests read back what they just wrote) and a clock the test moves by hand.

    from tests.public_cache import Clock, settings  # noqa: F401 - the module's settings turn the cache on
"""

from __future__ import annotations

import pytest


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201
    return settings.replace(public_read_cache_seconds=1.0)


class Clock:
    """Stands in for `monotonic` in kernel/kept.py: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
