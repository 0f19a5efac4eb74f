"""The records domain's event handlers (registry.py imports this module): training activities attended become
training records (records/training_activities.py)."""

from __future__ import annotations

from servicebank.records import training_activities  # noqa: F401 - registers its handlers
