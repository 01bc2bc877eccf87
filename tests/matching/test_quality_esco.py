"""Quality on real data: 300 ESCO occupations posted as opportunities (title and description); for 100 of them
a young person whose interests are one of the occupation's other titles. The service's hybrid ranking must put
the occupation in the top 5 for at least 80 of 100, and beat plain BM25 (rank-bm25) on the same cases."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid

import numpy as np
from rank_bm25 import BM25Okapi

from services.common.auth import Principal, Role
from services.matching import esco, service
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.ingest import Ingestor
from services.matching.ranking import Filters
from services.matching.runtime import new_state
from tests.matching.helpers import person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_event

TOP = 5


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _in_top(scores: np.ndarray, target: int) -> bool:
    """Ties count against the target: it is in the top 5 only if fewer than 5 others score as high."""
    return int(np.sum(scores >= scores[target])) - 1 < TOP


def test_esco_titles_find_their_occupation_and_beat_bm25(embedder: Embedder) -> None:
    rng = random.Random(20240601)
    pool = [occupation for occupation in esco.occupations() if occupation.other_titles]
    posted = rng.sample(pool, 300)
    cases = [(i, rng.choice(posted[i].other_titles)) for i in rng.sample(range(300), 100)]

    settings = MatchingSettings()
    state = new_state(settings, embedder.dim)
    ingest = Ingestor(state, embedder, KEYS)
    opportunities = [
        opportunity_snapshot(title=occ.title, description=occ.description, skills=[], sector="various",
                             type="job", min_age=None, max_age=None, positions=5)
        for occ in posted
    ]
    people = [person(interests=[title], skills=[], about="", qualifications=[], preferred_types=[])
              for _, title in cases]
    ingest.apply([opportunity_event(o) for o in opportunities] + [profile_event(p) for p in people])
    assert len(state.opportunities.index) == 300 and len(state.profiles) >= 100

    hybrid_hits = 0
    for (target, _title), young in zip(cases, people, strict=True):
        result = service.matches_for_profile(
            state=state, settings=settings, principal=Principal(Role.ADVISER, "quality"),
            profile_id=young.profile_id, k=TOP, filters=Filters(), today=dt.date.today(),
        )
        found = [match.opportunity_id for match in result.matches]
        hybrid_hits += opportunities[target].opportunity_id in found

    bm25 = BM25Okapi([_tokens(f"{occ.title} {occ.description}") for occ in posted])
    bm25_hits = sum(_in_top(np.asarray(bm25.get_scores(_tokens(title))), target) for target, title in cases)

    print(f"\nESCO quality, top-{TOP} of 300 over 100 cases: hybrid {hybrid_hits}%, BM25 {bm25_hits}%")
    assert hybrid_hits >= 80
    assert hybrid_hits > bm25_hits
    assert uuid.UUID(str(opportunities[0].opportunity_id))
