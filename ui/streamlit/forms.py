"""Turning form input into request bodies: lists typed as text, qualifications chosen row by row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.messaging.vocabulary import QUALIFICATION_LEVELS, QUALIFICATION_TYPES

BY_LEVEL = "level:"  # a chooser option for another qualification at a level, e.g. "level:2"


def split_list(text: str) -> list[str]:
    """'customer service, teamwork' -> ['customer service', 'teamwork'] (commas or new lines)."""
    return list(dict.fromkeys(part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()))


def qualification_choices() -> list[str]:
    """What a qualification chooser offers: nothing yet, each qualification by its name, then another qualification
    at each level (for one without a name in the list)."""
    return ["", *QUALIFICATION_TYPES, *(BY_LEVEL + level for level in QUALIFICATION_LEVELS)]


def qualification_choice(item: Mapping[str, Any]) -> str:
    """The chooser's option for a recorded qualification: its name when it was chosen by name, else its level."""
    return str(item["type"]) if item.get("type") else BY_LEVEL + str(item["level"])


def qualification_body(choice: str, subject: str) -> dict[str, str] | None:
    """A chooser row -> {'type': 'gcse_4_9', 'subject': 'English'} (the service gives a named one its level) or
    {'level': '2', 'subject': 'English'}; None for an empty row. A subject without a choice goes as it is, for the
    service to say what is missing."""
    subject = subject.strip()
    if not choice and not subject:
        return None
    if choice.startswith(BY_LEVEL):
        return {"level": choice.removeprefix(BY_LEVEL), "subject": subject}
    return {"subject": subject, **({"type": choice} if choice else {})}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only what differs, for a PATCH."""
    return {key: value for key, value in after.items() if before.get(key) != value}
