"""The event catalogue in docs/contributing.md is the truth: every documented type has the consumers it names, every
subscription is documented, and every type the code writes is documented (so it has a consumer)."""

from __future__ import annotations

import re
from pathlib import Path

import servicebank.registry  # noqa: F401 - imports every domain's events.py, registering the handlers
from servicebank.kernel import events

ROOT = Path(__file__).resolve().parents[2]
# Where a handler lives names its domain: servicebank.<domain>.<module>.
_DOMAIN = re.compile(r"^servicebank\.([a-z_]+)\.")
# An event type written by the code: a literal on a line that writes one.
_WRITES = re.compile(r"record_event\(|insert_events\(|event_type\s*=|event\s*=\s*\"")
_TYPE = re.compile(r"\"([a-z_]+\.[a-z_]+)\"")


def _catalogue() -> dict[str, set[str]]:
    """Documented type -> the domains said to consume it."""
    text = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    table = text.split("## Event catalogue", 1)[1].split("\n## ", 1)[0]
    consumers: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("type", "") or set(cells[0]) <= {"-"}:
            continue
        domains = {re.sub(r"\s*\(.*\)", "", d).strip() for d in cells[3].split(",")}
        for event_type in cells[0].split(" / "):
            consumers[event_type.strip()] = domains
    return consumers


def _subscriptions() -> dict[str, set[str]]:
    """Registered type -> the domains of its handlers (types registered by tests left out)."""
    found: dict[str, set[str]] = {}
    for event_type in events.subscribed_types():
        handlers = events.consumers_of(event_type)
        domains = {m.group(1) for h in handlers if (m := _DOMAIN.match(h.__module__))}
        if domains:
            found[event_type] = domains
    return found


def _written() -> dict[str, str]:
    """Event types written anywhere in platform/, with one place each is written."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "platform").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _WRITES.search(line):
                for event_type in _TYPE.findall(line):
                    found.setdefault(event_type, f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_documented_event_has_the_consumers_the_docs_name() -> None:
    catalogue, subscriptions = _catalogue(), _subscriptions()
    assert catalogue, "the catalogue table was not found in docs/contributing.md"
    assert {t: catalogue[t] for t in catalogue} == {t: subscriptions.get(t, set()) for t in catalogue}


def test_every_subscription_is_documented() -> None:
    undocumented = set(_subscriptions()) - set(_catalogue())
    assert not undocumented, f"handled but not in docs/contributing.md's catalogue: {sorted(undocumented)}"


def test_every_event_written_has_a_consumer() -> None:
    written, catalogue = _written(), _catalogue()
    assert "attendance.approved" in written, "the scan for written event types found nothing"
    unconsumed = {t: where for t, where in written.items() if t not in catalogue}
    assert not unconsumed, f"written but consumed by nobody (not in the catalogue): {unconsumed}"
