"""The one clock: an aware UTC now. Modules import the name, so a test can replace a module's `utcnow`."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
