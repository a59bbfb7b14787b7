"""How a person's name is shown to someone who may not know it: on an order's timeline, on
a star card's verification page, on a public list."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """The family name alone (张**): enough to tell two people apart, not to find one."""
    return f"{name[:1]}**" if name else ""
