"""The matching quality benchmark (`youth-guarantee bench --quality`): young people described four ways (duties,
everyday words, skill lists, interests; benchmarks/data/quality_people.toml) against the live postings the search
benchmark writes from ESCO occupations through the opportunities service's use cases (benchmarks/search.py: the
same corpus, the same judged occupations). Relevance is graded: 2 for a posting of an occupation judged relevant
to the person's query, 1 for another posting in the same area of work as one of those, 0 otherwise. It prints
hit@5, MAP@10 and nDCG@10 of the service's ranking beside BM25 (rank-bm25) and plain embedding similarity, all
over the same eligible postings, in one run; and how the skill-concept thresholds do on labelled phrase pairs."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
import time
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from benchmarks import search as search_bench
from infra.seed.synthetic import birth_date_for_age, profile_snapshot
from services.common.auth import Principal, Role
from services.matching import service as matching_service
from services.matching.concepts import Concepts, EscoOccupationIndex, EscoSkillIndex
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.facts import PersonFacts
from services.matching.ranking import Filters, opportunity_mask, person_origin
from services.matching.state import MatchingState, Referral
from services.matching.text import profile_text, text_hash

PEOPLE = "data/quality_people.toml"
PAIRS = "data/concept_pairs.toml"
STYLES = ("duties", "everyday", "skills", "interests")
TOP = 10
HIT_AT = 5
TITLE_WEIGHTS = (0.0, 0.2, 0.4)
# The occupation term's weights measured beside the default (0 is the service before it).
OCCUPATION_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
REACH_KM = 500.0


@dataclass(frozen=True)
class Described:
    query: str
    style: str
    facts: PersonFacts
    text: str


def load_people(judgements: search_bench.Judgements) -> list[tuple[str, dict[str, Any]]]:
    """(judged query, the four descriptions) per person; every query must be one of the judged ones."""
    data = tomllib.loads(resources.files("benchmarks").joinpath(PEOPLE).read_text())
    known = {query.text for query in judgements.queries}
    people = []
    for entry in data["person"]:
        if entry["query"] not in known:
            raise ValueError(f"{PEOPLE}: {entry['query']!r} is not a judged query in {search_bench.JUDGEMENTS}")
        people.append((entry["query"], entry))
    return people


def describe(query: str, entry: dict[str, Any], style: str, today: dt.date) -> tuple[PersonFacts, str]:
    """One person in one style: only that style's field is filled. 20 years old, on Universal Credit, living in
    the town centre and willing to travel 500 km: every posting is within reach and distance hardly moves the
    service's score (the benchmark measures what the words find)."""
    fields: dict[str, Any] = {"skills": [], "interests": [], "about": "", "qualifications": [],
                              "preferred_types": []}
    if style in ("duties", "everyday"):
        fields["about"] = entry[style]
    else:
        fields[style] = list(entry[style])
    snapshot = profile_snapshot(
        profile_id=uuid.uuid4(), date_of_birth=birth_date_for_age(20, today), max_travel_km=REACH_KM,
        on_universal_credit=True, priority_groups=[], status="neet", **fields,
    )
    text = profile_text(snapshot)
    return PersonFacts.from_snapshot(snapshot, 1, text_hash(text)), text


def grades(state: MatchingState, corpus: search_bench.Corpus, relevant: frozenset[str]) -> dict[uuid.UUID, int]:
    """2 for a posting of a judged occupation, 1 for another in the same area of work, 0 otherwise."""
    sectors = {facts.sector for key, title in corpus.occupation_of.items() if title in relevant
               and (facts := state.opportunities.get(key)) is not None}
    out = {}
    for key, title in corpus.occupation_of.items():
        facts = state.opportunities.get(key)
        out[key] = 2 if title in relevant else 1 if facts is not None and facts.sector in sectors else 0
    return out


def average_precision(found: Sequence[int], relevant: int) -> float:
    """AP@10 with grade 2 as relevant, normalised by min(relevant, 10)."""
    hits, total = 0, 0.0
    for rank, grade in enumerate(found[:TOP], 1):
        if grade == 2:
            hits += 1
            total += hits / rank
    return total / min(TOP, relevant) if relevant else 0.0


def ndcg(found: Sequence[int], all_grades: Sequence[int]) -> float:
    """nDCG@10 with gains 2^grade - 1."""
    dcg = sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(found[:TOP]))
    ideal_grades = sorted(all_grades, reverse=True)[:TOP]
    ideal = sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(ideal_grades))
    return dcg / ideal if ideal else 0.0


Ranker = Callable[[Described, np.ndarray, np.ndarray], list[uuid.UUID]]
# People by their place in quality_people.toml: weights are chosen on the even ones and checked on the odd ones.
HALVES = ("even", "odd")


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@dataclass
class Rankers:
    state: MatchingState
    embedder: Embedder
    today: dt.date
    bm25: BM25Okapi
    rows: list[uuid.UUID]  # BM25 document i is this opportunity
    settings: dict[str, MatchingSettings] = field(default_factory=dict)

    def service(self, name: str) -> Ranker:
        settings = self.settings[name]

        def rank(person: Described, vector: np.ndarray, mask: np.ndarray) -> list[uuid.UUID]:
            result = matching_service.matches_for_profile(
                state=self.state, settings=settings, principal=Principal(Role.ADVISER, "quality"),
                profile_id=person.facts.profile_id, k=TOP, filters=Filters(), today=self.today,
            )
            return [match.opportunity_id for match in result.matches]

        return rank

    def plain(self, person: Described, vector: np.ndarray, mask: np.ndarray) -> list[uuid.UUID]:
        rows, _ = self.state.opportunities.index.search(vector, TOP, allowed=mask)
        return [facts.opportunity_id for row in rows.tolist() if (facts := self.state.opportunities.at(row))]

    def bm25_rank(self, person: Described, vector: np.ndarray, mask: np.ndarray) -> list[uuid.UUID]:
        scores = np.asarray(self.bm25.get_scores(_tokens(person.text)))
        allowed = np.array([bool(mask[self.state.opportunities.rows[key]]) for key in self.rows])
        scores = np.where(allowed, scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[:TOP]
        return [self.rows[i] for i in order if np.isfinite(scores[i]) and scores[i] > 0]


def build_rankers(state: MatchingState, embedder: Embedder, today: dt.date) -> Rankers:
    keys = [facts.opportunity_id for facts in state.opportunities if facts.status == "live"]
    documents = []
    for key in keys:
        facts = state.opportunities.get(key)
        assert facts is not None
        documents.append(_tokens(" ".join([facts.title, facts.description, *facts.skills, facts.sector])))
    return Rankers(state=state, embedder=embedder, today=today, bm25=BM25Okapi(documents), rows=keys)


def pair_figures(concepts: Concepts) -> dict[str, Any]:
    """How the phrase rule does on labelled pairs, at the chosen threshold and around it."""
    data = tomllib.loads(resources.files("benchmarks").joinpath(PAIRS).read_text())
    same = [tuple(pair) for pair in data["same"]]
    different = [tuple(pair) for pair in data["different"]]
    sims_same = [concepts.similarity(a, b) for a, b in same]
    sims_different = [concepts.similarity(a, b) for a, b in different]
    by_threshold = {}
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        by_threshold[f"{threshold:.2f}"] = {
            "same_found": sum(s >= threshold for s in sims_same),
            "different_found": sum(s >= threshold for s in sims_different),
        }
    rule_same = sum(concepts.same_skill(a, b) for a, b in same)
    rule_different = sum(concepts.same_skill(a, b) for a, b in different)
    missed = [f"{a} ~ {b} ({s:.2f})" for (a, b), s in zip(same, sims_same, strict=True)
              if not concepts.same_skill(a, b)]
    wrong = [f"{a} ~ {b} ({s:.2f})" for (a, b), s in zip(different, sims_different, strict=True)
             if concepts.same_skill(a, b)]
    return {"same_pairs": len(same), "different_pairs": len(different), "threshold": concepts.same_meaning,
            "esco_same": concepts.esco_same, "by_threshold": by_threshold,
            "rule_same_found": rule_same, "rule_different_found": rule_different, "missed": missed, "wrong": wrong}


def run(*, embedder: Embedder, seed: int, say: Callable[[str], None], tmp: Path,
        cache_dir: Path | None) -> dict[str, Any]:
    """Write and index the postings, add the people, rank with every ranker; the figures as a dict."""
    judgements = search_bench.load_judgements()
    people = load_people(judgements)
    corpus = search_bench.write_corpus(f"sqlite:///{tmp / 'quality-bench.db'}", judgements, seed=seed, say=say)
    try:
        say(f"embedding {len(corpus.occupation_of)} postings for the matcher ...")
        state = search_bench.index_corpus(corpus, embedder)
        say("loading (or embedding, once) the ESCO skills ...")
        esco = EscoSkillIndex.build(embedder, cache_dir)
        base = MatchingSettings()
        say("loading (or embedding, once) the ESCO occupations ...")
        occupations = EscoOccupationIndex.build(embedder, cache_dir)
        concepts = Concepts(embedder, esco, occupations=occupations, same_meaning=base.concept_same_meaning,
                            esco_names=base.concept_esco_names, esco_same=base.concept_esco_same,
                            interest_fits=base.concept_interest_fits)
        say(f"embedding {len(people) * len(STYLES)} descriptions of {len(people)} people ...")
        described = [
            Described(query, style, *describe(query, entry, style, corpus.today))
            for query, entry in people for style in STYLES
        ]
        vectors = embedder.embed([item.text for item in described])
        for item, vector in zip(described, vectors, strict=True):
            state.put_person(item.facts, vector)
        rankers = build_rankers(state, embedder, corpus.today)
        say(f"embedding the {len({f.title for f in state.opportunities})} posting titles (once) ...")
        concepts.occupation_vectors(sorted({facts.title for facts in state.opportunities}))
        rankers.settings = {
            "service": base,
            "service, skills by concept in the score": base.model_copy(update={"concept_skills_in_score": True}),
            **{f"service, title weight {weight:g}": base.model_copy(update={"weight_title": weight})
               for weight in TITLE_WEIGHTS if weight != base.weight_title},
            **{f"service, occupation weight {weight:g}": base.model_copy(update={"weight_occupation": weight})
               for weight in OCCUPATION_WEIGHTS if weight != base.weight_occupation},
        }
        variants: dict[str, tuple[Ranker, Concepts | None]] = {
            name: (rankers.service(name), concepts) for name in rankers.settings
        }
        variants["service, no concepts (words only)"] = (rankers.service("service"), None)
        variants["plain similarity"] = (rankers.plain, None)
        variants["BM25"] = (rankers.bm25_rank, None)
        judged = {query.text: query.relevant for query in judgements.queries}
        figures: dict[str, dict[str, dict[str, float]]] = {}
        halves: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
        precisions: dict[str, dict[str, list[float]]] = {}  # per ranking and style, each person's AP@10 in order
        for name, (ranker, with_concepts) in variants.items():
            state.concepts = with_concepts
            per_style: dict[str, dict[str, list[float]]] = {style: {"hit": [], "map": [], "ndcg": [], "ms": []}
                                                             for style in STYLES}
            by_half: dict[str, dict[str, dict[str, list[float]]]] = {
                half: {style: {"hit": [], "map": [], "ndcg": []} for style in STYLES} for half in HALVES}
            for number, (item, vector) in enumerate(zip(described, vectors, strict=True)):
                graded = grades(state, corpus, judged[item.query])
                mask = opportunity_mask(state, item.facts, corpus.today, Filters(), person_origin(item.facts))
                eligible = [graded[key] for key in graded
                            if (row := state.opportunities.row_of(key)) is not None and mask[row]]
                started = time.perf_counter()
                ranked = ranker(item, vector, mask)
                elapsed = (time.perf_counter() - started) * 1000
                found = [graded.get(key, 0) for key in ranked]
                scores = per_style[item.style]
                scores["ms"].append(elapsed)
                scores["hit"].append(float(2 in found[:HIT_AT]))
                scores["map"].append(average_precision(found, sum(1 for g in eligible if g == 2)))
                scores["ndcg"].append(ndcg(found, eligible))
                half = by_half[HALVES[number // len(STYLES) % 2]][item.style]
                for metric in half:
                    half[metric].append(scores[metric][-1])
            figures[name] = {style: {metric: statistics.median(values) if metric == "ms" else statistics.fmean(values)
                                     for metric, values in scores.items()}
                             for style, scores in per_style.items()}
            precisions[name] = {style: scores["map"] for style, scores in per_style.items()}
            halves[name] = {half: {style: {metric: statistics.fmean(values) for metric, values in scores.items()}
                                   for style, scores in styles.items()}
                            for half, styles in by_half.items()}
        plain = precisions["plain similarity"]
        for name, per_style_figures in figures.items():
            for style, cells in per_style_figures.items():
                paired = list(zip(precisions[name][style], plain[style], strict=True))
                cells["better_than_plain"] = sum(ours > theirs + 1e-9 for ours, theirs in paired)
                cells["worse_than_plain"] = sum(ours < theirs - 1e-9 for ours, theirs in paired)
        state.concepts = concepts
        spread_figures = spread(state=state, rankers=rankers, described=described, vectors=vectors, corpus=corpus,
                                judged=judged, seed=seed, say=say)
        audit = exposure_audit(state=state, embedder=embedder, corpus=corpus, seed=seed, say=say)
        pairs = pair_figures(concepts)
        example = _example_reasons(state, base, described, corpus.today)
        return {
            "postings": len(corpus.occupation_of),
            "occupations": len(set(corpus.occupation_of.values())),
            "people": len(people),
            "esco_skills": len(esco.skills),
            "rankings": figures,
            "halves": halves,
            "pairs": pairs,
            "spread": spread_figures,
            "exposure": audit,
            "ranking": {"model": embedder.name, "list_length": TOP, "weight_similarity": base.weight_similarity,
                        "weight_skills": base.weight_skills, "weight_distance": base.weight_distance,
                        "weight_capacity": base.weight_capacity, "weight_title": base.weight_title,
                        "weight_occupation": base.weight_occupation, "weight_level": base.weight_level,
                        "rerank_pool": base.rerank_pool,
                        "concept_same_meaning": base.concept_same_meaning},
            "example": example,
        }
    finally:
        corpus.session.close()
        corpus.engine.dispose()


def _example_reasons(state: MatchingState, settings: MatchingSettings, described: list[Described],
                     today: dt.date) -> list[str]:
    """The service's reasons for the first person described by skills: concept matches in their own words."""
    person = next(item for item in described if item.style == "skills" and item.query == "working with kids")
    result = matching_service.matches_for_profile(
        state=state, settings=settings, principal=Principal(Role.ADVISER, "quality"),
        profile_id=person.facts.profile_id, k=3, filters=Filters(), today=today,
    )
    lines = []
    for match in result.matches:
        title = match.opportunity.title if match.opportunity else str(match.opportunity_id)
        lines.append(f"{title}: {'; '.join(match.explanation.reasons)} | to learn: "
                     f"{', '.join(match.explanation.missing_skills)}")
        for skill in match.explanation.skill_matches:
            lines.append(f"    {skill.skill!r} met by {skill.own_words!r} (ESCO: {skill.esco_label}, "
                         f"{skill.similarity:.2f})")
    return lines


def json_figures(figures: dict[str, Any], *, measured_on: dt.date) -> dict[str, Any]:
    """{"provenance": ..., "styles": {style: {hit_at_5, map_at_10, ndcg_at_10, bm25_hit_at_5, plain_hit_at_5, ...}},
    ...}: the transparency page reads the copy in docs/matching-figures.json."""
    rankings = figures["rankings"]
    styles = {}
    for style in STYLES:
        ours, bm25, plain = rankings["service"][style], rankings["BM25"][style], rankings["plain similarity"][style]
        styles[style] = {
            "hit_at_5": ours["hit"], "map_at_10": ours["map"], "ndcg_at_10": ours["ndcg"],
            "bm25_hit_at_5": bm25["hit"], "bm25_map_at_10": bm25["map"], "bm25_ndcg_at_10": bm25["ndcg"],
            "plain_hit_at_5": plain["hit"], "plain_map_at_10": plain["map"], "plain_ndcg_at_10": plain["ndcg"],
        }
    provenance = {"source": "youth-guarantee bench --quality", "measured_on": measured_on.isoformat()}
    return {"provenance": provenance, "styles": styles,
            **{key: value for key, value in figures.items() if key != "example"}}


def above(ours: dict[str, float], theirs: dict[str, float]) -> bool:
    """A higher hit@5, or the same hit@5 (at 1.000 nothing can be higher) with a higher MAP@10 and nDCG@10."""
    if ours["hit"] != theirs["hit"]:
        return ours["hit"] > theirs["hit"]
    return ours["map"] > theirs["map"] and ours["ndcg"] > theirs["ndcg"]


def _cells(row: dict[str, float]) -> str:
    return f"{row['hit']:.3f}/{row['map']:.3f}/{row['ndcg']:.3f}"


def table(figures: dict[str, Any]) -> str:
    lines = [
        f"Matching quality: {figures['people']} young people x {len(STYLES)} description styles against "
        f"{figures['postings']} live postings from {figures['occupations']} ESCO occupations; relevance graded "
        "(2 judged occupation, 1 same area of work); every ranking over the same eligible postings",
        "",
        f"| {'ranking':<42} | {'style':<9} | hit@5 | MAP@10 | nDCG@10 | median ms | AP@10 vs plain: better/worse |",
        f"| {'-' * 42} | {'-' * 9} | ----- | ------ | ------- | --------- | ---------------------------- |",
    ]
    for name, per_style in figures["rankings"].items():
        for style in STYLES:
            row = per_style[style]
            people = f"{row['better_than_plain']:g}/{row['worse_than_plain']:g}"
            lines.append(f"| {name:<42} | {style:<9} | {row['hit']:.3f} | {row['map']:6.3f} | {row['ndcg']:7.3f} | "
                         f"{row['ms']:9.1f} | {people:>28} |")
    lines += ["", "target: hit@5 >= 0.92 for duties, and the service above BM25 and plain similarity on every style "
              "(a higher hit@5, or the same hit@5 with a higher MAP@10 and nDCG@10): hit@5 / MAP@10 / nDCG@10"]
    rankings = figures["rankings"]
    for style in STYLES:
        ours = rankings["service"][style]
        bm25, plain = rankings["BM25"][style], rankings["plain similarity"][style]
        verdict = "above both" if above(ours, bm25) and above(ours, plain) else "NOT above both"
        lines.append(f"  {style:<9} service {_cells(ours)}  BM25 {_cells(bm25)}  plain {_cells(plain)}  -> {verdict}")
    duties = rankings["service"]["duties"]["hit"]
    lines.append(f"  duties hit@5 {duties:.3f} -> {'met' if duties >= 0.92 else 'NOT met'}")
    lines += ["", "By half of the people (weights chosen on the even ones, checked on the odd ones): "
              "hit@5 / MAP@10 / nDCG@10"]
    for name, by_half in figures["halves"].items():
        if name == "plain similarity" or name.startswith("service"):
            for half, per_style in by_half.items():
                cells = "  ".join(f"{style} {row['hit']:.3f}/{row['map']:.3f}/{row['ndcg']:.3f}"
                                  for style, row in per_style.items())
                lines.append(f"  {name:<42} {half:<4} {cells}")
    pairs = figures["pairs"]
    lines += [
        "",
        f"Skill concepts on labelled phrase pairs ({pairs['same_pairs']} meaning the same, {pairs['different_pairs']} "
        f"not; {figures['esco_skills']} ESCO skills):",
        "  cosine threshold: same found / different wrongly found",
    ]
    for threshold, row in pairs["by_threshold"].items():
        mark = "  <- chosen" if abs(float(threshold) - pairs["threshold"]) < 1e-9 else ""
        lines.append(f"    {threshold}: {row['same_found']}/{pairs['same_pairs']}  "
                     f"{row['different_found']}/{pairs['different_pairs']}{mark}")
    lines.append(f"  the rule (cosine >= {pairs['threshold']:.2f} or the same ESCO skill at >= "
                 f"{pairs['esco_same']:.2f}): same {pairs['rule_same_found']}/{pairs['same_pairs']}, "
                 f"different wrongly {pairs['rule_different_found']}/{pairs['different_pairs']}")
    if pairs["missed"]:
        lines.append(f"  missed: {'; '.join(pairs['missed'])}")
    if pairs["wrong"]:
        lines.append(f"  wrongly matched: {'; '.join(pairs['wrong'])}")
    lines += ["", spread_table(figures["spread"], figures["postings"])]
    lines += ["", exposure_table(figures["exposure"])]
    lines += ["", "Example: reasons for the person listing childcare skills in their own words"]
    lines += [f"  {line}" for line in figures["example"]]
    return "\n".join(lines)



CASELOAD = 400
CAPACITY_WEIGHTS = (0.0, 0.05, 0.1)


def gini(values: Sequence[float]) -> float:
    """0 when every value is equal, towards 1 when one holds everything."""
    ordered = sorted(values)
    total = sum(ordered)
    if not ordered or total == 0:
        return 0.0
    n = len(ordered)
    return sum((2 * (i + 1) - n - 1) * value for i, value in enumerate(ordered)) / (n * total)


def spread(*, state: MatchingState, rankers: Rankers, described: list[Described], vectors: np.ndarray,
           corpus: search_bench.Corpus, judged: dict[str, frozenset[str]], seed: int,
           say: Callable[[str], None]) -> dict[str, dict[str, float]]:
    """A seeded caseload of CASELOAD people (drawn from the described ones, each a new person), taken one at a time
    in the same order under each policy: each gets ten suggestions and is referred to the first. Prints how the
    referrals per place spread over the live postings, how many postings anyone was shown, and what it cost."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(described), CASELOAD).tolist()
    live = [facts for facts in state.opportunities if facts.status == "live"]
    places = {facts.opportunity_id: max(1, facts.positions - facts.positions_filled) for facts in live}
    base = rankers.settings["service"]
    policies: dict[str, Ranker] = {"plain similarity (no capacity)": rankers.plain}
    for weight in CAPACITY_WEIGHTS:
        name = f"service, capacity weight {weight:g}"
        rankers.settings[name] = base.model_copy(update={"weight_capacity": weight})
        policies[name] = rankers.service(name)
    out: dict[str, dict[str, float]] = {}
    for name, ranker in policies.items():
        say(f"spread simulation: {name} ...")
        referred: dict[uuid.UUID, int] = {}
        shown: set[uuid.UUID] = set()
        hits, relevant_referrals, made = [], 0, []
        for index in draws:
            item = described[index]
            facts = PersonFacts.from_snapshot(
                profile_snapshot(profile_id=uuid.uuid4(), date_of_birth=item.facts.date_of_birth,
                                 max_travel_km=REACH_KM, on_universal_credit=True, priority_groups=[], status="neet",
                                 skills=list(item.facts.skills), interests=list(item.facts.interests),
                                 about="", qualifications=[], preferred_types=[]),
                1, item.facts.text_hash,
            )
            state.put_person(facts, vectors[index])
            copy = Described(item.query, item.style, facts, item.text)
            mask = opportunity_mask(state, facts, corpus.today, Filters(), person_origin(facts))
            found = ranker(copy, vectors[index], mask)
            graded = grades(state, corpus, judged[item.query])
            shown.update(found)
            hits.append(float(any(graded.get(key) == 2 for key in found[:HIT_AT])))
            if found:
                first = found[0]
                referred[first] = referred.get(first, 0) + 1
                relevant_referrals += graded.get(first) == 2
                referral_id = uuid.uuid4()
                state.put_referral(referral_id, Referral(facts.profile_id, first, "referred"), 1)
                made.append((referral_id, facts.profile_id, first))
            state.profiles.delete(facts.profile_id)
        per_place = [referred.get(key, 0) / places[key] for key in places]
        out[name] = {
            "gini_referrals_per_place": gini(per_place),
            "share_with_a_suggestion": len(shown & set(places)) / len(places),
            "share_referred_to": sum(1 for key in places if referred.get(key)) / len(places),
            "most_referrals_per_place": max(per_place),
            "hit_at_5": statistics.fmean(hits),
            "relevant_referrals": relevant_referrals / max(1, len(made)),
        }
        for referral_id, profile_id, opportunity_id in made:  # withdrawn: the next policy starts afresh
            state.put_referral(referral_id, Referral(profile_id, opportunity_id, "withdrawn"), 2)
    return out


def spread_table(figures: dict[str, dict[str, float]], postings: int) -> str:
    lines = [
        f"Spread: a seeded caseload of {CASELOAD} people, each shown 10 suggestions and referred to the first, over "
        f"{postings} live postings",
        "",
        f"| {'ranking':<34} | Gini of referrals per place | postings shown to anyone | postings referred to | "
        "most per place | hit@5 | referral relevant |",
        f"| {'-' * 34} | --------------------------- | ------------------------ | -------------------- | "
        "-------------- | ----- | ----------------- |",
    ]
    for name, row in figures.items():
        lines.append(
            f"| {name:<34} | {row['gini_referrals_per_place']:27.3f} | {row['share_with_a_suggestion']:24.3f} | "
            f"{row['share_referred_to']:20.3f} | {row['most_referrals_per_place']:14.2f} | {row['hit_at_5']:.3f} | "
            f"{row['relevant_referrals']:17.3f} |"
        )
    return "\n".join(lines)


AUDIT_PEOPLE = 600
SMALL = 5  # the disclosure threshold the audit is published under (services/events/disclosure.py)


def exposure_audit(*, state: MatchingState, embedder: Embedder, corpus: search_bench.Corpus, seed: int,
                   say: Callable[[str], None], count: int = AUDIT_PEOPLE) -> dict[str, Any]:
    """The exposure audit advisers see on the dashboard (services/events/exposure.py: the same sums and the same
    disclosure control, at SMALL) over the matcher's candidate lists for every live posting (the top 10 young
    people, rank r weighing 1/log2(r + 1)), overall and per opportunity type. People are the seed's synthetic young
    people (groups drawn at the seed's shares, independent of everything else); the matcher is given only the
    groups it may hold, and the groups, SEND included, are joined afterwards, as the events service does."""
    import random

    from infra.seed.context import SeedContext
    from infra.seed.profiles import synthetic_person
    from services.common.postcodes import locate
    from services.events import exposure
    from services.events.candidates import CandidateLists
    from services.messaging.vocabulary import SHARED_PRIORITY_GROUPS

    ctx = SeedContext(now=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), rng=random.Random(seed), show_progress=False)
    people: list[PersonFacts] = []
    texts: list[str] = []
    groups: dict[uuid.UUID, list[str]] = {}
    while len(people) < count:
        created = synthetic_person(ctx, ctx.now.date() - dt.timedelta(days=ctx.rng.randint(0, 90)), with_phone=False)
        place = locate(created.postcode)
        if place is None:
            continue
        snapshot = profile_snapshot(
            profile_id=uuid.uuid4(), status="neet", date_of_birth=created.date_of_birth,
            postcode_district=place.outward_code, latitude=place.latitude, longitude=place.longitude,
            on_universal_credit=created.on_universal_credit,
            priority_groups=[g for g in created.priority_groups if g in SHARED_PRIORITY_GROUPS],
            skills=list(created.skills), interests=list(created.interests), about=created.about,
            qualifications=[],
            preferred_types=list(created.preferred_types), max_travel_km=created.max_travel_km,
        )
        text = profile_text(snapshot)
        people.append(PersonFacts.from_snapshot(snapshot, 1, text_hash(text)))
        texts.append(text)
        groups[snapshot.profile_id] = list(created.priority_groups)
    say(f"exposure audit: embedding {len(people)} synthetic young people ...")
    for facts, vector in zip(people, embedder.embed(texts), strict=True):
        state.put_person(facts, vector)
    say("exposure audit: candidate lists for every live posting ...")
    lists = matching_service.candidate_lists(state=state, settings=MatchingSettings(), k=TOP, today=corpus.today)
    for person in people:
        state.profiles.delete(person.profile_id)
    kinds = exposure.protect_exposure(exposure.tally(CandidateLists.model_validate(lists.model_dump()), groups), SMALL)
    out: dict[str, Any] = {}
    for kind in kinds:
        out[kind.type] = {}
        for row in kind.groups:
            if row.people.suppressed:
                out[kind.type][row.group] = {"suppressed": True}
            elif row.ratio.suppressed:  # a group's shares by type, withheld while one of its counts is hidden
                out[kind.type][row.group] = {"people": row.people.value, "shares_suppressed": True}
            else:
                out[kind.type][row.group] = {"people": row.people.value, "exposure_share": row.exposure_share.value,
                                             "eligible_share": row.eligible_share.value, "ratio": row.ratio.value}
    return {"people": len(people), "groups": out}


def exposure_table(audit: dict[str, Any]) -> str:
    lines = [
        f"Exposure audit: employer-side candidate lists (top {TOP}, rank r weighs 1/log2(r+1)) for every live "
        f"posting, {audit['people']} synthetic young people; figures hidden as on the dashboard (fewer than {SMALL} "
        "eligible people, or a count the others would give away)",
        "",
        "| opportunity type | group | eligible people | share of eligible | share of exposure | ratio |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind, by_group in audit["groups"].items():
        for group, row in by_group.items():
            if row.get("suppressed"):
                lines.append(f"| {kind} | {group} | hidden | - | - | - |")
            elif row.get("shares_suppressed"):
                lines.append(f"| {kind} | {group} | {row['people']:.0f} | hidden | hidden | hidden |")
            else:
                lines.append(f"| {kind} | {group} | {row['people']:.0f} | {_maybe(row['eligible_share'], 3)} | "
                             f"{_maybe(row['exposure_share'], 3)} | {_maybe(row['ratio'], 2)} |")
    return "\n".join(lines)


def _maybe(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
