"""The text embedded for each side, built from an explicit list of matchable fields only: never names, contact
details, location, dates of birth or special category data."""

from __future__ import annotations

import hashlib

from services.messaging.contract import OpportunitySnapshotV1, ProfileSnapshotV1
from services.messaging.vocabulary import OPPORTUNITY_TYPE_NAMES

PROFILE_TEXT_FIELDS = ("interests", "skills", "qualifications", "about", "preferred_types")
OPPORTUNITY_TEXT_FIELDS = ("title", "description", "skills", "sector", "level", "type")


def _sentence(values: list[str], prefix: str = "") -> str:
    """Values as one plain sentence; labels like "Skills:" measurably blur short texts' embeddings."""
    values = [value.strip() for value in values if value and value.strip()]
    return f"{prefix}{', '.join(values)}." if values else ""


def _capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]


def _join(parts: list[str]) -> str:
    return " ".join(part for part in parts if part).strip()


def profile_text(snapshot: ProfileSnapshotV1) -> str:
    """What a young person is looking for, in words."""
    fields = {name: getattr(snapshot, name) for name in PROFILE_TEXT_FIELDS}
    return _join(
        [
            _sentence(fields["interests"]),
            _sentence(fields["skills"]),
            _sentence([f"level {q.level} {q.subject}" for q in fields["qualifications"]], "Qualifications: "),
            fields["about"].strip(),
            _sentence([OPPORTUNITY_TYPE_NAMES.get(kind, kind) for kind in fields["preferred_types"]], "Looking for "),
        ]
    )


def opportunity_text(snapshot: OpportunitySnapshotV1) -> str:
    """What an opportunity offers, in words."""
    fields = {name: getattr(snapshot, name) for name in OPPORTUNITY_TEXT_FIELDS}
    level = f"Level {fields['level']}." if fields["level"] is not None else ""
    return _join(
        [
            f"{fields['title'].strip()}.",
            fields["description"].strip(),
            _sentence(fields["skills"]),
            _sentence([fields["sector"]]),
            f"{_capitalised(OPPORTUNITY_TYPE_NAMES.get(fields['type'], fields['type']))}.",
            level,
        ]
    )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def normalised(phrase: str) -> str:
    """A skill, interest or title as compared: lower case, single spaces (the same as collapsing every run of
    whitespace, at a third of the cost). Not cached: people's phrases pass through it, and erasure reaches no cache."""
    return " ".join(phrase.lower().split())
