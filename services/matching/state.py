"""The matcher's in-memory view: per side, stable int64 rows mapped to UUIDs, facts and columnar eligibility data
by row, and a vector index keyed by row; plus aggregate versions, referrals and the topic positions reflected."""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

import numpy as np

from services.common.eligibility import month_day
from services.common.minimum_wage import DEFAULT_TABLE, WageTable
from services.matching.facts import EmployerFacts, F, OpportunityFacts, PersonFacts
from services.matching.index import VectorIndex
from services.messaging.sealing import erasure_mark
from services.messaging.vocabulary import ACCEPTED, OPEN_REFERRAL_STATUSES, OPPORTUNITY_TYPES, REFERRED_STATUSES

if TYPE_CHECKING:
    from services.matching.concepts import Concepts

TYPE_CODE: dict[str, int] = {name: code for code, name in enumerate(OPPORTUNITY_TYPES)}
FILLS_A_POSITION = ACCEPTED

ColumnSpec = dict[str, tuple[Any, Any]]

OPPORTUNITY_COLUMNS: ColumnSpec = {
    "present": (np.bool_, False),
    "live": (np.bool_, False),
    "positions_left": (np.int32, 0),
    "closing": (np.int32, 0),
    "start_y": (np.int16, 0),
    "start_md": (np.int16, 0),
    "min_age": (np.int16, 0),
    "max_age": (np.int16, 0),
    "requires_uc": (np.bool_, False),
    "wage": (np.int32, 0),
    "later_wage": (np.int32, 0),
    "apprentice": (np.bool_, False),
    "past_first_year": (np.bool_, False),
    "start_day": (np.int32, 0),
    "second_year_day": (np.int32, 0),
    "lat": (np.float64, np.nan),
    "lon": (np.float64, np.nan),
    # The place as a unit vector: the travel filter compares one dot product a row instead of haversine.
    "x": (np.float64, np.nan),
    "y": (np.float64, np.nan),
    "z": (np.float64, np.nan),
    "remote": (np.bool_, False),
    "type": (np.int8, -1),
    "sector": (np.int32, -1),
}
PERSON_COLUMNS: ColumnSpec = {
    "present": (np.bool_, False),
    "looking": (np.bool_, False),
    "dob_y": (np.int16, 0),
    "dob_md": (np.int16, 0),
    "uc": (np.bool_, False),
    "lat": (np.float64, np.nan),
    "lon": (np.float64, np.nan),
    "max_travel": (np.float64, 0.0),
    "preferred": (np.int16, 0),
}


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    """A place on the unit sphere."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    return math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)


class Catalogue(Generic[F]):
    """One side: rows (stable int64 ids, never reused) mapped to UUIDs, facts and columns by row, and the index."""

    def __init__(self, index: VectorIndex, spec: ColumnSpec) -> None:
        self.index = index
        self.spec = spec
        self.rows: dict[uuid.UUID, int] = {}
        self.facts: list[F | None] = []
        self._columns = {name: np.full(1024, fill, dtype=dtype) for name, (dtype, fill) in spec.items()}
        self.codes: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[F]:
        return (facts for facts in self.facts if facts is not None)

    def row_of(self, key: uuid.UUID) -> int | None:
        return self.rows.get(key)

    def get(self, key: uuid.UUID) -> F | None:
        row = self.rows.get(key)
        return None if row is None else self.facts[row]

    def at(self, row: int) -> F | None:
        return self.facts[row] if 0 <= row < len(self.facts) else None

    def code(self, value: str) -> int:
        """A small integer for a categorical value (sectors), for vectorised filters."""
        return self.codes.setdefault(value.strip().lower(), len(self.codes))

    def column(self, name: str) -> np.ndarray:
        return self._columns[name][: len(self.facts)]

    def put(self, facts: F, row: int | None = None, **columns: Any) -> int:
        """Store facts (and their columns) under the key's row, assigning a new row to a new key."""
        if row is None:
            row = self.rows.get(facts.key)
        if row is None:
            row = len(self.facts)
        while len(self.facts) <= row:
            self.facts.append(None)
        self.rows[facts.key] = row
        self.facts[row] = facts
        if row >= len(self._columns["present"]):
            size = max(row + 1, 2 * len(self._columns["present"]))
            for name, (dtype, fill) in self.spec.items():
                grown = np.full(size, fill, dtype=dtype)
                grown[: len(self._columns[name])] = self._columns[name]
                self._columns[name] = grown
        self._columns["present"][row] = True
        for name, value in columns.items():
            self._columns[name][row] = value
        return row

    def set_column(self, row: int, name: str, value: Any) -> None:
        self._columns[name][row] = value

    def delete(self, key: uuid.UUID) -> int | None:
        """Forget a key entirely: facts, columns and vector."""
        row = self.rows.pop(key, None)
        if row is None:
            return None
        self.facts[row] = None
        for name, (_dtype, fill) in self.spec.items():
            self._columns[name][row] = fill
        self.index.remove([row])
        return row


@dataclass(frozen=True)
class Referral:
    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    status: str


class MatchingState:
    def __init__(
        self,
        *,
        opportunities_index: VectorIndex,
        profiles_index: VectorIndex,
        looking_statuses: tuple[str, ...] = ("neet",),
        rates: WageTable = DEFAULT_TABLE,
    ) -> None:
        self.lock = threading.RLock()
        self.rates = rates
        self.opportunities: Catalogue[OpportunityFacts] = Catalogue(opportunities_index, OPPORTUNITY_COLUMNS)
        self.profiles: Catalogue[PersonFacts] = Catalogue(profiles_index, PERSON_COLUMNS)
        self.looking_statuses = frozenset(looking_statuses)
        self.versions: dict[str, int] = {}
        self.erased: set[str] = set()
        # subject reference -> profile id of each person held (a SubjectBook), to apply their erasure
        self.subjects: dict[uuid.UUID, uuid.UUID] = {}
        self._subject_of: dict[uuid.UUID, uuid.UUID] = {}  # the other way: profile id -> subject reference
        self.referrals: dict[uuid.UUID, Referral] = {}
        self.employers: dict[uuid.UUID, EmployerFacts] = {}
        self.referred_by_person: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.referred_by_opportunity: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.accepted: dict[uuid.UUID, int] = {}
        # Referrals still open (referred, applied, interviewing...) per opportunity: capacity-aware ranking.
        self.open_referrals: dict[uuid.UUID, int] = {}
        # Suggestions advisers dismissed (dismissal id -> person, opportunity): the pair is not suggested again.
        self.dismissals: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]] = {}
        self.dismissed_by_person: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.dismissed_by_opportunity: dict[uuid.UUID, set[uuid.UUID]] = {}
        # "topic:partition" -> (next offset to read, sha256 of the last record's value)
        self.positions: dict[str, tuple[int, str]] = {}
        self.epoch: int | None = None  # the broker log epoch the positions belong to
        self.changes = 0
        self.erasures = 0
        # Skills and interests compared by meaning (set by the runtime once the model is loaded; None: as words).
        self.concepts: Concepts | None = None

    # -- versions ---------------------------------------------------------------------------------------------

    def is_current(self, aggregate_id: str, version: int) -> bool:
        """True when an event would move this aggregate forward (not stale, not a duplicate, not erased)."""
        if erasure_mark(aggregate_id) in self.erased:
            return False
        return version > self.versions.get(aggregate_id, 0)

    def is_erased(self, profile_id: uuid.UUID | str) -> bool:
        return erasure_mark(profile_id) in self.erased

    # -- opportunities ----------------------------------------------------------------------------------------

    def _positions_left(self, facts: OpportunityFacts) -> int:
        return facts.positions - max(facts.positions_filled, self.accepted.get(facts.opportunity_id, 0))

    def put_opportunity(self, facts: OpportunityFacts, vector: np.ndarray | None) -> None:
        """Store an opportunity; a live one keeps (or gets) its vector, any other status loses it. A live one held
        back below the minimum wage keeps its vector but is offered to nobody until it is fixed."""
        catalogue = self.opportunities
        rule = facts.posting().facts(age=0, on_universal_credit=False, rates=self.rates)
        x, y, z = unit_vector(facts.latitude, facts.longitude)
        row = catalogue.put(
            facts,
            live=facts.status == "live" and not facts.held_back,
            positions_left=self._positions_left(facts),
            closing=facts.closing_date.toordinal(),
            start_y=facts.start_date.year,
            start_md=month_day(facts.start_date),
            min_age=rule.min_age,
            max_age=rule.max_age,
            requires_uc=rule.requires_universal_credit,
            wage=rule.wage,
            later_wage=rule.later_wage,
            apprentice=rule.apprenticeship,
            past_first_year=rule.past_first_year,
            start_day=rule.start_day,
            second_year_day=rule.second_year_day,
            lat=facts.latitude,
            lon=facts.longitude,
            x=x,
            y=y,
            z=z,
            remote=facts.remote,
            type=TYPE_CODE.get(facts.type, -1),
            sector=catalogue.code(facts.sector),
        )
        if facts.status != "live":
            catalogue.index.remove([row])
        elif vector is not None:
            catalogue.index.upsert(np.array([row]), vector.reshape(1, -1))
        self.versions[str(facts.opportunity_id)] = facts.version
        self.changes += 1

    def put_employer(self, facts: EmployerFacts) -> None:
        """Store an employer's name and badges, shown beside its opportunities in match answers."""
        self.employers[facts.employer_id] = facts
        self.versions[str(facts.employer_id)] = facts.version
        self.changes += 1

    # -- people -----------------------------------------------------------------------------------------------

    def put_person(self, facts: PersonFacts, vector: np.ndarray | None) -> None:
        """Store a young person's facts and (when the text changed) vector."""
        preferred = 0
        for kind in facts.preferred_types:
            preferred |= 1 << TYPE_CODE.get(kind, 15)
        row = self.profiles.put(
            facts,
            looking=facts.status in self.looking_statuses,
            dob_y=facts.date_of_birth.year,
            dob_md=month_day(facts.date_of_birth),
            uc=facts.on_universal_credit,
            lat=np.nan if facts.latitude is None else facts.latitude,
            lon=np.nan if facts.longitude is None else facts.longitude,
            max_travel=facts.max_travel_km,
            preferred=preferred,
        )
        if vector is not None:
            self.profiles.index.upsert(np.array([row]), vector.reshape(1, -1))
        self.versions[str(facts.profile_id)] = facts.version
        self.changes += 1

    def erase_person(self, profile_id: uuid.UUID) -> None:
        """Remove everything held of a person: vector, facts, the vectors of their words, version and referrals; keep
        a one-way mark."""
        person = self.profiles.get(profile_id)
        if person is not None and self.concepts is not None:
            self.concepts.forget(person.phrases)
        self.profiles.delete(profile_id)
        self.versions.pop(str(profile_id), None)
        for referral_id in [rid for rid, ref in self.referrals.items() if ref.profile_id == profile_id]:
            self._drop_referral(referral_id)
            self.versions.pop(str(referral_id), None)
        self.referred_by_person.pop(profile_id, None)
        for dismissal_id in [did for did, (held, _) in self.dismissals.items() if held == profile_id]:
            _, opportunity_id = self.dismissals.pop(dismissal_id)
            self.dismissed_by_opportunity.get(opportunity_id, set()).discard(profile_id)
            self.versions.pop(str(dismissal_id), None)
        self.dismissed_by_person.pop(profile_id, None)
        for subject in [subject for subject, held in self.subjects.items() if held == profile_id]:
            del self.subjects[subject]
        self._subject_of.pop(profile_id, None)
        self.erased.add(erasure_mark(profile_id))
        self.changes += 1
        self.erasures += 1

    # -- subject references (the SubjectBook the event opener keeps) -------------------------------------------

    def profiles_of(self, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        with self.lock:
            return {subject: self.subjects[subject] for subject in subjects if subject in self.subjects}

    def remember(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        with self.lock:
            for subject, profile_id in links.items():
                if not self.is_erased(profile_id):
                    self.subjects[subject] = profile_id
                    self._subject_of[profile_id] = subject

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        with self.lock:
            for subject in subjects:
                profile_id = self.subjects.pop(subject, None)
                if profile_id is not None and self._subject_of.get(profile_id) == subject:
                    del self._subject_of[profile_id]

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        """The subject reference a person's events name them by (what records about them may carry)."""
        return self._subject_of.get(profile_id)

    # -- dismissed suggestions --------------------------------------------------------------------------------

    def put_dismissal(
        self, dismissal_id: uuid.UUID, profile_id: uuid.UUID, opportunity_id: uuid.UUID, version: int
    ) -> None:
        """An adviser dismissed this suggestion for the person: it is not suggested to them again."""
        self.dismissals[dismissal_id] = (profile_id, opportunity_id)
        self.dismissed_by_person.setdefault(profile_id, set()).add(opportunity_id)
        self.dismissed_by_opportunity.setdefault(opportunity_id, set()).add(profile_id)
        self.versions[str(dismissal_id)] = version
        self.changes += 1

    def not_suggested_to(self, profile_id: uuid.UUID) -> set[uuid.UUID]:
        """Opportunities kept out of a person's suggestions: referred there already, or dismissed by an adviser."""
        return self.referred_by_person.get(profile_id, set()) | self.dismissed_by_person.get(profile_id, set())

    def not_suggested_for(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]:
        """People kept out of an opportunity's candidates: referred there already, or the suggestion dismissed."""
        return (self.referred_by_opportunity.get(opportunity_id, set())
                | self.dismissed_by_opportunity.get(opportunity_id, set()))

    # -- referrals --------------------------------------------------------------------------------------------

    def _drop_referral(self, referral_id: uuid.UUID) -> None:
        old = self.referrals.pop(referral_id, None)
        if old is None:
            return
        self.referred_by_person.get(old.profile_id, set()).discard(old.opportunity_id)
        self.referred_by_opportunity.get(old.opportunity_id, set()).discard(old.profile_id)
        if old.status == FILLS_A_POSITION:
            self.accepted[old.opportunity_id] = self.accepted.get(old.opportunity_id, 1) - 1
        if old.status in OPEN_REFERRAL_STATUSES:
            left = self.open_referrals.get(old.opportunity_id, 1) - 1
            if left > 0:
                self.open_referrals[old.opportunity_id] = left
            else:
                self.open_referrals.pop(old.opportunity_id, None)
        self._refresh_positions(old.opportunity_id)

    def put_referral(self, referral_id: uuid.UUID, referral: Referral, version: int) -> None:
        """Record a referral's latest status: who is already referred where, and positions taken."""
        self._drop_referral(referral_id)
        self.referrals[referral_id] = referral
        if referral.status in REFERRED_STATUSES:
            self.referred_by_person.setdefault(referral.profile_id, set()).add(referral.opportunity_id)
            self.referred_by_opportunity.setdefault(referral.opportunity_id, set()).add(referral.profile_id)
        if referral.status == FILLS_A_POSITION:
            self.accepted[referral.opportunity_id] = self.accepted.get(referral.opportunity_id, 0) + 1
        if referral.status in OPEN_REFERRAL_STATUSES:
            self.open_referrals[referral.opportunity_id] = self.open_referrals.get(referral.opportunity_id, 0) + 1
        self._refresh_positions(referral.opportunity_id)
        self.versions[str(referral_id)] = version
        self.changes += 1

    def _refresh_positions(self, opportunity_id: uuid.UUID) -> None:
        facts = self.opportunities.get(opportunity_id)
        if facts is not None:
            row = self.opportunities.rows[opportunity_id]
            self.opportunities.set_column(row, "positions_left", self._positions_left(facts))

    # -- positions --------------------------------------------------------------------------------------------

    def forget_positions(self, keys: Collection[str]) -> None:
        """Drop the positions of some partitions (their feed reads them again from the start)."""
        for key in keys:
            self.positions.pop(key, None)

    def record_positions(self, positions: dict[str, tuple[int, str]]) -> None:
        self.positions.update(positions)
        self.changes += 1

    def counts(self) -> dict[str, Any]:
        return {
            "opportunities": len(self.opportunities),
            "opportunities_indexed": len(self.opportunities.index),
            "profiles": len(self.profiles),
            "profiles_indexed": len(self.profiles.index),
            "referrals": len(self.referrals),
            "dismissals": len(self.dismissals),
        }
