"""The browse search benchmark (`youth-guarantee bench --search`): everyday queries with judged relevant postings
(benchmarks/data/search_judgements.toml, judged by occupation) over postings the seed's own planner writes from
ESCO occupations, published through the opportunities service's use cases into a fresh database. It prints
recall@10 and nDCG@10 of the old substring search (every word a substring of title, description or skills,
newest first, as browse did before) beside the new one (ranked full-text search, alone and fused with the
matcher's semantic search, run in-process on the real model), in one run, with median latencies."""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import time
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, and_, cast, event, func, or_, select
from sqlalchemy.orm import Session

from infra.seed.context import seed_engine, weighted_choice
from infra.seed.employers import employer_payloads
from infra.seed.occupations import Occupation, occupations_by_sector
from infra.seed.postings import TYPE_MIX, plan_opportunity
from services.common.auth import Principal, Role
from services.common.db import make_session_factory, run_migrations
from services.common.minimum_wage import DEFAULT_TABLE
from services.matching import service as matching_service
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.ingest import Ingestor
from services.matching.runtime import new_state
from services.matching.schemas import SearchFilters, SearchRequest
from services.matching.state import MatchingState
from services.messaging.contract import EventEnvelope
from services.messaging.sealing import InMemoryKeyRing
from services.messaging.vocabulary import SECTORS
from services.opportunities.browse import browse_opportunities
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.employers import register_employer
from services.opportunities.lifecycle import create_opportunity, publish_opportunity
from services.opportunities.main import MIGRATIONS
from services.opportunities.models import Opportunity, OutboxRecord
from services.opportunities.schemas import BrowseQuery
from services.opportunities.semantic import SemanticHit, SemanticQuery

JUDGEMENTS = "data/search_judgements.toml"
TOP = 10
ENGINEERING = "engineering_manufacturing"
# Postings per occupation outside engineering (1 or 2), and how many of engineering's 500 others are posted.
SECOND_POSTING_SHARE = 0.5
ENGINEERING_OTHERS = 150
EMPLOYERS_PER_SECTOR = 3


@dataclass(frozen=True)
class Query:
    text: str
    relevant: frozenset[str]


@dataclass
class Judgements:
    queries: list[Query]
    tuning: list[str]


def load_judgements() -> Judgements:
    """The judged queries (each with the occupation titles relevant to it) and the queries kept for tuning."""
    data = tomllib.loads(resources.files("benchmarks").joinpath(JUDGEMENTS).read_text())
    known = {occupation.title for items in occupations_by_sector().values() for occupation in items}
    queries = []
    for entry in data["query"]:
        unknown = sorted(set(entry["relevant"]) - known)
        if unknown:
            raise ValueError(f"{JUDGEMENTS}: {entry['text']!r} names occupations the seed never posts: {unknown}")
        queries.append(Query(entry["text"], frozenset(entry["relevant"])))
    return Judgements(queries=queries, tuning=list(data["tuning_queries"]))


@dataclass
class Corpus:
    """The postings written, each with the occupation it was written from."""

    session: Session
    engine: Engine
    today: dt.date
    occupation_of: dict[uuid.UUID, str] = field(default_factory=dict)


def _to_post(judged: set[str], rng: random.Random) -> list[tuple[str, Occupation]]:
    """(sector, occupation) for every posting: each occupation outside engineering once or twice, engineering's
    judged ones once and some of its others, so every judged occupation is posted among plenty that are not."""
    chosen: list[tuple[str, Occupation]] = []
    for sector, occupations in occupations_by_sector().items():
        for occupation in occupations:
            if sector != ENGINEERING:
                chosen.extend([(sector, occupation)] * (2 if rng.random() < SECOND_POSTING_SHARE else 1))
            elif occupation.title in judged:
                chosen.append((sector, occupation))
        if sector == ENGINEERING:
            others = [occupation for occupation in occupations if occupation.title not in judged]
            chosen.extend((sector, occupation) for occupation in rng.sample(others, ENGINEERING_OTHERS))
    rng.shuffle(chosen)
    return chosen


def write_corpus(url: str, judgements: Judgements, *, seed: int, say: Callable[[str], None]) -> Corpus:
    """A fresh database of live postings, written and published through the service's own use cases."""
    run_migrations(url, MIGRATIONS)
    engine = seed_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=OFF"))
    session = make_session_factory(engine)()
    rng = random.Random(seed)
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    adviser = Principal(Role.ADVISER, "bench")
    settings = OpportunitiesSettings()
    sectors = list(occupations_by_sector())
    employers: dict[str, list[tuple[uuid.UUID, Any]]] = {sector: [] for sector in sectors}
    for payload in employer_payloads(rng, EMPLOYERS_PER_SECTOR * len(SECTORS)):
        if payload.sector in employers:
            made = register_employer(session=session, data=payload, principal=adviser, now=now)
            employers[payload.sector].append((made.id, payload))
    corpus = Corpus(session=session, engine=engine, today=now.date())
    judged = {title for query in judgements.queries for title in query.relevant}
    to_post = _to_post(judged, rng)
    say(f"writing {len(to_post)} postings from {len({o.title for _, o in to_post})} ESCO occupations ...")
    for sector, occupation in to_post:
        employer_id, employer = rng.choice(employers[sector])
        published_at = now - dt.timedelta(days=rng.uniform(0, 28))
        planned = plan_opportunity(rng, employer_id, employer, weighted_choice(rng, TYPE_MIX), published_at,
                                   {sector: (occupation,)}, closes_after=now.date())
        if planned is None:
            continue
        draft = create_opportunity(session=session, data=planned.data, principal=adviser, now=planned.created_at)
        publish_opportunity(session=session, opportunity_id=draft.id, principal=adviser, settings=settings,
                            now=planned.published_at, rates=DEFAULT_TABLE)
        corpus.occupation_of[draft.id] = occupation.title
    return corpus


def old_substring_search(session: Session, today: dt.date, text: str, limit: int) -> list[uuid.UUID]:
    """Browse's search before full-text search: every word a substring of title, description or skills (so "car"
    finds "care"), newest first."""
    clauses = []
    for word in text.lower().split():
        pattern = f"%{word}%"
        clauses.append(
            or_(
                func.lower(Opportunity.title).like(pattern),
                func.lower(Opportunity.description).like(pattern),
                func.lower(cast(Opportunity.skills, String)).like(pattern),
            )
        )
    query = (
        select(Opportunity.id)
        .where(Opportunity.status == "live", Opportunity.closing_date >= today, and_(*clauses))
        .order_by(Opportunity.published_at.desc(), Opportunity.id)
        .limit(limit)
    )
    return list(session.scalars(query))


class InProcessSemantic:
    """The matcher's free-text search on an in-memory state, as the opportunities service would get it over HTTP."""

    def __init__(self, state: MatchingState, embedder: Embedder, today: dt.date) -> None:
        self.state = state
        self.embedder = embedder
        self.today = today
        self.settings = MatchingSettings()

    def search(self, query: SemanticQuery, *, k: int) -> list[SemanticHit] | None:
        filters = SearchFilters(type=query.type, sector=query.sector)  # type: ignore[arg-type]
        request = SearchRequest(text=query.text, k=k, target="opportunities", filters=filters)
        found = matching_service.search(
            state=self.state, embedder=self.embedder, settings=self.settings,
            principal=Principal(Role.SERVICE, "bench"), request=request, today=self.today,
        )
        return [SemanticHit(m.opportunity_id, m.similarity or 0.0) for m in found.matches]  # type: ignore[union-attr]


def index_corpus(corpus: Corpus, embedder: Embedder) -> MatchingState:
    """The matcher's view of the postings, built from the service's own outbox events."""
    state = new_state(MatchingSettings(), embedder.dim)
    envelopes = corpus.session.scalars(select(OutboxRecord.envelope).order_by(OutboxRecord.id)).all()
    events = [EventEnvelope.model_validate(envelope) for envelope in envelopes]
    Ingestor(state, embedder, InMemoryKeyRing()).apply(events)  # opportunity events name no person: no keys
    return state


def recall_at(found: Sequence[bool], relevant: int) -> float:
    """Relevant postings in the top 10, out of as many as could be there (at most 10)."""
    return sum(found[:TOP]) / min(TOP, relevant) if relevant else 0.0


def ndcg_at(found: Sequence[bool], relevant: int) -> float:
    """Binary nDCG@10."""
    dcg = sum(1.0 / math.log2(rank + 2) for rank, hit in enumerate(found[:TOP]) if hit)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(TOP, relevant)))
    return dcg / ideal if ideal else 0.0


@dataclass
class Scored:
    recall: list[float] = field(default_factory=list)
    ndcg: list[float] = field(default_factory=list)
    empty: int = 0
    milliseconds: list[float] = field(default_factory=list)
    per_query: dict[str, tuple[float, float]] = field(default_factory=dict)


Searcher = Callable[[str], list[uuid.UUID]]


def score(corpus: Corpus, queries: list[Query], searcher: Searcher) -> Scored:
    scored = Scored()
    for query in queries:
        relevant = sum(1 for title in corpus.occupation_of.values() if title in query.relevant)
        started = time.perf_counter()
        ids = searcher(query.text)
        scored.milliseconds.append((time.perf_counter() - started) * 1000)
        found = [corpus.occupation_of.get(key) in query.relevant for key in ids]
        scored.recall.append(recall_at(found, relevant))
        scored.ndcg.append(ndcg_at(found, relevant))
        scored.empty += not ids
        scored.per_query[query.text] = (scored.recall[-1], scored.ndcg[-1])
    return scored


def searchers(corpus: Corpus, semantic: InProcessSemantic, settings: OpportunitiesSettings) -> dict[str, Searcher]:
    def browse(text: str, with_meaning: bool) -> list[uuid.UUID]:
        page = browse_opportunities(session=corpus.session, today=corpus.today, query=BrowseQuery(q=text, limit=TOP),
                                    semantic=semantic if with_meaning else None, settings=settings)
        return [item.id for item in page.items]

    def meaning_only(text: str) -> list[uuid.UUID]:
        hits = semantic.search(SemanticQuery(text=text), k=TOP) or []
        return [hit.opportunity_id for hit in hits if hit.similarity >= settings.semantic_min_similarity]

    return {
        "old: substring, newest first": lambda text: old_substring_search(corpus.session, corpus.today, text, TOP),
        "new: words only (full-text, ranked)": lambda text: browse(text, False),
        "new: meaning only (matcher)": meaning_only,
        "new: words + meaning (fused), the default": lambda text: browse(text, True),
    }


def run(*, embedder: Embedder, database_url: str | None, seed: int, say: Callable[[str], None],
        tmp: Path) -> dict[str, Any]:
    """Write the postings, index them, score every searcher on the judged queries; the figures as a dict."""
    judgements = load_judgements()
    url = database_url or f"sqlite:///{tmp / 'search-bench.db'}"
    corpus = write_corpus(url, judgements, seed=seed, say=say)
    try:
        say(f"embedding {len(corpus.occupation_of)} postings for the matcher ...")
        state = index_corpus(corpus, embedder)
        settings = OpportunitiesSettings()
        semantic = InProcessSemantic(state, embedder, corpus.today)
        queries = [q for q in judgements.queries if any(t in q.relevant for t in corpus.occupation_of.values())]
        results = {name: score(corpus, queries, searcher) for name, searcher in searchers(corpus, semantic,
                                                                                         settings).items()}
        return {
            "backend": corpus.engine.dialect.name,
            "postings": len(corpus.occupation_of),
            "occupations": len(set(corpus.occupation_of.values())),
            "queries": len(queries),
            "threshold": settings.semantic_min_similarity,
            "results": {
                name: {
                    "recall_at_10": statistics.fmean(s.recall),
                    "ndcg_at_10": statistics.fmean(s.ndcg),
                    "no_results": s.empty,
                    "median_ms": statistics.median(s.milliseconds),
                    "per_query": s.per_query,
                }
                for name, s in results.items()
            },
        }
    finally:
        corpus.session.close()
        corpus.engine.dispose()


def tuning_view(*, embedder: Embedder, seed: int, tmp: Path, say: Callable[[str], None]) -> None:
    """For choosing the fusion threshold: the tuning queries' semantic hits with their similarity and title."""
    judgements = load_judgements()
    corpus = write_corpus(f"sqlite:///{tmp / 'search-tuning.db'}", judgements, seed=seed, say=say)
    semantic = InProcessSemantic(index_corpus(corpus, embedder), embedder, corpus.today)
    for text in judgements.tuning:
        say(f"\n{text}")
        for hit in semantic.search(SemanticQuery(text=text), k=15) or []:
            say(f"  {hit.similarity:.3f}  {corpus.occupation_of[hit.opportunity_id]}")
    corpus.session.close()
    corpus.engine.dispose()


def table(figures: dict[str, Any]) -> str:
    lines = [
        f"Browse search: {figures['queries']} everyday queries with judged relevant postings, "
        f"{figures['postings']} live postings from {figures['occupations']} ESCO occupations ({figures['backend']}); "
        f"fusion keeps meaning-based hits with similarity >= {figures['threshold']:g}",
        "",
        f"| {'search':<44} | recall@10 | nDCG@10 | no results | median ms |",
        f"| {'-' * 44} | --------- | ------- | ---------- | --------- |",
    ]
    results = figures["results"]
    for name, row in results.items():
        lines.append(
            f"| {name:<44} | {row['recall_at_10']:9.3f} | {row['ndcg_at_10']:7.3f} | "
            f"{row['no_results']:>4} of {figures['queries']:<3} | {row['median_ms']:9.1f} |"
        )
    old, new = results["old: substring, newest first"], results["new: words + meaning (fused), the default"]
    lines += ["", "per query, recall@10 / nDCG@10: old -> new (fused)"]
    for text, (recall, ndcg) in new["per_query"].items():
        old_recall, old_ndcg = old["per_query"][text]
        lines.append(f"  {text:<26} {old_recall:.2f} / {old_ndcg:.2f}  ->  {recall:.2f} / {ndcg:.2f}")
    return "\n".join(lines)
