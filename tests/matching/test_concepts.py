"""Skills and interests compared by meaning with the real model: synonyms meet ("caring for children" and
"childcare"), unrelated words do not, each matched skill is named by a real ESCO skill beside the person's own
words, and reasons say so while the gaps stay "to learn"; a posting's title is named by its ESCO occupation, and
how near a person's words are to it counts in their ranking."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.auth import Principal, Role
from services.matching import service
from services.matching.concepts import (
    Concepts,
    EscoOccupationIndex,
    EscoSkillIndex,
    esco_skills,
    preferred_label,
)
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.esco import occupations
from services.matching.facts import OpportunityFacts, PersonFacts
from services.matching.ingest import Ingestor
from services.matching.ranking import Filters, Weights, explain, fitting_interests, measure
from services.matching.runtime import new_state
from services.matching.text import normalised
from tests.matching.helpers import person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_erased_event, profile_event

WEIGHTS = Weights(similarity=0.7, skills=0.2, distance=0.1)
# A slice of the real ESCO skills (embedding all 13,939 takes minutes here): every skill whose labels name one of
# these words, so the nearest ESCO skill is looked for among real neighbours and real distractors.
ESCO_WORDS = ("child", "cook", "wiring", "teamwork", "forklift", "first aid", "food hygiene")
# The same for ESCO occupations, by words in their titles.
OCCUPATION_WORDS = ("chef", "cook", "hairdress", "electric", "warehouse", "nurse")


@pytest.fixture(scope="module")
def concepts(embedder: Embedder) -> Concepts:
    chosen = [skill for skill in esco_skills() if any(word in skill.labels for word in ESCO_WORDS)]
    assert 50 < len(chosen) < 1000, len(chosen)
    jobs = [job for job in occupations() if any(word in job.title for word in OCCUPATION_WORDS)]
    assert 20 < len(jobs) < 500, len(jobs)
    return Concepts(embedder, EscoSkillIndex(chosen, embedder.embed([skill.labels for skill in chosen])),
                    occupations=EscoOccupationIndex(jobs, embedder.embed([job.title for job in jobs])))


@pytest.mark.parametrize(("own", "posting"), [
    ("caring for children", "childcare"),
    ("preparing food", "food preparation"),
    ("working in a team", "teamwork"),
    ("fork lift truck licence", "forklift driving"),
])
def test_synonyms_are_the_same_skill(concepts: Concepts, own: str, posting: str) -> None:
    assert concepts.same_skill(own, posting), (own, posting, concepts.similarity(own, posting))


@pytest.mark.parametrize(("own", "posting"), [
    ("cooking", "wiring"),
    ("cooking", "childcare"),
    ("customer service", "welding"),
    ("gardening", "bookkeeping"),
    ("caring for children", "animal handling"),
])
def test_unrelated_words_are_not(concepts: Concepts, own: str, posting: str) -> None:
    assert not concepts.same_skill(own, posting), (own, posting, concepts.similarity(own, posting))


def test_a_skill_met_in_other_words_is_named_by_its_esco_skill(concepts: Concepts) -> None:
    matched, missing = concepts.match_skills(["caring for children", "cooking"], ["childcare", "wiring", "cooking"])
    by_skill = {match.skill: match for match in matched}
    assert set(by_skill) == {"childcare", "cooking"} and missing == ["wiring"]
    child = by_skill["childcare"]
    assert child.own_words == "caring for children"
    assert child.esco_uri and child.esco_uri.startswith("http://data.europa.eu/esco/skill/")
    named = concepts.esco_of("childcare")
    assert named is not None and (child.esco_label, child.esco_uri) == (named.label, named.uri), child
    assert by_skill["cooking"].similarity == 1.0 and by_skill["cooking"].own_words == "cooking"


def _opportunity(**overrides: object) -> OpportunityFacts:
    return OpportunityFacts.from_snapshot(opportunity_snapshot(**overrides), 1, "hash")


NURSERY = {"title": "Nursery assistant apprentice", "sector": "education_childcare",
           "description": "Help run a busy nursery: play, meals and care for under-fives.",
           "skills": ["childcare", "safeguarding", "play activities", "first aid"]}


def test_reasons_name_the_skill_in_the_persons_words_and_gaps_are_to_learn(concepts: Concepts) -> None:
    nursery = _opportunity(**NURSERY)
    young = PersonFacts.from_snapshot(person(skills=["caring for children", "first aid certificate"],
                                             interests=["working with kids", "football"]), 1, "hash")
    _, why = explain(nursery, young, 0.5, WEIGHTS, today=dt.date.today(), concepts=concepts)
    print("\nreasons:", why.reasons, "\nto learn:", why.missing_skills)
    assert why.matched_skills == ["childcare", "first aid"]
    assert ("has 2 of the 4 skills it asks for: childcare (listed as “caring for children”), "
            "first aid (listed as “first aid certificate”)") in why.reasons
    assert why.missing_skills == ["safeguarding", "play activities"]
    assert not any("safeguarding" in reason or "play activities" in reason for reason in why.reasons)
    assert why.matched_interests == ["working with kids"]
    assert "interested in working with kids" in why.reasons
    # Without concepts only the same words count: nothing here is a reason, and every skill is to learn.
    _, words_only = explain(nursery, young, 0.5, WEIGHTS, today=dt.date.today())
    assert words_only.matched_skills == [] and len(words_only.missing_skills) == 4


def test_concepts_count_in_the_score_only_when_asked(concepts: Concepts) -> None:
    nursery = _opportunity(**NURSERY)
    young = PersonFacts.from_snapshot(person(skills=["caring for children"], interests=[]), 1, "hash")
    plain = measure(nursery, young, 0.5, WEIGHTS, concepts=concepts)
    counted = measure(nursery, young, 0.5, Weights(0.7, 0.2, 0.1, concept_skills=True), concepts=concepts)
    assert plain.matched == [] and counted.matched == ["childcare"]
    assert counted.score == pytest.approx(plain.score + 0.2 * 1 / 4, abs=1e-4)
    # The reasons compare by meaning either way; the score stays the words-only one.
    score, why = explain(nursery, young, 0.5, WEIGHTS, today=dt.date.today(), concepts=concepts)
    assert why.matched_skills == ["childcare"] and score == plain.score


def test_an_unrelated_interest_does_not_fit(concepts: Concepts) -> None:
    nursery = _opportunity(**NURSERY)
    assert fitting_interests(["motorbikes", "accounting"], nursery, concepts) == []


def test_the_esco_preferred_label_is_told_apart_from_its_alternatives() -> None:
    adult = "adult education adult learning adult apprenticeships"
    goods = "receive goods secure goods accept goods receiving goods"
    assert preferred_label(adult.split(" ")) == "adult education"
    assert preferred_label(goods.split(" ")) == "receive goods"


def test_the_phrase_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.matching import concepts as module
    from tests.matching.helpers import HashingEmbedder

    monkeypatch.setattr(module, "MAX_PHRASES", 10)
    embedder = HashingEmbedder()
    cache = Concepts(embedder)
    for n in range(25):
        vector = cache.vectors([f"skill number {n}"])[0]
        assert vector.any() and vector == pytest.approx(embedder.embed([f"skill number {n}"])[0])
    assert len(cache._vectors) <= 10


def _occupation_vector(concepts: Concepts, title: str) -> np.ndarray:
    assert concepts.occupations is not None
    return concepts.occupations.vectors[[job.title for job in concepts.occupations.rows].index(title)]


def test_a_posting_title_is_named_by_its_esco_occupation(concepts: Concepts) -> None:
    titles = ["Kick-Start placement: chef", "Hairdresser", "Grand opening this spring"]
    named = concepts.occupation_vectors(titles)
    assert named[0] == pytest.approx(_occupation_vector(concepts, "chef"))
    assert named[1] == pytest.approx(_occupation_vector(concepts, "hairdresser"))
    # No occupation is near enough: the title stands for itself.
    assert named[2] == pytest.approx(concepts.vectors([titles[2]])[0])
    assert concepts.occupation_vectors(titles[:1])[0] == pytest.approx(named[0])  # the same once remembered


def test_the_occupation_term_adds_how_near_the_persons_words_are_to_the_postings_occupation(
    embedder: Embedder, concepts: Concepts,
) -> None:
    state = new_state(MatchingSettings(), embedder.dim)
    state.concepts = concepts
    kitchen = opportunity_snapshot(title="Kick-Start placement: chef", skills=[],
                                   description="Work in the kitchen of a busy town centre restaurant.")
    salon = opportunity_snapshot(title="Hairdresser", skills=[],
                                 description="Work in a busy town centre salon.")
    young = person(skills=[], interests=[], about="I cooked breakfasts and made the lunches at my aunt's cafe.")
    Ingestor(state, embedder, KEYS).apply([opportunity_event(kitchen), opportunity_event(salon), profile_event(young)])
    vector = state.profiles.index.vector(state.profiles.rows[young.profile_id])
    assert vector is not None

    def scores(weight: float) -> dict[uuid.UUID, float]:
        settings = MatchingSettings(weight_occupation=weight)
        answer = service.matches_for_profile(state=state, settings=settings, principal=Principal(Role.ADVISER, "a"),
                                             profile_id=young.profile_id, k=10, filters=Filters(),
                                             today=dt.date.today())
        return {match.opportunity_id: match.score for match in answer.matches}

    without, weighted = scores(0.0), scores(0.3)
    for posting, occupation in ((kitchen, "chef"), (salon, "hairdresser")):
        nearness = float(_occupation_vector(concepts, occupation) @ vector)
        assert weighted[posting.opportunity_id] == pytest.approx(without[posting.opportunity_id] + 0.3 * nearness,
                                                                 abs=2e-4)
    gain = {key: weighted[key] - without[key] for key in without}
    assert gain[kitchen.opportunity_id] > gain[salon.opportunity_id], gain


def test_ingest_embeds_the_phrases_a_match_compares_so_the_request_embeds_none() -> None:
    from tests.matching.helpers import HashingEmbedder

    queries, ingest = HashingEmbedder(), HashingEmbedder()
    state = new_state(MatchingSettings(), queries.dim)
    state.concepts = Concepts(queries)
    job = opportunity_snapshot(title="Kick-Start placement: warehouse operative",
                               skills=["forklift driving", "stock rotation"])
    young = person(skills=["pallet trucks", "teamwork"], interests=["logistics"])
    Ingestor(state, ingest, KEYS).apply([opportunity_event(job), profile_event(young)])
    assert {"kick-start placement: warehouse operative", "stock rotation", "pallet trucks", "logistics"} <= set(
        ingest.texts)
    settings = MatchingSettings(weight_occupation=0.3)
    answer = service.matches_for_profile(state=state, settings=settings, principal=Principal(Role.ADVISER, "a"),
                                         profile_id=young.profile_id, k=10, filters=Filters(), today=dt.date.today())
    assert [match.opportunity_id for match in answer.matches] == [job.opportunity_id]
    candidates = service.candidates_for_opportunity(
        state=state, settings=settings, principal=Principal(Role.ADVISER, "a"), opportunity_id=job.opportunity_id,
        k=10, filters=Filters(), today=dt.date.today())
    assert [match.profile_id for match in candidates.matches] == [young.profile_id]
    assert queries.texts == [], "the requests found every title, skill and interest already embedded"


def test_an_erased_persons_own_words_are_let_go_with_them() -> None:
    from tests.matching.helpers import HashingEmbedder

    embedder = HashingEmbedder()
    state = new_state(MatchingSettings(), embedder.dim)
    state.concepts = Concepts(embedder)
    job = opportunity_snapshot(title="Care assistant", skills=["personal care"])
    young = person(skills=["personal care", "looking after my nan"], interests=["care work"])
    ingest = Ingestor(state, embedder, KEYS)
    ingest.apply([opportunity_event(job), profile_event(young)])
    assert {"looking after my nan", "care work"} <= set(state.concepts._vectors)
    ingest.apply([profile_erased_event(young.profile_id, version=2)])
    assert not {"looking after my nan", "care work", "personal care"} & set(state.concepts._vectors)
    assert "care assistant" in state.concepts._vectors  # the posting's title is no one's words


@given(st.text(alphabet=st.sampled_from(["a", "B", "é", "İ", " ", "\t", "\n", "\u00a0", "\u2003", "\x1c", "\x85", "-"]),
               max_size=20))
def test_a_phrase_is_normalised_as_runs_of_whitespace_collapsed_would_be(phrase: str) -> None:
    assert normalised(phrase) == re.sub(r"\s+", " ", phrase.strip().lower())
