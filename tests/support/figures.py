"""Figures a test wants seen in every run (not only with -s): printed now, and again in the terminal summary."""

from __future__ import annotations

FIGURES: list[str] = []


def report(line: str) -> None:
    print(f"\n{line}")
    FIGURES.append(line)
