"""Turning form input into request bodies: lists typed as text, qualifications one per line."""

from __future__ import annotations

import re
from typing import Any

from services.messaging.vocabulary import QUALIFICATION_TYPE_NAMES
from ui.streamlit.labels import qualification_label

_QUALIFICATION = re.compile(r"^\s*(?:level\s*)?(entry|[1-8])\b[\s:,-]*(.+?)\s*$", re.IGNORECASE)


def split_list(text: str) -> list[str]:
    """'customer service, teamwork' -> ['customer service', 'teamwork'] (commas or new lines)."""
    return list(dict.fromkeys(part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()))


def _named(line: str) -> dict[str, str] | None:
    """'GCSE grade 4 to 9 (A* to C) English' -> {'type': 'gcse_4_9', 'subject': 'English'}: a qualification by
    one of the names of the vocabulary (its level is the service's to say)."""
    for kind, name in sorted(QUALIFICATION_TYPE_NAMES.items(), key=lambda item: -len(item[1])):
        if line.strip().lower().startswith(name.lower()):
            return {"type": kind, "subject": line.strip()[len(name):].strip(" :,-")}
    return None


def parse_qualifications(text: str) -> tuple[list[dict[str, str]], str | None]:
    """'Level 2 English' (or a qualification's name and subject) per line -> [{'level': '2', 'subject':
    'English'}]; an error message for a bad line."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        named = _named(line)
        if named is not None:
            items.append(named)
            continue
        match = _QUALIFICATION.match(line)
        if not match:
            return [], (f"Write each qualification on its own line, like “GCSE grade 4 to 9 (A* to C) English”, "
                        f"“A level Biology” or “Level 2 English” (not “{line.strip()}”).")
        items.append({"level": match.group(1).lower(), "subject": match.group(2)})
    return items, None


def qualifications_text(items: list[dict[str, Any]]) -> str:
    return "\n".join(qualification_label(q) for q in items)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only what differs, for a PATCH."""
    return {key: value for key, value in after.items() if before.get(key) != value}
