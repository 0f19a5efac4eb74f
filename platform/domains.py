"""The domains, in order, and how to find one kind of module in each (models, routes, cli, ...).

Importing this imports no domain: the `servicebank` command uses it to find the domains' commands
without loading every model (see registry.py for that)."""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS = (
    "org", "accounts", "volunteers", "audit", "activities", "notifications", "checkins", "ledger",
    "leaderboards", "family", "stores", "honours", "reports", "web",
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
