"""Free text about a young person (a referral's note and feedback, an interest's message) screened for special
category data: a flagged text is kept in HeldBackText, its own row keeps none of it, and only advisers and the young
person get it back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.common.screening import Category, ScreeningWarning, screen, special_category_warning
from services.opportunities.models import HeldBackText

# Who still sees each field's text once it is held back, in the warning's plain words.
KEPT = {
    "note": "advisers and the young person see it; it is not shown to the employer.",
    "feedback": "the young person and advisers see it; it is not shown to employers.",
    "message": "you and your adviser see it; it is never shown to employers.",
    "reason_words": "advisers see it; it is not shown to the young person or the employer, nor in the audit log.",
}
HeldBack = dict[tuple[uuid.UUID, str], HeldBackText]


def warning_for(row: HeldBackText) -> ScreeningWarning:
    return special_category_warning(row.field, [Category(name) for name in row.categories], KEPT[row.field])


def hold_back(
    session: Session, *, owner_id: uuid.UUID, profile_id: uuid.UUID, field: str, text: str | None
) -> ScreeningWarning | None:
    """Screen one field's new text: when flagged, keep it apart (replacing what was kept before) and return the
    warning, and the caller stores none of it; otherwise forget any text kept before for that field."""
    session.execute(delete(HeldBackText).where(HeldBackText.owner_id == owner_id, HeldBackText.field == field))
    found = screen(text or "", kind="prose")
    if not text or not found.flagged:
        return None
    row = HeldBackText(
        owner_id=owner_id,
        profile_id=profile_id,
        field=field,
        text=text,
        categories=[str(category) for category in found.categories],
    )
    session.add(row)
    return warning_for(row)


def held_back(session: Session, owner_ids: Iterable[uuid.UUID]) -> HeldBack:
    """The kept texts of these referrals or interests, by (owner, field)."""
    ids = list(owner_ids)
    if not ids:
        return {}
    rows = session.scalars(select(HeldBackText).where(HeldBackText.owner_id.in_(ids)))
    return {(row.owner_id, row.field): row for row in rows}


def forget(session: Session, profile_id: uuid.UUID) -> int:
    """Delete every kept text about an erased person; returns how many."""
    result = session.execute(delete(HeldBackText).where(HeldBackText.profile_id == profile_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
