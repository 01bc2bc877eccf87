"""Profile use cases: each one transaction, committed once, with its outbox row."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import status
from sqlalchemy import Select, String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.eligibility import age_on
from services.common.errors import Conflict, Forbidden, NotFound, RuleViolation
from services.common.screening import Category, ScreeningWarning, screen, special_category_warning
from services.messaging.contract import (
    CLEAR_VERSION,
    DuplicateOverrideV1,
    EventEnvelope,
    EventType,
    KeyPurpose,
    ProfileErasedV1,
    ProfileErasedV2,
    ProfileSpecialCategoryV1,
    RecordViewedV1,
    ScreenedTextV1,
)
from services.messaging.outbox import add_to_outbox, redact_aggregate, stage_event
from services.messaging.sealing import DataKey, erasure_mark
from services.messaging.vocabulary import SPECIAL_CATEGORY_GROUPS
from services.profiles import activity
from services.profiles.config import ProfilesSettings
from services.profiles.duplicates import name_key, phone_key, similar_profiles
from services.profiles.keys import destroy_keys, keys_of
from services.profiles.models import (
    ActivityConfirmation,
    ActivitySpell,
    ContactAttempt,
    ErasureRecord,
    OutboxRecord,
    Profile,
    SeptemberGuarantee,
    SpecialCategory,
)
from services.profiles.publishing import PRODUCER, emit, snapshot
from services.profiles.schemas import (
    AgeWindow,
    ContactDetails,
    EligibilityFacts,
    EmployerView,
    ProfileCreate,
    ProfilePage,
    ProfileRead,
    ProfileUpdate,
    SimilarProfile,
    age_problem,
)

SPECIAL_CATEGORY_FIELDS = {"ethnicity"}
# Free text screened for special category data: a flagged `about` is held back whole (the plain profile keeps ""),
# a flagged skill or interest is dropped from the plain list. Both are kept only in SpecialCategory.screened_text.
SCREENED_PROSE_FIELDS = ("about",)
SCREENED_LIST_FIELDS = ("skills", "interests")
KEPT = (
    "only advisers and the young person see it; it is not used for matching, not sent with the profile's events "
    "and never shown to employers."
)


def _check_age(date_of_birth: dt.date, today: dt.date, settings: ProfilesSettings) -> None:
    problem = age_problem(date_of_birth, AgeWindow(today=today, youngest=settings.min_age, oldest=settings.max_age))
    if problem is not None:
        raise RuleViolation("date_of_birth", problem.type, problem.message())


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _similar_in_words(person: SimilarProfile) -> str:
    same = {"name_and_date_of_birth": "the same name and date of birth", "email": "the same email",
            "phone": "the same phone number"}
    adviser = (
        f"adviser {person.adviser.name} ({person.adviser.team}, {person.adviser.email}, {person.adviser.phone})"
        if person.adviser else f"adviser {person.adviser_id}" if person.adviser_id else "no adviser yet"
    )
    return (f"{person.given_name} {person.family_name}, born {_day(person.date_of_birth)}, is already registered "
            f"({' and '.join(same[s] for s in person.same)}) with {adviser}")


# What a person shares with a likely duplicate, and the fields whose change brings it about.
IDENTIFYING = {"name_and_date_of_birth": {"given_name", "family_name", "date_of_birth"}, "email": {"email"},
               "phone": {"phone"}}


def _check_not_registered_already(
    session: Session,
    *,
    details: dict[str, Any],
    reason: str | None,
    principal: Principal,
    editing: uuid.UUID | None = None,
    changed: set[str] | None = None,
) -> DuplicateOverrideV1 | None:
    """Refuse a likely duplicate (409 naming who it looks like) unless an adviser says why it is someone else;
    the reason, screened, goes into the audit log with the registration. For an edit of the person `editing`,
    only a likeness that the `changed` fields bring about counts."""
    similar = similar_profiles(session, given_name=details["given_name"], family_name=details["family_name"],
                               date_of_birth=details["date_of_birth"], email=details.get("email"),
                               phone=details.get("phone"), excluding=editing)
    if changed is not None:
        similar = [p for p in similar if any(IDENTIFYING[same] & changed for same in p.same)]
    if principal.role is not Role.ADVISER:
        if similar:
            raise RuleViolation("", "likely_duplicate", "These details match someone already registered. Ask the "
                                "Youth Employment hub to find your profile.", status.HTTP_409_CONFLICT)
        return None
    if not similar:
        return None
    if reason is None:
        raise RuleViolation(
            "duplicate_reason",
            "likely_duplicate",
            "This looks like someone already registered: " + "; ".join(_similar_in_words(p) for p in similar)
            + ". Open their page instead, or, if this is a different person (twins, say), "
            + ("register them" if editing is None else "save the change") + " with a reason.",
            status.HTTP_409_CONFLICT,
            context={"similar": [p.model_dump(mode="json") for p in similar]},
        )
    if screen(reason, kind="prose").flagged:
        raise RuleViolation("duplicate_reason", "special_category", "Say why without health, disability or "
                            "other special category details: the reason is kept in the audit log.")
    return DuplicateOverrideV1(reason=reason, similar_to=[p.id for p in similar], by_adviser=principal.sub)


def _screening_warnings(screened: list[dict[str, Any]]) -> list[ScreeningWarning]:
    """One warning for each piece of free text held back as special category data."""
    return [
        special_category_warning(
            entry["field"],
            [Category(name) for name in entry["categories"]],
            KEPT,
            item=entry["text"] if entry["field"] in SCREENED_LIST_FIELDS else None,
        )
        for entry in screened
    ]


def _with_screened_text(fields: dict[str, Any], screened: list[dict[str, Any]]) -> dict[str, Any]:
    """The profile as its owner and advisers see it: the held-back text put back where it was typed."""
    merged = dict(fields)
    for entry in screened:
        if entry["field"] in SCREENED_LIST_FIELDS:
            merged[entry["field"]] = [*merged[entry["field"]], entry["text"]]
        else:
            merged[entry["field"]] = entry["text"]
    return merged


def _to_read(profile: Profile, special: SpecialCategory | None, today: dt.date) -> ProfileRead:
    groups = list(profile.priority_groups)
    if special is not None and special.send:
        groups.append("send")
    screened = list(special.screened_text) if special is not None else []
    fields = {column.key: getattr(profile, column.key) for column in Profile.__table__.columns}
    return ProfileRead.model_validate(
        {
            **_with_screened_text(fields, screened),
            "age": age_on(profile.date_of_birth, today),
            "priority_groups": groups,
            "ethnicity": special.ethnicity if special else None,
            "warnings": _screening_warnings(screened),
        }
    )


def _emit_special_category(
    session: Session, profile: Profile, special: SpecialCategory, keys: dict[KeyPurpose, DataKey]
) -> None:
    emit(
        session,
        EventType.PROFILE_SPECIAL_CATEGORY_SET,
        profile.id,
        profile.version,
        ProfileSpecialCategoryV1(
            profile_id=profile.id,
            send=special.send,
            ethnicity=special.ethnicity,
            screened_text=[ScreenedTextV1.model_validate(entry) for entry in special.screened_text],
        ),
        profile.updated_at,
        keys,
    )


def _screen(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Take the free text that screening flags out of the fields sent; returns it as screened_text entries."""
    screened: list[dict[str, Any]] = []
    for key in SCREENED_PROSE_FIELDS:
        if fields.get(key):
            found = screen(fields[key], kind="prose")
            if found.flagged:
                screened.append({"field": key, "text": fields[key], "categories": [str(c) for c in found.categories]})
                fields[key] = ""
    for key in SCREENED_LIST_FIELDS:
        kept = []
        for item in fields.get(key) or []:
            found = screen(item, kind="label")
            if found.flagged:
                screened.append({"field": key, "text": item, "categories": [str(c) for c in found.categories]})
            else:
                kept.append(item)
        if key in fields:
            fields[key] = kept
    return screened


def _split(
    fields: dict[str, Any], held_back: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate special category data from the matchable profile fields; `held_back` is the screened text
    already stored, of which the fields sent replace their own."""
    special: dict[str, Any] = {key: fields.pop(key) for key in SPECIAL_CATEGORY_FIELDS if key in fields}
    sent = [key for key in (*SCREENED_PROSE_FIELDS, *SCREENED_LIST_FIELDS) if key in fields]
    if sent:
        kept = [entry for entry in held_back or [] if entry["field"] not in sent]
        special["screened_text"] = kept + _screen(fields)
    if "priority_groups" in fields:
        groups = fields["priority_groups"]
        special["send"] = "send" in groups
        fields["priority_groups"] = [group for group in groups if group not in SPECIAL_CATEGORY_GROUPS]
    if "qualifications" in fields:
        fields["qualifications"] = [
            {key: value for key, value in item.items() if value is not None} for item in fields["qualifications"]
        ]
    return fields, special


def _with_keys(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields with the normalised name and phone that duplicates are spotted by."""
    return {**fields, "name_key": name_key(fields["given_name"], fields["family_name"]),
            "phone_key": phone_key(fields.get("phone"))}


def _may_access(principal: Principal, profile_id: uuid.UUID) -> None:
    if principal.role is Role.YOUNG_PERSON and principal.sub != str(profile_id):
        raise Forbidden("a young person may only see and change their own profile")


def register_profile(
    *, session: Session, data: ProfileCreate, principal: Principal, settings: ProfilesSettings, now: dt.datetime
) -> ProfileRead:
    """Create a young person's profile and emit profile.registered (refused as a likely duplicate unless an
    adviser says why it is someone else)."""
    _check_age(data.date_of_birth, now.date(), settings)
    if principal.role is Role.YOUNG_PERSON:
        try:
            profile_id = uuid.UUID(principal.sub)
        except ValueError as exc:
            raise Forbidden("a young person's token must name their profile id") from exc
        erased = session.get(ErasureRecord, erasure_mark(profile_id)) is not None
        if erased or session.get(Profile, profile_id) is not None:
            raise Conflict(f"profile {profile_id} already exists")
        adviser_id = None
    else:
        profile_id = uuid.uuid4()
        adviser_id = principal.sub if principal.role is Role.ADVISER else None
    override = _check_not_registered_already(session, details=data.model_dump(), reason=data.duplicate_reason,
                                             principal=principal)
    fields, special_fields = _split(data.model_dump(exclude={"duplicate_reason"}))
    profile = Profile(id=profile_id, adviser_id=adviser_id, version=1, created_at=now, updated_at=now,
                      **_with_keys(fields))
    special = SpecialCategory(
        profile_id=profile_id,
        send=special_fields.get("send", False),
        ethnicity=special_fields.get("ethnicity"),
        screened_text=special_fields.get("screened_text", []),
    )
    session.add(profile)
    session.flush()
    session.add(special)
    activity.open_spell(session, profile, code=activity.CODE_OF_STATUS[profile.status],  # type: ignore[index]
                        started_on=now.date(), source=activity.source_of(principal), confirmed_on=now.date(),
                        by=activity.recorder(principal), now=now)
    keys = keys_of(session, profile_id, settings.kek())
    registered = snapshot(profile).model_copy(update={"duplicate_override": override})
    emit(session, EventType.PROFILE_REGISTERED, profile.id, profile.version, registered, now, keys)
    if special.send or special.ethnicity or special.screened_text:
        _emit_special_category(session, profile, special, keys)
    activity.record_changed(session, profile, settings, now)
    session.commit()
    return _to_read(profile, special, now.date())


def registered_on(*, session: Session, profile_id: uuid.UUID) -> dt.date | None:
    """The day a person registered (the day their age window is counted on), or None for nobody."""
    registered = session.scalar(select(Profile.created_at).where(Profile.id == profile_id))
    return registered.date() if registered is not None else None


def _load(session: Session, profile_id: uuid.UUID) -> tuple[Profile, SpecialCategory | None]:
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise NotFound("profile", profile_id)
    return profile, session.get(SpecialCategory, profile_id)


def get_profile(
    *, session: Session, profile_id: uuid.UUID, principal: Principal, kek: bytes, now: dt.datetime
) -> ProfileRead:
    """One profile, for an adviser or the young person themself; an adviser's read goes to the audit log."""
    _may_access(principal, profile_id)
    profile, special = _load(session, profile_id)
    read = _to_read(profile, special, now.date())
    if principal.role is Role.ADVISER:
        view_id = uuid.uuid4()
        viewed = RecordViewedV1(view_id=view_id, profile_id=profile_id, viewer_role="adviser", viewer=principal.sub,
                                record="profile", viewed_at=now)
        emit(session, EventType.PROFILE_VIEWED, view_id, 1, viewed, now, keys_of(session, profile_id, kek))
        session.commit()
    return read


def eligibility_facts(*, session: Session, profile_id: uuid.UUID, principal: Principal) -> EligibilityFacts:
    """The facts an opportunity's rules are checked against, for the opportunities service (and advisers)."""
    _may_access(principal, profile_id)
    profile, _ = _load(session, profile_id)
    return EligibilityFacts(id=profile.id, date_of_birth=profile.date_of_birth,
                            on_universal_credit=profile.on_universal_credit, adviser_id=profile.adviser_id)


def contact_details(*, session: Session, profile_id: uuid.UUID, principal: Principal) -> ContactDetails:
    """A young person's email address and first name, for the notifications service (and advisers, the person)."""
    _may_access(principal, profile_id)
    profile, _ = _load(session, profile_id)
    return ContactDetails(id=profile.id, given_name=profile.given_name, email=profile.email,
                          date_of_birth=profile.date_of_birth, adviser_id=profile.adviser_id)


def employer_view(*, session: Session, profile_id: uuid.UUID, principal: Principal) -> EmployerView:
    """What an employer may be shown of a referred person (names and skills only with consent), for the
    opportunities service, advisers, and the young person themself."""
    _may_access(principal, profile_id)
    profile, _ = _load(session, profile_id)
    consent = profile.consent_share_with_employers
    return EmployerView(
        id=profile.id,
        consent_share_with_employers=consent,
        given_name=profile.given_name if consent else None,
        family_name=profile.family_name if consent else None,
        skills=list(profile.skills) if consent else [],
        interests=list(profile.interests) if consent else [],
        qualifications=list(profile.qualifications) if consent else [],  # type: ignore[arg-type]
    )


def update_profile(
    *,
    session: Session,
    profile_id: uuid.UUID,
    data: ProfileUpdate,
    principal: Principal,
    settings: ProfilesSettings,
    now: dt.datetime,
) -> ProfileRead:
    """Change the fields sent and emit profile.updated when anything changed."""
    _may_access(principal, profile_id)
    changes = data.model_dump(exclude_unset=True)
    reason = changes.pop("duplicate_reason", None)
    if "adviser_id" in changes and principal.role is not Role.ADVISER:
        raise Forbidden("only an adviser may assign an adviser")
    profile, special = _load(session, profile_id)
    if "date_of_birth" in changes:
        _check_age(changes["date_of_birth"], profile.created_at.date(), settings)
    identifying = {key for key in set().union(*IDENTIFYING.values()) & changes.keys()
                   if getattr(profile, key) != changes[key]}
    override = None
    if identifying:
        current = {key: getattr(profile, key) for key in set().union(*IDENTIFYING.values())}
        override = _check_not_registered_already(session, details={**current, **changes}, reason=reason,
                                                 principal=principal, editing=profile_id, changed=identifying)
    if special is None:
        special = SpecialCategory(profile_id=profile_id, send=False, ethnicity=None, screened_text=[])
        session.add(special)
    fields, special_fields = _split(changes, list(special.screened_text or []))
    if {"given_name", "family_name", "phone"} & fields.keys():
        fields = _with_keys({"given_name": profile.given_name, "family_name": profile.family_name,
                             "phone": profile.phone, **fields})
    changed = {key: value for key, value in fields.items() if getattr(profile, key) != value}
    special_changed = {key: value for key, value in special_fields.items() if getattr(special, key) != value}
    if not changed and not special_changed:
        return _to_read(profile, special, now.date())
    for key, value in changed.items():
        setattr(profile, key, value)
    if "status" in changed:
        activity.open_spell(session, profile, code=activity.CODE_OF_STATUS[changed["status"]],
                            started_on=now.date(), source=activity.source_of(principal), confirmed_on=now.date(),
                            by=activity.recorder(principal), now=now)
    for key, value in special_changed.items():
        setattr(special, key, value)
    profile.version += 1
    profile.updated_at = now
    keys = keys_of(session, profile_id, settings.kek())
    if changed:
        updated = snapshot(profile).model_copy(update={"duplicate_override": override})
        emit(session, EventType.PROFILE_UPDATED, profile.id, profile.version, updated, now, keys)
    if special_changed:
        _emit_special_category(session, profile, special, keys)
    if "status" in changed:
        activity.record_changed(session, profile, settings, now)
    session.commit()
    return _to_read(profile, special, now.date())


def erase_profile(*, session: Session, profile_id: uuid.UUID, principal: Principal, now: dt.datetime) -> None:
    """Erase a person: the rows go and so do their data keys (every event about them, on any topic, can no longer
    be read or linked to them); an erasure record with a one-way mark stays; earlier outbox rows lose their
    payloads; and profile.erased, naming only the subject reference, tells every consumer to drop what it holds."""
    _may_access(principal, profile_id)
    profile, special = _load(session, profile_id)
    version = profile.version + 1
    if special is not None:
        session.delete(special)
        session.flush()
    for kept in (ActivityConfirmation, ActivitySpell, ContactAttempt, SeptemberGuarantee):
        session.execute(delete(kept).where(kept.profile_id == profile_id))
    session.delete(profile)
    subject = destroy_keys(session, profile_id)
    session.add(ErasureRecord(mark=erasure_mark(profile_id), erased_at=now, requested_by_role=str(principal.role)))
    redact_aggregate(session, OutboxRecord, str(profile_id))  # events written before subject references
    if subject is None:  # a person whose events all predate subject references: consumers know them by id
        legacy = ProfileErasedV1(profile_id=profile_id, erased_at=now)
        add_to_outbox(session, OutboxRecord, EventEnvelope(
            event_type=EventType.PROFILE_ERASED, schema_version=CLEAR_VERSION, producer=PRODUCER,
            aggregate_id=str(profile_id), aggregate_version=version, payload=legacy.model_dump(mode="json"),
            occurred_at=now))
    else:
        redact_aggregate(session, OutboxRecord, str(subject))
        stage_event(
            session,
            OutboxRecord,
            EventType.PROFILE_ERASED,
            producer=PRODUCER,
            aggregate_id=subject,
            version=version,
            payload=ProfileErasedV2(subject=subject, erased_at=now),
            at=now,
        )
    session.commit()


def list_profiles(
    *,
    session: Session,
    today: dt.date,
    status: str | None = None,
    priority_group: str | None = None,
    adviser_id: str | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ProfilePage:
    """A page of profiles for advisers, filtered."""
    query: Select[tuple[Profile]] = select(Profile)
    if status:
        query = query.where(Profile.status == status)
    if adviser_id:
        query = query.where(Profile.adviser_id == adviser_id)
    if priority_group == "send":
        query = query.join(SpecialCategory, SpecialCategory.profile_id == Profile.id).where(SpecialCategory.send)
    elif priority_group:
        query = query.where(cast(Profile.priority_groups, String).like(f'%"{priority_group}"%'))
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(Profile.given_name + " " + Profile.family_name).like(pattern),
                func.lower(cast(Profile.skills, String)).like(pattern),
                func.lower(cast(Profile.interests, String)).like(pattern),
                func.lower(Profile.postcode).like(pattern),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Profile.created_at.desc(), Profile.id).limit(limit).offset(offset)).all()
    specials = {
        row.profile_id: row
        for row in session.scalars(select(SpecialCategory).where(SpecialCategory.profile_id.in_([p.id for p in rows])))
    }
    return ProfilePage(
        items=[_to_read(profile, specials.get(profile.id), today) for profile in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
