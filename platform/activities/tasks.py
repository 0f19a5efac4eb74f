"""Periodic jobs of the activities domain: the status clock, reminders (day and hour before), series horizons."""

from __future__ import annotations

from servicebank.activities import series, service
from servicebank.workers.runtime import periodic_job

# published → in_progress → completed as the clock passes start and end.
advance_statuses = periodic_job("activities-advance-statuses", "activities.advance_statuses", seconds=60,
                                done="activities moved on: %s")(service.advance_statuses)
# Every 5 minutes: the hour's reminder reaches people between 55 and 60 minutes before the start.
send_reminders = periodic_job("activities-send-reminders", "activities.send_reminders", seconds=300,
                              done="recorded %d activity reminders")(service.send_due_reminders)
# The occurrences that came within the horizon of every active series.
extend_series = periodic_job("activities-extend-series", "activities.extend_series", seconds=6 * 3600,
                             done="materialised %d series occurrences")(series.extend_all)
