"""The seed's data files (`infra/seed/data/*.toml`), read with the checks that keep them in step with the vocabulary."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from importlib import resources
from typing import Any, TypeVar

V = TypeVar("V")


class SeedDataError(ValueError):
    """A seed data file does not fit what the seed expects of it."""


def load(name: str) -> dict[str, Any]:
    """The data file `data/<name>.toml` shipped with the seed."""
    return tomllib.loads(resources.files("infra.seed").joinpath("data", f"{name}.toml").read_text(encoding="utf-8"))


def keyed_by(
    vocabulary: Collection[str], table: Mapping[str, V], *, what: str, where: str, complete: bool = True
) -> dict[str, V]:
    """`table` once its keys are known `what`s (every one of them when `complete`); otherwise a SeedDataError
    naming the file and table (`where`) and the keys at fault."""
    problems = []
    if unknown := [key for key in table if key not in vocabulary]:
        problems.append(f"unknown {what}: {', '.join(unknown)}")
    if complete and (missing := [key for key in vocabulary if key not in table]):
        problems.append(f"no entry for {what}: {', '.join(missing)}")
    if problems:
        raise SeedDataError(f"{where}: {'; '.join(problems)} (each {what} must be one of {', '.join(vocabulary)})")
    return dict(table)


def members_of(vocabulary: Collection[str], values: list[str], *, what: str, where: str) -> list[str]:
    """`values` once each is a known `what`; otherwise a SeedDataError naming the file and list (`where`)."""
    keyed_by(vocabulary, dict.fromkeys(values), what=what, where=where, complete=False)
    return values
