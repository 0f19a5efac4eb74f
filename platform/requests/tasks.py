"""Periodic job of the requests domain: escalate unaccepted requests, expire, close unrated ones."""

from __future__ import annotations

from servicebank.requests import serving
from servicebank.workers.runtime import periodic_job

# Reminders and escalation for requests nobody took, expiry, closing the rating window (idempotent).
periodic_check = periodic_job("requests-periodic-check", "requests.periodic_check", seconds=60,
                              done="requests moved on: %s")(serving.periodic_check)
