"""Turning form input into request bodies: lists typed as text, qualifications one per line."""

from __future__ import annotations

import re
from typing import Any

_QUALIFICATION = re.compile(r"^\s*(?:level\s*)?(entry|[1-8])\b[\s:,-]*(.+?)\s*$", re.IGNORECASE)


def split_list(text: str) -> list[str]:
    """'customer service, teamwork' -> ['customer service', 'teamwork'] (commas or new lines)."""
    return list(dict.fromkeys(part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()))


def parse_qualifications(text: str) -> tuple[list[dict[str, str]], str | None]:
    """'Level 2 English' per line -> [{'level': '2', 'subject': 'English'}]; an error message for a bad line."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = _QUALIFICATION.match(line)
        if not match:
            return [], f"Write each qualification on its own line, like “Level 2 English” (not “{line.strip()}”)."
        items.append({"level": match.group(1).lower(), "subject": match.group(2)})
    return items, None


def qualifications_text(items: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{'Entry' if q['level'] == 'entry' else 'Level ' + str(q['level'])} {q['subject']}" for q in items
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only what differs, for a PATCH."""
    return {key: value for key, value in after.items() if before.get(key) != value}
