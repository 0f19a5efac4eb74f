"""Text shown on public pages."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """A name as public pages show it: 王*英, 李*, A*e."""
    name = name.strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
