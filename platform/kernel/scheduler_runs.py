"""The last run key of each periodic job: a restart never starts a monthly job twice.

A kernel table rather than a worker one so that create_all and Alembic see it without importing the
worker processes (and their broker set-up)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import PlainBase


class SchedulerRun(PlainBase):
    """The last time each periodic job was started."""

    __tablename__ = "scheduler_run"

    job: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_key: Mapped[str] = mapped_column(String(40))
