"""Published figures as a person reads them: a hidden one says so, and why."""

from __future__ import annotations

from typing import Any

HIDDEN = "hidden"


def hidden_means(threshold: int) -> str:
    return (f"Hidden: fewer than {threshold} people, or a figure that would let such a count be worked out from the "
            "others.")


def figure(value: dict[str, Any], *, percent: bool = False, days: bool = False, decimals: int = 0) -> str:
    """A `{value, suppressed}` figure: "hidden", "none yet", a percentage of a 0-1 share, days, or a count."""
    if value["suppressed"] or value["value"] is None:
        return HIDDEN if value["suppressed"] else "none yet"
    number = float(value["value"])
    if percent:
        return f"{number * 100:.{decimals}f}%"
    if days:
        return f"{number:.0f} days"
    return f"{number:.{decimals}f}"
