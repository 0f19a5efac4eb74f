"""Every domain's models, routes, event handlers and actors, imported in one place.

Adding a domain: add it to DOMAINS in domains.py. Models must be imported before create_all/Alembic,
handlers before the dispatch actor runs, actors before the worker starts.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# The domain list lives in domains.py, which the command line imports without loading any model.
from servicebank.domains import DOMAINS, domain_modules  # noqa: F401
from servicebank.kernel.db import Database, metadata

importlib.import_module("servicebank.kernel.events")
importlib.import_module("servicebank.kernel.scheduler_runs")
MODEL_MODULES = domain_modules("models")
HANDLER_MODULES = domain_modules("events")
# Answers to other domains' hooks (kernel/hooks.py): a sign-up's refusals and holds, from records.
GATE_MODULES = domain_modules("gates")


async def create_tables(db: Database) -> None:
    """Create every table of every domain (tests, benchmarks and the embedded first start; production
    uses Alembic)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


def route_handlers() -> list[Any]:
    """Every domain's ROUTES."""
    handlers: list[Any] = []
    for module in domain_modules("routes"):
        handlers.extend(getattr(module, "ROUTES", []))
    return handlers


def import_tasks() -> list[ModuleType]:
    """Import every domain's actors (needs the broker configured first)."""
    return domain_modules("tasks")
