"""Matching use cases: eligible opportunities for a young person, candidates for an opportunity, free-text search."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import structlog

from services.common.auth import Principal, Role
from services.common.errors import Forbidden, NotFound, RuleViolation
from services.common.postcodes import InvalidPostcode, locate
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.facts import OpportunityFacts, PersonFacts
from services.matching.oversight import SuggestionLog, candidates_served, suggestions_served
from services.matching.ranking import (
    Filters,
    Origin,
    Ranked,
    Weights,
    candidate_mask,
    is_open,
    opportunity_mask,
    people_text_mask,
    person_origin,
    rank_candidates,
    rank_opportunities,
    rank_people_by_text,
    wider_radii,
)
from services.matching.schemas import (
    CandidateList,
    CandidateLists,
    CandidateMatch,
    EligibleFor,
    Explanation,
    OpportunityCandidates,
    OpportunityMatch,
    OpportunitySummary,
    ProfileMatches,
    SearchMatch,
    SearchRequest,
    SearchResults,
    WiderStep,
)
from services.matching.state import MatchingState

logger = structlog.get_logger("matching.service")


def weights_of(settings: MatchingSettings) -> Weights:
    return Weights(settings.weight_similarity, settings.weight_skills, settings.weight_distance,
                   concept_skills=settings.concept_skills_in_score, capacity=settings.weight_capacity,
                   title=settings.weight_title, occupation=settings.weight_occupation, level=settings.weight_level)


def _explanation(item: Ranked) -> Explanation:
    return Explanation.model_validate(item.explanation, from_attributes=True)


def _opportunity_match(state: MatchingState, item: Ranked) -> OpportunityMatch:
    """A ranked opportunity with what a page shows of it (called under the state lock)."""
    facts = state.opportunities.get(item.key)
    summary = None
    if facts is not None:
        employer = state.employers.get(facts.employer_id) if facts.employer_id else None
        row = state.opportunities.rows[facts.opportunity_id]
        left = int(state.opportunities.column("positions_left")[row])
        summary = OpportunitySummary(
            id=facts.opportunity_id, title=facts.title, type=facts.type, level=facts.level,
            employer_id=facts.employer_id, employer_name=employer.name if employer else "",
            employer_disability_confident=bool(employer and employer.disability_confident),
            employer_living_wage_employer=bool(employer and employer.living_wage_employer),
            employer_good_employment_charter=bool(employer and employer.good_employment_charter),
            wage_per_hour=facts.wage_per_hour, hours_per_week=facts.hours_per_week,
            postcode_district=facts.postcode_district, remote=facts.remote, start_date=facts.start_date,
            closing_date=facts.closing_date, positions=facts.positions,
            positions_filled=max(0, facts.positions - left),
            requires_universal_credit=facts.requires_universal_credit, description=facts.description,
            distance_km=item.explanation.distance_km,
        )
    return OpportunityMatch(opportunity_id=item.key, score=item.score, explanation=_explanation(item),
                            opportunity=summary)


def _may_see_person(principal: Principal, profile_id: uuid.UUID) -> None:
    if principal.role is Role.YOUNG_PERSON and principal.sub != str(profile_id):
        raise Forbidden("a young person may only see their own matches")


def matches_for_profile(
    *,
    state: MatchingState,
    settings: MatchingSettings,
    principal: Principal,
    profile_id: uuid.UUID,
    k: int,
    filters: Filters,
    today: dt.date,
    log: SuggestionLog | None = None,
    now: dt.datetime | None = None,
) -> ProfileMatches:
    """Live opportunities this young person is eligible for, best first, with reasons; recorded in `log` (for the
    audit log) under the list id the answer carries."""
    _may_see_person(principal, profile_id)
    answer = _matches(state=state, settings=settings, profile_id=profile_id, k=k, filters=filters, today=today)
    if log is not None:
        subject = state.subject_of(profile_id)
        if subject is None:
            logger.warning("suggestion list not recorded: the person's subject reference is not known")
        else:
            list_id = uuid.uuid4()
            at = now or dt.datetime.now(dt.UTC)
            event = suggestions_served(answer, list_id=list_id, subject=subject, principal=principal, k=k, at=at)
            log.record(event, list_id=list_id, subject=subject)
            answer.list_id = list_id
    return answer


def _matches(
    *, state: MatchingState, settings: MatchingSettings, profile_id: uuid.UUID, k: int, filters: Filters,
    today: dt.date,
) -> ProfileMatches:
    with state.lock:
        person = state.profiles.get(profile_id)
        row = state.profiles.row_of(profile_id)
        vector = None if row is None else state.profiles.index.vector(row)
        if person is None or vector is None:
            raise NotFound("profile", profile_id)
        origin = person_origin(person)
        mask = opportunity_mask(state, person, today, filters, origin)
        ranked = rank_opportunities(
            state, vector, mask, person=person, k=k, pool=settings.rerank_pool, weights=weights_of(settings),
            today=today, origin=origin,
        )
        matches = [_opportunity_match(state, r) for r in ranked]
        if origin is None:
            return ProfileMatches(profile_id=profile_id, matches=matches)
        within = int(mask.sum())
        answer = ProfileMatches(profile_id=profile_id, matches=matches, travel_km=person.max_travel_km,
                                within_travel=within, fewer_than_k=within < k)
        if within < k:
            _widen(answer, state=state, settings=settings, person=person, vector=vector, mask=mask, k=k,
                   filters=filters, today=today)
    return answer


def _widen(answer: ProfileMatches, *, state: MatchingState, settings: MatchingSettings, person: PersonFacts,
           vector: np.ndarray, mask: np.ndarray, k: int, filters: Filters, today: dt.date) -> None:
    """Fewer than k within the travel distance: how many each wider step finds, and the best beyond the distance
    from the first step that makes k (else the widest), each marked beyond_travel (called under the state lock)."""
    origin = person_origin(person)
    chosen: tuple[float, np.ndarray] | None = None
    for radius in wider_radii(person.max_travel_km):
        wide = opportunity_mask(state, person, today, filters, origin, travel_km=radius)
        found = int(wide.sum())
        answer.wider_steps.append(WiderStep(radius_km=radius, found=found))
        if chosen is None or chosen[1].sum() < k:
            chosen = (radius, wide)
    if chosen is None:
        return
    radius, wide = chosen
    beyond = wide & ~mask
    if not beyond.any():
        return
    ranked = rank_opportunities(
        state, vector, beyond, person=person, k=k - int(mask.sum()), pool=settings.rerank_pool,
        weights=weights_of(settings), today=today, origin=origin,
    )
    answer.wider_radius_km = radius
    answer.wider_matches = [_opportunity_match(state, r).model_copy(update={"beyond_travel": True}) for r in ranked]


def candidates_for_opportunity(
    *,
    state: MatchingState,
    settings: MatchingSettings,
    opportunity_id: uuid.UUID,
    k: int,
    filters: Filters,
    today: dt.date,
    principal: Principal | None = None,
    log: SuggestionLog | None = None,
    now: dt.datetime | None = None,
) -> OpportunityCandidates:
    """Young people who are looking and eligible for this opportunity, best first, with reasons; recorded in `log`
    (for the audit log, each person by subject reference) under the list id the answer carries."""
    with state.lock:
        opportunity = state.opportunities.get(opportunity_id)
        if opportunity is None:
            raise NotFound("opportunity", opportunity_id)
        _mask, ranked = _ranked_candidates(state, settings, opportunity, k=k, filters=filters, today=today)
        subjects = {r.key: subject for r in ranked if (subject := state.subject_of(r.key)) is not None}
    answer = OpportunityCandidates(
        opportunity_id=opportunity_id,
        matches=[CandidateMatch(profile_id=r.key, score=r.score, explanation=_explanation(r)) for r in ranked],
    )
    if log is not None and principal is not None:
        list_id = uuid.uuid4()
        event = candidates_served(answer, list_id=list_id, subjects=subjects, principal=principal, k=k,
                                  at=now or dt.datetime.now(dt.UTC))
        log.record(event, list_id=list_id, subject=None)
        answer.list_id = list_id
    return answer


def _ranked_candidates(state: MatchingState, settings: MatchingSettings, opportunity: OpportunityFacts, *, k: int,
                       filters: Filters, today: dt.date, explained: bool = True) -> tuple[np.ndarray, list[Ranked]]:
    """The rows of eligible young people and the best k of them (none while the opportunity is not open); called
    under the state lock."""
    mask = candidate_mask(state, opportunity, filters)
    row = state.opportunities.row_of(opportunity.opportunity_id)
    vector = None if row is None else state.opportunities.index.vector(row)
    if vector is None or not is_open(state, opportunity, today):
        return mask, []
    return mask, rank_candidates(state, vector, mask, opportunity=opportunity, k=k, pool=settings.rerank_pool,
                                 weights=weights_of(settings), today=today, explained=explained)


def candidate_lists(*, state: MatchingState, settings: MatchingSettings, k: int, today: dt.date) -> CandidateLists:
    """Each open opportunity's candidate list (as candidates_for_opportunity ranks it) and, per person, how many of
    them they are eligible for by type: the inputs of an exposure audit, by profile id only."""
    with state.lock:
        live = [facts for facts in state.opportunities if facts.status == "live"]
    lists: list[CandidateList] = []
    eligible: dict[str, np.ndarray] = {}
    for opportunity in live:
        with state.lock:  # taken per opportunity, so matching requests are not held up behind the whole audit
            current = state.opportunities.get(opportunity.opportunity_id)
            if current is None or not is_open(state, current, today):
                continue
            mask, ranked = _ranked_candidates(state, settings, current, k=k, filters=Filters(), today=today,
                                              explained=False)  # the order only: reasons could embed new phrases
            if not ranked:  # nobody eligible, or not embedded yet: no list to audit
                continue
            counts = eligible.setdefault(current.type, np.zeros(len(mask), dtype=np.int64))
            if len(counts) < len(mask):  # people added since the count began
                counts = eligible[current.type] = np.concatenate([counts, np.zeros(len(mask) - len(counts), np.int64)])
            counts[: len(mask)] += mask
            lists.append(CandidateList(opportunity_id=current.opportunity_id, type=current.type,
                                       profile_ids=[item.key for item in ranked]))
    by_person: dict[uuid.UUID, dict[str, int]] = {}
    with state.lock:  # rows are never reused, so a row counted above is still that person (or gone)
        for kind, counts in eligible.items():
            for row in np.flatnonzero(counts).tolist():
                person = state.profiles.at(row)
                if person is not None:
                    by_person.setdefault(person.profile_id, {})[kind] = int(counts[row])
    return CandidateLists(
        k=k, lists=lists,
        eligible=[EligibleFor(profile_id=key, by_type=by_type)  # type: ignore[arg-type]
                  for key, by_type in sorted(by_person.items(), key=lambda item: str(item[0]))],
    )


def _origin_of(postcode: str | None) -> Origin:
    if postcode is None:
        return None
    try:
        location = locate(postcode)
    except InvalidPostcode as exc:
        raise RuleViolation("filters.postcode", "invalid_postcode", str(exc)) from exc
    if location is None:
        raise RuleViolation("filters.postcode", "unknown_district", f"postcode district of {postcode} is not known")
    return (location.latitude, location.longitude)


def _only(state: MatchingState, ids: list[uuid.UUID]) -> tuple[np.ndarray, list[uuid.UUID]]:
    """A mask of just these opportunities, and those of them not read yet."""
    mask = np.zeros(len(state.opportunities.facts), dtype=bool)
    missing = []
    for key in ids:
        row = state.opportunities.row_of(key)
        if row is None or state.opportunities.at(row) is None:
            missing.append(key)
        else:
            mask[row] = True
    return mask, missing


def search(
    *,
    state: MatchingState,
    embedder: Embedder,
    settings: MatchingSettings,
    principal: Principal,
    request: SearchRequest,
    today: dt.date,
) -> SearchResults:
    """Free-text search: a young person for opportunities they are eligible for, an adviser exploring either."""
    if principal.role in (Role.YOUNG_PERSON, Role.SERVICE) and request.target != "opportunities":
        raise Forbidden("only an adviser may search young people")
    if request.opportunity_ids is not None and request.target != "opportunities":
        raise RuleViolation("opportunity_ids", "opportunities_only", "opportunity_ids go with target opportunities")
    given = request.filters
    filters = Filters(type=given.type, sector=given.sector, max_distance_km=given.max_distance_km, remote=given.remote)
    origin = _origin_of(given.postcode)
    vector = embedder.embed([request.text])[0]
    with state.lock:
        if request.target == "opportunities":
            person = None
            if principal.role is Role.YOUNG_PERSON:
                try:
                    person = state.profiles.get(uuid.UUID(principal.sub))
                except ValueError:
                    person = None
            origin = origin or person_origin(person)
            k, not_indexed = request.k, list[uuid.UUID]()
            if request.opportunity_ids is not None:
                mask, not_indexed = _only(state, request.opportunity_ids)
                k = len(request.opportunity_ids)
            else:
                mask = opportunity_mask(state, person, today, filters, origin)
            ranked = rank_opportunities(
                state, vector, mask, person=person, k=k, pool=max(k, settings.rerank_pool),
                weights=weights_of(settings), today=today, origin=origin, query_text=request.text,
            )
            return SearchResults(
                target="opportunities",
                matches=[
                    SearchMatch(**dict(_opportunity_match(state, r)), similarity=r.similarity or 0.0) for r in ranked
                ],
                not_indexed=not_indexed,
            )
        mask = people_text_mask(state, filters, origin)
        ranked = rank_people_by_text(state, vector, mask, k=request.k, origin=origin, query_text=request.text)
    return SearchResults(
        target="profiles",
        matches=[CandidateMatch(profile_id=r.key, score=r.score, explanation=_explanation(r)) for r in ranked],
    )
