"""Spotting a person registered twice: the same date of birth and normalised name, or the same email or phone."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.profiles.models import Adviser, Profile
from services.profiles.schemas import AdviserRead, SimilarProfile

MAX_SHOWN = 5


def name_key(given_name: str, family_name: str) -> str:
    """'  José  O'Neill-Smith ' -> 'jose oneillsmith': case, accents, spaces and punctuation do not count."""

    def letters(part: str) -> str:
        plain = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]", "", plain.casefold())

    return f"{letters(given_name)} {letters(family_name)}"


def phone_key(phone: str | None) -> str | None:
    """'+44 (0)7700 900123' and '07700 900123' -> '07700900123'."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("440"):
        digits = digits[2:]
    elif digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits or None


def similar_profiles(
    session: Session, *, given_name: str, family_name: str, date_of_birth: dt.date, email: str | None,
    phone: str | None, excluding: uuid.UUID | None = None,
) -> list[SimilarProfile]:
    """People already registered (other than `excluding`) whom these details look like, with what they share and
    their adviser."""
    name = name_key(given_name, family_name)
    phone_digits = phone_key(phone)
    alike = [and_(Profile.date_of_birth == date_of_birth, Profile.name_key == name)]
    if email:
        alike.append(func.lower(Profile.email) == email.lower())
    if phone_digits:
        alike.append(Profile.phone_key == phone_digits)
    query = select(Profile).where(or_(*alike))
    if excluding is not None:
        query = query.where(Profile.id != excluding)
    rows = session.scalars(query.order_by(Profile.created_at).limit(MAX_SHOWN)).all()
    adviser_ids = {row.adviser_id for row in rows if row.adviser_id}
    advisers = {
        adviser.id: AdviserRead.model_validate(adviser, from_attributes=True)
        for adviser in session.scalars(select(Adviser).where(Adviser.id.in_(adviser_ids)))
    }
    found = []
    for row in rows:
        same = []
        if row.date_of_birth == date_of_birth and row.name_key == name:
            same.append("name_and_date_of_birth")
        if email and row.email and row.email.lower() == email.lower():
            same.append("email")
        if phone_digits and row.phone_key == phone_digits:
            same.append("phone")
        found.append(SimilarProfile(
            id=row.id, given_name=row.given_name, family_name=row.family_name, date_of_birth=row.date_of_birth,
            adviser_id=row.adviser_id, adviser=advisers.get(row.adviser_id) if row.adviser_id else None, same=same,
        ))
    return found
