"""What the scheduler starts and when: domains register periodic actors here."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo


@dataclasses.dataclass(frozen=True)
class PeriodicJob:
    """Send `actor_name` every `every_seconds`, or once a month on `monthly_day` (local time)."""

    name: str
    actor_name: str
    every_seconds: int | None = None
    monthly_day: int | None = None

    def run_key(self, now: dt.datetime, tz: ZoneInfo) -> str:
        """A key that changes exactly when the job is due again."""
        local = now.astimezone(tz)
        if self.monthly_day is not None:
            return local.strftime("%Y-%m") if local.day >= self.monthly_day else ""
        assert self.every_seconds
        return str(int(now.timestamp()) // self.every_seconds)


JOBS: dict[str, PeriodicJob] = {}


def every(name: str, actor_name: str, *, seconds: int) -> PeriodicJob:
    job = PeriodicJob(name=name, actor_name=actor_name, every_seconds=seconds)
    JOBS[name] = job
    return job


def monthly(name: str, actor_name: str, *, day: int = 1) -> PeriodicJob:
    job = PeriodicJob(name=name, actor_name=actor_name, monthly_day=day)
    JOBS[name] = job
    return job


every("outbox-sweep", "events.sweep", seconds=15)
