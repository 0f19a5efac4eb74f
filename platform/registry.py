"""Every domain's models, routes, event handlers and actors, imported in one place.

Adding a domain: append its modules here. Models must be imported before create_all/Alembic,
handlers before the dispatch actor runs, actors before the worker starts.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS = (
    "org", "accounts", "volunteers", "audit", "activities", "notifications", "checkins", "points",
    "stores", "honours", "reports", "web",
)


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Only a missing domain module is optional; a broken import inside one must be loud.
        if exc.name != module:
            raise
        return None


def domain_modules(kind: str) -> list[ModuleType]:
    """The `<domain>.<kind>` modules that exist, in domain order."""
    found = [_optional(f"servicebank.{domain}.{kind}") for domain in DOMAINS]
    return [m for m in found if m is not None]


importlib.import_module("servicebank.events")
importlib.import_module("servicebank.workers.scheduler")  # SchedulerRun table
MODEL_MODULES = domain_modules("models")
HANDLER_MODULES = domain_modules("events")


def route_handlers() -> list[object]:
    """Every domain's ROUTES."""
    handlers: list[object] = []
    for module in domain_modules("routes"):
        handlers.extend(getattr(module, "ROUTES", []))
    return handlers


def import_tasks() -> list[ModuleType]:
    """Import every domain's actors (needs the broker configured first)."""
    return domain_modules("tasks")
