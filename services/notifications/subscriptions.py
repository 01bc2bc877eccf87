"""People's own side: preferences (consent to email, quiet hours, frequency), saved searches, unsubscribing and
the list of what was sent to them."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.errors import Forbidden, NotFound
from services.notifications import queue
from services.notifications.models import DigestItem, Message, Person, Preference, SavedSearch
from services.notifications.rules import Frequency, default_frequency
from services.notifications.schemas import (
    MessagePage,
    MessageRead,
    PreferencesRead,
    PreferencesUpdate,
    SavedSearchCreate,
    SavedSearchPage,
    SavedSearchRead,
    SearchFilters,
    Unsubscribed,
)


def recipient_of(principal: Principal) -> str:
    """The recipient key of the person signed in."""
    if principal.role is Role.ADVISER:
        return queue.adviser(principal.sub)
    if principal.role not in (Role.YOUNG_PERSON, Role.EMPLOYER):
        raise Forbidden("only people have preferences")
    try:
        key = uuid.UUID(principal.sub)
    except ValueError as exc:
        named = "profile" if principal.role is Role.YOUNG_PERSON else "employer"
        raise Forbidden(f"a {principal.role} token must name their {named} id") from exc
    return queue.young_person(key) if principal.role is Role.YOUNG_PERSON else queue.employer(key)


def _frequency(session: Session, preference: Preference, today: dt.date, under_age: int) -> Frequency:
    if preference.frequency:
        return preference.frequency  # type: ignore[return-value]
    person = session.get(Person, preference.profile_id) if preference.profile_id else None
    return default_frequency(person.date_of_birth if person else None, today, under_age)


def _read(session: Session, preference: Preference, today: dt.date, under_age: int) -> PreferencesRead:
    return PreferencesRead(recipient=preference.recipient, email=preference.email,
                           email_consented_at=preference.email_consented_at, quiet_hours=preference.quiet_hours,
                           frequency=_frequency(session, preference, today, under_age))


def get_preferences(*, session: Session, principal: Principal, now: dt.datetime, under_age: int) -> PreferencesRead:
    """The signed-in person's preferences (the defaults until they change them)."""
    preference = queue.preference(session, recipient_of(principal), now=now)
    session.commit()
    return _read(session, preference, now.date(), under_age)


def update_preferences(
    *, session: Session, principal: Principal, data: PreferencesUpdate, now: dt.datetime, under_age: int
) -> PreferencesRead:
    """Change the fields sent; turning email on is a young person's consent to email contact, and is recorded."""
    preference = queue.preference(session, recipient_of(principal), now=now)
    if data.email is not None:
        if data.email and not preference.email:
            preference.email_consented_at = now
        preference.email = data.email
    if data.quiet_hours is not None:
        preference.quiet_hours = data.quiet_hours
    if data.frequency is not None:
        preference.frequency = data.frequency
    preference.updated_at = now
    session.commit()
    return _read(session, preference, now.date(), under_age)


def _search_read(search: SavedSearch) -> SavedSearchRead:
    return SavedSearchRead(id=search.id, name=search.name, text=search.text,
                           filters=SearchFilters.model_validate(search.filters),
                           frequency=search.frequency, active=search.active,  # type: ignore[arg-type]
                           created_at=search.created_at)


def create_search(
    *, session: Session, principal: Principal, data: SavedSearchCreate, now: dt.datetime, under_age: int
) -> SavedSearchRead:
    """Save a search; its alerts come as often as asked, else as the person's preference (under-18s weekly)."""
    if principal.role is Role.EMPLOYER:
        raise Forbidden("saved searches are for young people and advisers")
    recipient = recipient_of(principal)
    preference = queue.preference(session, recipient, now=now)
    search = SavedSearch(id=uuid.uuid4(), recipient=recipient, profile_id=preference.profile_id, name=data.name,
                         text=data.text.strip(), filters=data.filters.model_dump(mode="json"),
                         frequency=data.frequency or _frequency(session, preference, now.date(), under_age),
                         active=True, unsubscribe_token=queue.new_token(), created_at=now)
    session.add(search)
    session.commit()
    return _search_read(search)


def list_searches(*, session: Session, principal: Principal) -> SavedSearchPage:
    found = session.scalars(select(SavedSearch).where(SavedSearch.recipient == recipient_of(principal))
                            .order_by(SavedSearch.created_at))
    return SavedSearchPage(items=[_search_read(search) for search in found])


def delete_search(*, session: Session, principal: Principal, search_id: uuid.UUID) -> None:
    search = session.get(SavedSearch, search_id)
    if search is None or search.recipient != recipient_of(principal):
        raise NotFound("saved search", search_id)
    session.execute(update(DigestItem).where(DigestItem.search_id == search_id, DigestItem.batched_in.is_(None))
                    .values(batched_in=uuid.UUID(int=0)))
    session.delete(search)
    session.commit()


def _unsubscribing(session: Session, token: str) -> tuple[SavedSearch | None, Preference | None, str]:
    search = session.scalar(select(SavedSearch).where(SavedSearch.unsubscribe_token == token))
    if search is not None:
        return search, None, f"alerts for the saved search \"{search.name}\""
    preference = session.scalar(select(Preference).where(Preference.unsubscribe_token == token))
    if preference is None:
        raise NotFound("unsubscribe link", "given")
    return None, preference, "all email"


def what_stops(*, session: Session, token: str) -> Unsubscribed:
    """What the link would stop, changing nothing (a mail scanner may open links)."""
    return Unsubscribed(unsubscribed=_unsubscribing(session, token)[2])


def unsubscribe(*, session: Session, token: str, now: dt.datetime) -> Unsubscribed:
    """A saved search's link stops that search; any other link stops all email."""
    search, preference, what = _unsubscribing(session, token)
    if search is not None:
        search.active = False
    if preference is not None:
        preference.email, preference.updated_at = False, now
    session.commit()
    return Unsubscribed(unsubscribed=what)


def list_messages(*, session: Session, principal: Principal, limit: int, offset: int) -> MessagePage:
    """What was sent to (or held back from) the signed-in person, newest first: subjects only."""
    where = Message.recipient == recipient_of(principal)
    total = session.scalar(select(func.count()).select_from(Message).where(where)) or 0
    rows = session.scalars(select(Message).where(where).order_by(Message.created_at.desc())
                           .limit(limit).offset(offset))
    return MessagePage(total=total, items=[
        MessageRead(id=m.id, kind=m.kind, status=m.status, subject=m.subject, reason=m.reason,
                    created_at=m.created_at, sent_at=m.sent_at) for m in rows
    ])
