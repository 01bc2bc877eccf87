"""Hard eligibility as vectorised masks over rows (applied before ranking), the hybrid score and explanations."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from services.common.eligibility import Facts, admitted, age_on, month_day, whole_years
from services.common.errors import RuleViolation
from services.common.postcodes import EARTH_RADIUS_KM
from services.matching.concepts import Concepts, SkillMatch
from services.matching.facts import F, OpportunityFacts, PersonFacts
from services.matching.state import TYPE_CODE, Catalogue, MatchingState, unit_vector
from services.matching.text import normalised
from services.messaging.vocabulary import OPPORTUNITY_TYPE_NAMES, level_asked_first

UNKNOWN_DISTANCE_CLOSENESS = 0.5


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    sector: str | None = None
    max_distance_km: float | None = None
    remote: bool | None = None


@dataclass(frozen=True)
class Weights:
    similarity: float
    skills: float
    distance: float
    # Skills met by meaning (concepts) count in the score, not only in the reasons (off: it did not measure better).
    concept_skills: bool = False
    # Taken off an opportunity's score at CROWDED open referrals per place left (in proportion below that), so
    # one vacancy is not everyone's first suggestion; ties go to the opportunity with fewer referrals per place.
    capacity: float = 0.0
    # How near in meaning the person's text is to the posting's title alone (what the job is, not its boilerplate):
    # added with this weight when concepts are on.
    title: float = 0.0
    # How near in meaning the person's text is to the ESCO occupation that names the posting's title (the title
    # itself when none does): added with this weight to a person's matches when concepts are on.
    occupation: float = 0.0
    # Taken off for each level (at most LEVELS_COUNTED) the person's highest recorded qualification is below what
    # the posting usually asks for first: a level 6 apprenticeship is not first for someone with GCSEs.
    level: float = 0.0


CROWDED = 3.0
LEVELS_COUNTED = 2


@dataclass(frozen=True)
class LevelFit:
    """A posting's level beside the person's highest recorded qualification."""

    posting_level: int
    asked_first: int
    highest_recorded: int

    @property
    def short(self) -> int:
        """Levels the person is below what the posting usually asks for first (0: within reach)."""
        return max(0, self.asked_first - self.highest_recorded)

    @property
    def step_up(self) -> bool:
        """Above the person's highest level, and asking for more than entry level first: worth a word."""
        return self.asked_first > 0 and self.posting_level > self.highest_recorded


def level_fit(opportunity: OpportunityFacts, person: PersonFacts | None) -> LevelFit | None:
    """None when the posting has no level or the person has no qualification recorded."""
    if opportunity.level is None or person is None or person.highest_level is None:
        return None
    return LevelFit(opportunity.level, level_asked_first(opportunity.level), person.highest_level)


def levels_short(opportunity: OpportunityFacts, person: PersonFacts | None) -> int:
    fit = level_fit(opportunity, person)
    return 0 if fit is None else fit.short


@dataclass
class Explanation:
    matched_skills: list[str] = field(default_factory=list)
    missing_skills: list[str] = field(default_factory=list)
    distance_km: float | None = None
    reasons: list[str] = field(default_factory=list)
    matched_interests: list[str] = field(default_factory=list)
    skill_matches: list[SkillMatch] = field(default_factory=list)
    level_fit: LevelFit | None = None


_WORD = re.compile(r"[a-z0-9]+")
_LITTLE_WORDS = frozenset({"a", "an", "and", "the", "of", "in", "on", "to", "for", "with", "at", "or"})


def _stem(word: str) -> str:
    """'cooking' -> 'cook', 'cafes' -> 'cafe': enough for an interest to meet the words of a posting."""
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _words(text: str) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text.lower()) if word not in _LITTLE_WORDS}


# Postings only: a person's words are not kept beyond their request (erasure would have to reach such a cache).
@functools.lru_cache(maxsize=16_384)
def _posting_words(opportunity: OpportunityFacts) -> frozenset[str]:
    return frozenset(_words(" ".join([opportunity.title, *opportunity.skills, opportunity.sector.replace("_", " "),
                                      opportunity.description])))


def fitting_interests(
    interests: Iterable[str], opportunity: OpportunityFacts, concepts: Concepts | None = None
) -> list[str]:
    """The person's interests that the posting speaks of: every word of the interest is in its title, skills,
    area of work or description (an "electrician" interest fits a "Mining electrician apprentice"), or, with
    concepts, the interest is near in meaning to its title ("working with kids" fits "Child care worker")."""
    interests = list(interests)
    said = _posting_words(opportunity)
    by_words = {interest for interest in interests if (wanted := _words(interest)) and wanted <= said}
    by_meaning = set(concepts.fitting_interests(interests, opportunity.title)) if concepts is not None else set()
    return [interest for interest in interests if interest in by_words or interest in by_meaning]


@dataclass
class Ranked:
    key: uuid.UUID
    score: float
    explanation: Explanation
    similarity: float | None = None


Origin = tuple[float, float] | None


def haversine_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    p1, p2 = np.radians(lat), math.radians(lat0)
    dp, dl = p2 - p1, np.radians(lon0 - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


# Rows whose dot product is this close to the threshold are settled by haversine, so the answers are haversine's.
DOT_MARGIN = 1e-9


def within_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, radius_km: float,
              xyz: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """haversine_km(lat, lon, lat0, lon0) <= radius_km, with the same answers, from the rows' places as unit
    vectors (`xyz`): within the radius means a dot product with the centre above cos(radius / R). A match request
    spent half its time on haversine over every row; this is a few multiplications a row."""
    x0, y0, z0 = unit_vector(lat0, lon0)
    dot = xyz[0] * x0 + xyz[1] * y0 + xyz[2] * z0
    threshold = math.cos(min(radius_km / EARTH_RADIUS_KM, math.pi))
    inside = dot > threshold + DOT_MARGIN
    unsure = np.flatnonzero(np.abs(dot - threshold) <= DOT_MARGIN)
    inside[unsure] = haversine_km(lat[unsure], lon[unsure], lat0, lon0) <= radius_km
    return inside


def distance_between(lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None) -> float | None:
    """haversine_km for one pair, in plain floats (numpy on single values costs more than the sum)."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def person_origin(person: PersonFacts | None) -> Origin:
    if person is None or person.latitude is None or person.longitude is None:
        return None
    return (person.latitude, person.longitude)


def is_open(state: MatchingState, opportunity: OpportunityFacts, today: dt.date) -> bool:
    row = state.opportunities.row_of(opportunity.opportunity_id)
    return (
        opportunity.status == "live"
        and not opportunity.held_back
        and row is not None
        and int(state.opportunities.column("positions_left")[row]) > 0
        and opportunity.closing_date >= today
    )


def opportunity_mask(
    state: MatchingState, person: PersonFacts | None, today: dt.date, filters: Filters, origin: Origin,
    travel_km: float | None = None,
) -> np.ndarray:
    """Rows of opportunities open to this person (or open at all, without a person) and passing the filters;
    within the person's travel distance, or `travel_km` when given (wider results)."""
    cat = state.opportunities
    col = cat.column
    places = (col("x"), col("y"), col("z"))
    mask = col("live") & (col("positions_left") > 0) & (col("closing") >= today.toordinal())
    if person is not None:
        dob = person.date_of_birth
        age = whole_years(dob.year, month_day(dob), col("start_y").astype(np.int32), col("start_md"))
        mask &= admitted(
            Facts(
                age=age,
                min_age=col("min_age"),
                max_age=col("max_age"),
                requires_universal_credit=col("requires_uc"),
                on_universal_credit=person.on_universal_credit,
                wage=col("wage"),
                later_wage=col("later_wage"),
                apprenticeship=col("apprentice"),
                past_first_year=col("past_first_year"),
                start_day=col("start_day"),
                second_year_day=col("second_year_day"),
                rates=state.rates,
            )
        )
        home = person_origin(person)
        if home is not None:
            reach = person.max_travel_km if travel_km is None else travel_km
            mask &= col("remote") | within_km(col("lat"), col("lon"), *home, reach, places)
        for opportunity_id in state.not_suggested_to(person.profile_id):
            row = cat.row_of(opportunity_id)
            if row is not None:
                mask[row] = False
    if filters.type is not None:
        mask &= col("type") == TYPE_CODE.get(filters.type, -2)
    if filters.sector is not None:
        code = cat.codes.get(filters.sector.strip().lower(), -2)
        mask &= col("sector") == code
    if filters.remote is not None:
        mask &= col("remote") == filters.remote
    if filters.max_distance_km is not None:
        if origin is None:
            raise RuleViolation(
                "filters.max_distance_km", "origin_required", "max_distance_km needs a place to measure from"
            )
        mask &= col("remote") | within_km(col("lat"), col("lon"), *origin, filters.max_distance_km, places)
    return mask


# Wider results when fewer than k are within a person's travel distance: these multiples of it, at least this many
# km further each time, up to the cap.
WIDER_MULTIPLES = (1.5, 2.0, 3.0)
WIDER_MIN_STEP_KM = 5.0
WIDER_MAX_KM = 150.0


def wider_radii(travel_km: float) -> list[float]:
    """The steps offered beyond a travel distance: 10 km -> 15, 20, 30 km; 2 km -> 7, 12, 17 km."""
    radii: list[float] = []
    last = travel_km
    for multiple in WIDER_MULTIPLES:
        radius = min(WIDER_MAX_KM, max(travel_km * multiple, last + WIDER_MIN_STEP_KM))
        if radius > last:
            radii.append(round(radius, 1))
            last = radius
    return radii


def candidate_mask(state: MatchingState, opportunity: OpportunityFacts, filters: Filters) -> np.ndarray:
    """Rows of young people who are looking and eligible for this opportunity, passing the filters."""
    if filters.sector is not None:
        raise RuleViolation("filters.sector", "not_applicable", "sector filters opportunities, not young people")
    if filters.remote is not None:
        raise RuleViolation("filters.remote", "not_applicable", "remote filters opportunities, not young people")
    col = state.profiles.column
    mask = col("looking").copy()
    start = opportunity.start_date
    age = whole_years(col("dob_y").astype(np.int32), col("dob_md"), start.year, month_day(start))
    mask &= admitted(opportunity.posting().facts(age, col("uc"), state.rates))
    distance = haversine_km(col("lat"), col("lon"), opportunity.latitude, opportunity.longitude)
    if not opportunity.remote:
        # A person whose postcode district is not in the table cannot be measured; they are not excluded.
        mask &= np.isnan(distance) | (distance <= col("max_travel"))
    for profile_id in state.not_suggested_for(opportunity.opportunity_id):
        row = state.profiles.row_of(profile_id)
        if row is not None:
            mask[row] = False
    if filters.type is not None:
        bit = 1 << TYPE_CODE.get(filters.type, 15)
        preferred = col("preferred").astype(np.int32)
        mask &= (preferred == 0) | ((preferred & bit) != 0)
    if filters.max_distance_km is not None:
        mask &= distance <= filters.max_distance_km
    return mask


@dataclass(frozen=True)
class Measured:
    """What the hybrid score of one pair is made of, and the score."""

    score: float
    matched: list[str]
    missing: list[str]
    distance: float | None
    home: Origin
    reach: float | None
    skill_matches: tuple[SkillMatch, ...] = ()


def skills_met(
    opportunity: OpportunityFacts, person: PersonFacts | None, *, concepts: Concepts | None = None,
    query_words: str | None = None,
) -> tuple[list[str], tuple[SkillMatch, ...]]:
    """The posting's skills the person has: by meaning with concepts (with the words that meet each), else the same
    words; without a person, those a free-text query (`query_words`, normalised) names."""
    if person is not None and concepts is not None:
        by_meaning, _ = concepts.match_skills(person.skills, opportunity.skills)
        met = {match.skill for match in by_meaning}
        return [skill for skill in opportunity.skills if skill in met], tuple(by_meaning)
    if person is not None:
        return opportunity.skills_within(person.skill_keys), ()
    if query_words:
        return opportunity.skills_within(query_words), ()
    return [], ()


def skill_overlap(counted: list[str], opportunity: OpportunityFacts) -> float:
    return len(counted) / len(opportunity.skills) if opportunity.skills else 0.0


def hybrid_scores(
    weights: Weights, similarity: np.ndarray, overlap: np.ndarray, distance: np.ndarray,
    reach: np.ndarray | float | None, remote: np.ndarray | bool, short: np.ndarray | int = 0,
) -> list[float]:
    """The hybrid score of each pair, rounded: similarity, the share of the posting's skills the person has, and
    closeness (remote: 1; distance unknown, NaN: UNKNOWN_DISTANCE_CLOSENESS; within a travel distance `reach`: the
    share of it left; without one: 1 / (1 + km / 10)), less the levels the person is `short` of what the posting
    asks for first. Over a whole pool at once: scored one pair at a time, the pool of 100 took more than a quarter
    of a match request."""
    reach = np.nan if reach is None else reach
    with np.errstate(divide="ignore", invalid="ignore"):
        near = np.where(np.asarray(reach) > 0, np.maximum(0.0, 1.0 - distance / reach), 1.0 / (1.0 + distance / 10.0))
    closeness = np.where(remote, 1.0, np.where(np.isnan(distance), UNKNOWN_DISTANCE_CLOSENESS, near))
    totals = weights.similarity * similarity + weights.skills * overlap + weights.distance * closeness
    totals = totals - weights.level * np.minimum(short, LEVELS_COUNTED)
    return [round(total, 4) for total in totals.tolist()]


def measure(
    opportunity: OpportunityFacts,
    person: PersonFacts | None,
    similarity: float,
    weights: Weights,
    *,
    origin: Origin = None,
    query_text: str | None = None,
    concepts: Concepts | None = None,
    skills_by_meaning: bool = False,
    score: float | None = None,
) -> Measured:
    """The hybrid score of one pair (or `score`, already worked out with its pool) and its parts. Skills count in
    the score as the same words, or, with concepts and weights.concept_skills, by meaning; `skills_by_meaning`
    compares them by meaning for the reasons alone (only the k explained pairs: comparing by meaning may embed
    phrases not seen before)."""
    by_meaning = concepts is not None and (weights.concept_skills or skills_by_meaning)
    matched, skill_matches = skills_met(opportunity, person, concepts=concepts if by_meaning else None,
                                        query_words=normalised(query_text) if query_text else None)
    missing = [skill for skill in opportunity.skills if skill not in matched]
    home = person_origin(person) or origin
    distance = None if home is None else distance_between(home[0], home[1], opportunity.latitude, opportunity.longitude)
    reach = person.max_travel_km if person is not None else None
    if score is None:
        counted = matched
        if skill_matches and not weights.concept_skills:
            counted = opportunity.skills_within(person.skill_keys if person is not None else ())
        [score] = hybrid_scores(weights, np.array([similarity]), np.array([skill_overlap(counted, opportunity)]),
                                np.array([np.nan if distance is None else distance]), reach, opportunity.remote,
                                levels_short(opportunity, person))
    return Measured(score, matched, missing, distance, home, reach, skill_matches)


def explain(
    opportunity: OpportunityFacts,
    person: PersonFacts | None,
    similarity: float,
    weights: Weights,
    *,
    today: dt.date,
    origin: Origin = None,
    query_text: str | None = None,
    for_adviser_about_person: bool = False,
    score: float | None = None,
    concepts: Concepts | None = None,
) -> tuple[float, Explanation]:
    """The hybrid score of one pair (or `score`, already worked out with its pool) and why. With concepts, the
    reasons compare a person's skills by meaning, whether or not the score does."""
    m = measure(opportunity, person, similarity, weights, origin=origin, query_text=query_text, concepts=concepts,
                skills_by_meaning=person is not None, score=score)
    matched, distance, reach = m.matched, m.distance, m.reach
    interests = fitting_interests(person.interests, opportunity, concepts) if person is not None else []
    # Reasons are what speaks for the match; the skills still to learn are `missing_skills`, apart.
    reasons: list[str] = []
    if matched:
        reasons.append(f"has {len(matched)} of the {len(opportunity.skills)} skills it asks for: "
                       f"{', '.join(skill_in_words(skill, m.skill_matches) for skill in matched)}")
    if interests:
        reasons.append(f"interested in {', '.join(interests)}")

    if opportunity.remote:
        reasons.append("remote: no travel needed")
    elif distance is None:
        if m.home is None and person is not None:
            reasons.append("distance unknown: postcode district not located")
    else:
        within = f" (travels up to {reach:g} km)" if reach else ""
        reasons.append(f"{distance:.0f} km away{within}")

    label = OPPORTUNITY_TYPE_NAMES.get(opportunity.type, opportunity.type)
    fit = level_fit(opportunity, person)
    if person is not None:
        if opportunity.requires_universal_credit and person.on_universal_credit:
            reasons.append(f"{label[:1].upper()}{label[1:]}: eligible, on Universal Credit")
        if opportunity.min_age is not None or opportunity.max_age is not None:
            age = age_on(person.date_of_birth, opportunity.start_date)
            bounds = f"{opportunity.min_age or 0}-{opportunity.max_age}" if opportunity.max_age is not None else (
                f"{opportunity.min_age}+"
            )
            reasons.append(f"age {age} at start, within {bounds}")
        if opportunity.type in person.preferred_types:
            reasons.append(f"wants: {label.lower()}")
        if fit is not None and fit.step_up and not fit.short:
            reasons.append(f"level {fit.posting_level}: has level {fit.highest_recorded}, "
                           f"it usually asks for level {fit.asked_first} first")
        if for_adviser_about_person:
            groups = [group.replace("_", " ") for group in person.priority_groups]
            if groups:
                reasons.append(f"priority group: {', '.join(groups)}")
    days_left = (opportunity.closing_date - today).days
    if 0 <= days_left <= 7:
        reasons.append(f"closes in {days_left} day{'s' if days_left != 1 else ''}")

    explanation = Explanation(
        matched_skills=matched,
        missing_skills=m.missing,
        distance_km=None if distance is None else round(distance, 1),
        reasons=reasons,
        matched_interests=interests,
        skill_matches=list(m.skill_matches),
        level_fit=fit,
    )
    return m.score, explanation


def skill_in_words(skill: str, matches: Iterable[SkillMatch]) -> str:
    """A matched skill as a reason names it: 'childcare (listed as “caring for children”)' when the person's own
    words differ from the posting's."""
    for match in matches:
        if match.skill == skill and normalised(match.own_words) != normalised(skill):
            return f"{skill} (listed as “{match.own_words}”)"
    return skill


def rerank(
    catalogue: Catalogue[F],
    query: np.ndarray,
    mask: np.ndarray,
    *,
    k: int,
    pool: int,
    scores: Callable[[list[F], np.ndarray, np.ndarray], list[float]],
    words: Callable[[F, float, float], Explanation],
    crowding: Callable[[F], float] | None = None,
) -> list[Ranked]:
    """Retrieve a pool of eligible rows by similarity, re-rank them by the hybrid score (ties: the less crowded
    first), keep k; only those k are explained in words. `scores` gets the pool's facts, rows and similarities."""
    rows, sims = catalogue.index.search(query, max(pool, k), allowed=mask)
    found = [(i, facts) for i, row in enumerate(rows.tolist()) if (facts := catalogue.at(row)) is not None]
    kept = np.array([i for i, _ in found], dtype=np.int64)
    members = [facts for _, facts in found]
    similarity = sims[kept].astype(np.float64)
    totals = scores(members, rows[kept], similarity)
    crowded = [crowding(facts) for facts in members] if crowding is not None else [0.0] * len(members)
    order = sorted(range(len(members)), key=lambda i: (-totals[i], crowded[i]))[:k]
    return [Ranked(members[i].key, totals[i], words(members[i], float(similarity[i]), totals[i]),
                   round(float(similarity[i]), 4)) for i in order]


def referrals_per_place(state: MatchingState, opportunity: OpportunityFacts) -> float:
    """Open referrals for each place still left (a filled-up posting is not offered at all)."""
    referred = state.open_referrals.get(opportunity.opportunity_id, 0)
    if not referred:
        return 0.0
    row = state.opportunities.row_of(opportunity.opportunity_id)
    left = int(state.opportunities.column("positions_left")[row]) if row is not None else 0
    return referred / max(1, left)


def rank_opportunities(
    state: MatchingState,
    query: np.ndarray,
    mask: np.ndarray,
    *,
    person: PersonFacts | None,
    k: int,
    pool: int,
    weights: Weights,
    today: dt.date,
    origin: Origin = None,
    query_text: str | None = None,
) -> list[Ranked]:
    """Eligible opportunities for a person (or a free-text query), best first."""

    concepts = state.concepts
    home = person_origin(person) or origin
    counted_by_meaning = concepts if weights.concept_skills else None
    query_words = normalised(query_text) if query_text else None

    def crowding(facts: OpportunityFacts) -> float:
        return referrals_per_place(state, facts)

    def scores(members: list[OpportunityFacts], rows: np.ndarray, similarity: np.ndarray) -> list[float]:
        col = state.opportunities.column
        overlap = np.array([
            skill_overlap(skills_met(facts, person, concepts=counted_by_meaning, query_words=query_words)[0], facts)
            for facts in members
        ])
        distance = (np.full(len(members), np.nan) if home is None
                    else haversine_km(col("lat")[rows], col("lon")[rows], *home))
        short = np.array([levels_short(facts, person) for facts in members]) if person is not None else 0
        totals = hybrid_scores(weights, similarity, overlap, distance, person.max_travel_km if person else None,
                               col("remote")[rows], short)
        titles = [facts.title for facts in members]
        if weights.title and concepts is not None and members:
            near = (concepts.vectors(titles) @ query).tolist()
            totals = [round(total + weights.title * n, 4) for total, n in zip(totals, near, strict=True)]
        if weights.occupation and concepts is not None and person is not None and members:
            near = (concepts.occupation_vectors(titles) @ query).tolist()
            totals = [round(total + weights.occupation * n, 4) for total, n in zip(totals, near, strict=True)]
        if weights.capacity:
            totals = [round(total - weights.capacity * min(1.0, crowding(facts) / CROWDED), 4)
                      if state.open_referrals.get(facts.opportunity_id) else total
                      for total, facts in zip(totals, members, strict=True)]
        return totals

    def words(facts: OpportunityFacts, sim: float, score: float) -> Explanation:
        return explain(facts, person, sim, weights, today=today, origin=origin, query_text=query_text, score=score,
                       concepts=concepts)[1]

    return rerank(state.opportunities, query, mask, k=k, pool=pool, scores=scores, words=words, crowding=crowding)


def rank_candidates(
    state: MatchingState,
    query: np.ndarray,
    mask: np.ndarray,
    *,
    opportunity: OpportunityFacts,
    k: int,
    pool: int,
    weights: Weights,
    today: dt.date,
    explained: bool = True,
) -> list[Ranked]:
    """Eligible young people for an opportunity, best first, with reasons an adviser may read (none when not
    `explained`: the same order, without the cost of the words)."""

    concepts = state.concepts
    counted_by_meaning = concepts if weights.concept_skills else None

    def scores(members: list[PersonFacts], rows: np.ndarray, similarity: np.ndarray) -> list[float]:
        col = state.profiles.column
        overlap = np.array([skill_overlap(skills_met(opportunity, person, concepts=counted_by_meaning)[0], opportunity)
                            for person in members])
        distance = haversine_km(col("lat")[rows], col("lon")[rows], opportunity.latitude, opportunity.longitude)
        short = np.array([levels_short(opportunity, person) for person in members])
        return hybrid_scores(weights, similarity, overlap, distance, col("max_travel")[rows], opportunity.remote,
                             short)

    def words(person: PersonFacts, sim: float, score: float) -> Explanation:
        if not explained:
            return Explanation()
        return explain(opportunity, person, sim, weights, today=today, for_adviser_about_person=True, score=score,
                       concepts=concepts)[1]

    return rerank(state.profiles, query, mask, k=k, pool=pool, scores=scores, words=words)


def rank_people_by_text(
    state: MatchingState, query: np.ndarray, mask: np.ndarray, *, k: int, origin: Origin, query_text: str
) -> list[Ranked]:
    """Free-text exploration of young people: similarity, with the skills the text names."""
    rows, sims = state.profiles.index.search(query, k, allowed=mask)
    text = normalised(query_text)
    ranked: list[Ranked] = []
    for row, sim in zip(rows.tolist(), sims.tolist(), strict=True):
        person = state.profiles.at(row)
        if person is None:
            continue
        matched = person.skills_within(text)
        distance = None if origin is None else distance_between(origin[0], origin[1], person.latitude, person.longitude)
        reasons = [f"the search names their skills: {', '.join(matched)}"] if matched else []
        if distance is not None:
            reasons.append(f"{distance:.0f} km away")
        why = Explanation(matched, [], None if distance is None else round(distance, 1), reasons)
        ranked.append(Ranked(person.profile_id, round(float(sim), 4), why))
    return ranked


def people_text_mask(state: MatchingState, filters: Filters, origin: Origin) -> np.ndarray:
    """Young people who are looking, passing the filters that apply to people."""
    if filters.sector is not None:
        raise RuleViolation("filters.sector", "not_applicable", "sector filters opportunities, not young people")
    if filters.remote is not None:
        raise RuleViolation("filters.remote", "not_applicable", "remote filters opportunities, not young people")
    col = state.profiles.column
    mask = col("looking").copy()
    if filters.type is not None:
        bit = 1 << TYPE_CODE.get(filters.type, 15)
        preferred = col("preferred").astype(np.int32)
        mask &= (preferred == 0) | ((preferred & bit) != 0)
    if filters.max_distance_km is not None:
        if origin is None:
            raise RuleViolation(
                "filters.max_distance_km", "origin_required", "max_distance_km needs a postcode to measure from"
            )
        mask &= haversine_km(col("lat"), col("lon"), *origin) <= filters.max_distance_km
    return mask
