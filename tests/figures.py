"""Where tests that measure something (the fault test, the schemathesis sweep) write their figures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def figures_file(name: str) -> Path:
    """`SERVICEBANK_TEST_FIGURES_DIR/name` (relative to the checkout) when set, e.g. `docs` to refresh the figures
    the docs quote; otherwise a temporary folder, so that running the tests never changes the checkout."""
    folder = os.environ.get("SERVICEBANK_TEST_FIGURES_DIR")
    base = ROOT / folder if folder else Path(tempfile.gettempdir()) / "servicebank-test-figures"
    base.mkdir(parents=True, exist_ok=True)
    return base / name
