"""Full-text search of opportunities, ranked and stemmed ("cars" finds "car", "care" is another word), on both
databases this service runs on: PostgreSQL's `tsvector` (a generated column with a GIN index) queried with
`websearch_to_tsquery`, and SQLite's FTS5 with the porter tokenizer (a table kept by triggers); migration 0006
makes both. Reciprocal rank fusion merges its ranking with the matcher's semantic one."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, column, false, func, literal_column, table
from sqlalchemy.orm import Session

from services.opportunities.models import Opportunity

TEXT_SEARCH_CONFIG = "english"
# Reciprocal rank fusion: each ranking adds 1 / (RRF_K + position); 60 is the constant of Cormack et al. (2009).
RRF_K = 60
# Title, skills, description: how much a word found in each counts (SQLite's bm25 weights; PostgreSQL ranks the
# same columns with its weights A, B and C).
FTS_COLUMN_WEIGHTS = (10.0, 5.0, 1.0)
# PostgreSQL's english configuration drops these; FTS5 does not, so they are dropped from SQLite queries to match.
STOP_WORDS = frozenset(
    """a about an and are as at be been but by can do does for from had has have he her his i if in into is it its
    me my no not of on or our she so than that the their them then there these they this those to too was we
    were what when where which who will with you your""".split()  # noqa: SIM905 - a word list reads better so
)
_TERM = re.compile(r'(-?)"([^"]*)"|(-?)([\w\']+)')
_WORD = re.compile(r"\w+")

FTS_TABLE = table("opportunities_fts", column("opportunity_id", Uuid))


def _postgres_vector() -> ColumnElement[Any]:
    return literal_column("opportunities.search_vector")


def _postgres_query(text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(TEXT_SEARCH_CONFIG, text)


def sqlite_match(text: str) -> str | None:
    """The websearch syntax (words, "quoted phrases", `or`, -excluded) as an FTS5 query; None if nothing is left."""
    clauses: list[str] = []
    excluded: list[str] = []
    join_or = False
    for match in _TERM.finditer(text.lower()):
        negated = bool(match.group(1) or match.group(3))
        words = _WORD.findall(match.group(2) if match.group(2) is not None else match.group(4))
        if match.group(4) == "or" and clauses:
            join_or = True
            continue
        words = [word for word in words if word not in STOP_WORDS] if match.group(2) is None else words
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        if negated:
            excluded.append(phrase)
        elif join_or:
            clauses[-1] = f"({clauses[-1]} OR {phrase})"
            join_or = False
        else:
            clauses.append(phrase)
    if not clauses:
        return None
    query = " AND ".join(clauses)
    return query + "".join(f" NOT {phrase}" for phrase in excluded)


def _sqlite_matching(match: str) -> ColumnElement[bool]:
    return literal_column("opportunities_fts").op("MATCH")(match)  # type: ignore[no-any-return]


def text_condition(session: Session, text: str) -> ColumnElement[bool]:
    """Opportunities whose title, skills or description hold every word of the text (stemmed)."""
    if session.get_bind().dialect.name == "postgresql":
        return _postgres_vector().op("@@")(_postgres_query(text))  # type: ignore[no-any-return]
    match = sqlite_match(text)
    if match is None:
        return false()
    found = FTS_TABLE.select().with_only_columns(FTS_TABLE.c.opportunity_id).where(_sqlite_matching(match))
    return Opportunity.id.in_(found)


def ranked_text_matches(session: Session, statement: Select[Any], text: str, *, limit: int) -> list[uuid.UUID]:
    """The ids of the opportunities `statement` selects whose text matches, best first (at most `limit`)."""
    if session.get_bind().dialect.name == "postgresql":
        vector, query = _postgres_vector(), _postgres_query(text)
        rank = func.ts_rank(vector, query)
        ranked = (
            statement.with_only_columns(Opportunity.id)
            .where(vector.op("@@")(query))
            .order_by(rank.desc(), Opportunity.id)
        )
    else:
        match = sqlite_match(text)
        if match is None:
            return []
        bm25 = func.bm25(literal_column("opportunities_fts"), 0.0, *FTS_COLUMN_WEIGHTS)
        ranked = (
            statement.with_only_columns(Opportunity.id)
            .join(FTS_TABLE, FTS_TABLE.c.opportunity_id == Opportunity.id)
            .where(_sqlite_matching(match))
            .order_by(bm25, Opportunity.id)
        )
    return list(session.scalars(ranked.limit(limit)))


def fuse(*rankings: Sequence[uuid.UUID]) -> dict[uuid.UUID, float]:
    """Reciprocal rank fusion: each id's score summed over the rankings it appears in."""
    scores: dict[uuid.UUID, float] = defaultdict(float)
    for ranking in rankings:
        for position, key in enumerate(ranking, start=1):
            scores[key] += 1.0 / (RRF_K + position)
    return dict(scores)


def by_score(scores: dict[uuid.UUID, float]) -> list[uuid.UUID]:
    """Ids best first (ties by id, so pages are stable)."""
    return sorted(scores, key=lambda key: (-scores[key], str(key)))
