"""Periodic jobs of the records domain: noticing no-shows after activities end; qualification reminders."""

from __future__ import annotations

from servicebank.records import no_shows, qualifications
from servicebank.workers.runtime import periodic_job

# No-shows of activities that ended (idempotent: one per sign-up).
mark_no_shows = periodic_job("records-mark-no-shows", "records.mark_no_shows", seconds=600,
                             done="recorded %d no-shows")(no_shows.mark_ended)
# The 30-days-before-expiry reminders that are due (each certificate once per valid-until).
remind_expiring_qualifications = periodic_job(
    "records-remind-expiring-qualifications", "records.remind_expiring_qualifications", seconds=6 * 3600,
    done="recorded %d qualification reminders")(qualifications.remind_expiring)
