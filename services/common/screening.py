"""Screening free text for special category data (UK GDPR art. 9 and 10): one rule for every service that accepts
free text. It tells a statement about a person ("I have dyslexia and ADHD", "she is on probation") from talk of
work ("I want to work in mental health support", "autism awareness training"). The words live in
data/special_category.toml; this module holds how they are read."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel

RULE: Literal["special_category"] = "special_category"
# How far a verdict may reach: words between a person and the term, and after a term for a suffix.
MAX_SUBJECT_SPAN = 8
MAX_POSSESSIVE_SPAN = 3
RIGHT_CONTEXT_WORDS = 5


class Category(StrEnum):
    HEALTH = "health"
    DISABILITY = "disability"
    ETHNICITY = "ethnicity"
    RELIGION = "religion"
    SEXUAL_ORIENTATION = "sexual_orientation"
    SEX_LIFE = "sex_life"
    GENDER_IDENTITY = "gender_identity"
    TRADE_UNION = "trade_union"
    CRIMINAL_OFFENCE = "criminal_offence"


TextKind = Literal["prose", "label"]
# A term found in a clause: its category and where it starts and ends.
Term = tuple["Category", int, int]


class ScreeningWarning(BaseModel):
    """A hit in one field: the text was kept, but apart, with the restricted data."""

    field: str
    rule: Literal["special_category"] = RULE
    message: str
    categories: list[Category]
    item: str | None = None


@dataclass(frozen=True)
class Hit:
    category: Category
    start: int
    end: int
    disclosure: bool


@dataclass(frozen=True)
class Screening:
    """What one text was found to say: every term found, and whether each is about a person."""

    text: str
    hits: tuple[Hit, ...]

    @property
    def flagged(self) -> bool:
        return any(hit.disclosure for hit in self.hits)

    @property
    def categories(self) -> list[Category]:
        return sorted({hit.category for hit in self.hits if hit.disclosure}, key=list(Category).index)


def _alternation(entries: Iterable[str]) -> str:
    return "|".join(sorted(entries, key=len, reverse=True))


def _words(entries: Iterable[str]) -> re.Pattern[str]:
    # A word may end in "'s" ("my anxiety's bad") or a plural's apostrophe ("colleagues' pronouns"), but "i" is not
    # the start of "i'm".
    return re.compile(rf"(?<![\w'])(?:{_alternation(entries)})(?!\w|'(?!s\b)\w)")


@dataclass(frozen=True)
class Lexicon:
    labels: dict[Category, str]
    terms: list[tuple[Category, re.Pattern[str], bool]]
    subjects: re.Pattern[str]
    with_verb: frozenset[str]
    possessives: re.Pattern[str]
    disclosure_verbs: re.Pattern[str]
    work_cues: re.Pattern[str]
    work_cues_but_employment: re.Pattern[str]
    occupations: re.Pattern[str]
    people: re.Pattern[str]
    helping_cues: re.Pattern[str]
    activity_suffix: re.Pattern[str]
    person_suffix: re.Pattern[str]
    membership_suffix: re.Pattern[str]
    received_suffix: re.Pattern[str]
    label_exceptions: re.Pattern[str]
    negations: re.Pattern[str]
    coordination: re.Pattern[str]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The lexicon in data/special_category.toml, compiled once."""
    raw = tomllib.loads(resources.files("services.common").joinpath("data/special_category.toml").read_text())
    context = raw["context"]
    terms: list[tuple[Category, re.Pattern[str], bool]] = []
    labels: dict[Category, str] = {}
    for name, entry in raw["categories"].items():
        category = Category(name)
        labels[category] = entry["label"]
        terms.append((category, _words(entry["terms"]), False))
        if entry["acronyms"]:
            terms.append((category, _words(entry["acronyms"]), True))
    # One word may stand between a term and its suffix ("sexual health drop-in clinic"), but not a verb, a
    # conjunction ("has an EHCP and gets support" is not "EHCP support") or a time ("since last month").
    joiners = _alternation(context["coordination"] + context["disclosure_verbs"] + context["time_words"])
    suffix_words = rf"(?:\s+(?!(?:{joiners})\b)[\w'-]+)?\s+"
    occupations = [entry for category in raw["categories"].values() for entry in category.get("occupations", [])]
    return Lexicon(
        labels=labels,
        terms=terms,
        subjects=_words(context["subjects"]),
        with_verb=frozenset(context["with_verb"]),
        possessives=_words(context["possessives"]),
        disclosure_verbs=_words(context["disclosure_verbs"]),
        work_cues=_words(context["work_cues"] + context["people"]),
        work_cues_but_employment=_words(
            [cue for cue in context["work_cues"] if cue not in context["employment_cues"]] + context["people"]
        ),
        occupations=_words(occupations or ["(?!)"]),
        people=_words(context["people"]),
        helping_cues=_words(context["helping_cues"]),
        activity_suffix=re.compile(
            rf"^{suffix_words}(?:{_alternation(context['activity_suffixes'])})\b"
            r"(?!\s+(?:appointments?|visits?|referrals?|waiting list))"
        ),
        person_suffix=re.compile(rf"^\s+(?:{_alternation(context['person_suffixes'])})\b"),
        membership_suffix=re.compile(rf"^{suffix_words}(?:{_alternation(context['membership_suffixes'])})\b"),
        received_suffix=re.compile(rf"^\s+(?:{_alternation(context['received_suffixes'])})\b"),
        label_exceptions=re.compile(_alternation(context["label_exceptions"])),
        negations=_words(context["negations"]),
        coordination=re.compile(rf"^\s*(?:(?:{_alternation(context['coordination'])})\s*)*$"),
    )


_CLAUSE_END = re.compile(r"[.!?;:\n•]|\s[-–]\s")
_WORD = re.compile(r"[\w'+/-]+")
# A term and the writer side by side: "ADHD and me".
_ME_TOO = re.compile(r"\s*(?:and|&|\+)\s+(?:me|myself)\s*$")


def _normalised(text: str) -> str:
    """Lower case with straight apostrophes, the same length as the text so offsets agree."""
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").lower()


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass(frozen=True)
class _Anchor:
    kind: Literal["subject", "possessive", "start"]
    word: str
    end: int
    has_verb: bool


def _anchor_before(clause: str, position: int, lex: Lexicon) -> _Anchor:
    """The nearest person named before `position` in the clause (or the clause start)."""
    best = _Anchor("start", "", 0, False)
    for match in lex.subjects.finditer(clause, 0, position):
        if match.end() > best.end:
            best = _Anchor("subject", match.group(0), match.end(), match.group(0) in lex.with_verb)
    for match in lex.possessives.finditer(clause, 0, position):
        if match.end() >= best.end:
            best = _Anchor("possessive", match.group(0), match.end(), False)
    return best


def _suffix(clause: str, end: int, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.match(clause[end:]))


def _left_verdict(clause: str, start: int, end: int, lex: Lexicon, kind: TextKind) -> bool:
    """Whether the person named before a term (or the clause's own verb) says the term is about them."""
    anchor = _anchor_before(clause, start, lex)
    span = clause[anchor.end : start]
    words = _word_count(span)
    cues = lex.work_cues_but_employment if lex.occupations.fullmatch(clause[start:end]) else lex.work_cues
    if cues.search(span) or lex.negations.search(span):
        return False
    if anchor.kind == "possessive":
        # The people helped, not the writer: "help young people with their mental health", "asked customers
        # for their pronouns".
        earlier = clause[: anchor.end - len(anchor.word)]
        if anchor.word == "their" and (lex.people.search(earlier) or lex.work_cues.search(earlier)):
            return False
        if anchor.word in ("his", "her") and lex.helping_cues.search(earlier):
            return False
        return words <= MAX_POSSESSIVE_SPAN
    if words > MAX_SUBJECT_SPAN:
        return False
    if anchor.kind == "subject" and (anchor.has_verb or words == 0):
        return True
    if bool(lex.disclosure_verbs.search(span) or lex.disclosure_verbs.match(clause[start:end])):
        return True
    # Notes' shorthand: a clause that opens with the term and has no work in it ("Profoundly deaf, uses BSL").
    phrase = clause.split(",", 1)[0] if start < clause.find(",") else clause
    plain = not (lex.work_cues.search(phrase) or lex.negations.search(phrase))
    return kind == "prose" and anchor.kind == "start" and words <= 1 and plain


def _right_verdict(clause: str, end: int, lex: Lexicon) -> bool:
    """A term followed by what it does to the person: "anxiety stops me", "dyslexia is something I have"."""
    after = clause[end:]
    if _ME_TOO.match(after):
        return True
    words = _WORD.findall(after)[:RIGHT_CONTEXT_WORDS]
    window = " ".join(words)
    person = re.search(r"\b(?:me|my|i|i'm|i've|myself)\b", window)
    if person is None:
        return False
    before = window[: person.start()]
    if lex.work_cues.search(before) or lex.negations.search(before):
        return False
    return bool(re.search(r"\b(?:stops?|stopped|makes?|made|affects?|affected|means|meant|holds?|held|keeps?|kept"
                          r"|causes?|caused|is something|has been|runs? in|gives?|gave)\b", before))


def _terms(text: str, folded: str, lex: Lexicon) -> list[Term]:
    """Every term in the text, in order; where terms of two categories cover the same words, both."""
    found: list[Term] = []
    for category, pattern, case_sensitive in lex.terms:
        source = text if case_sensitive else folded
        found.extend((category, m.start(), m.end()) for m in pattern.finditer(source))
    found.sort(key=lambda item: (item[1], -item[2]))
    kept: list[Term] = []
    for item in found:
        if kept and item[1] < kept[-1][2]:
            if item[0] != kept[-1][0]:
                kept.append((item[0], kept[-1][1], kept[-1][2]))
            continue
        kept.append(item)
    return kept


def _clauses(folded: str) -> list[tuple[int, int]]:
    """Where each clause (up to a full stop, semicolon, colon, new line or dash) starts and ends."""
    bounds, start = [], 0
    for match in _CLAUSE_END.finditer(folded):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(folded)))
    return [(a, b) for a, b in bounds if folded[a:b].strip()]


def _chains(clause: str, inside: list[Term], lex: Lexicon) -> list[list[Term]]:
    """Terms joined by "and", commas and the like ("dyslexia and ADHD"): one verdict for each chain."""
    chains: list[list[Term]] = []
    for term in inside:
        if chains and lex.coordination.match(clause[chains[-1][-1][2] : term[1]]):
            chains[-1].append(term)
        else:
            chains.append([term])
    return chains


def _chain_verdict(clause: str, chain: list[Term], lex: Lexicon, kind: TextKind) -> bool:
    """About the person (True) or about work (False), for a chain of terms."""
    first, last = chain[0], chain[-1]
    if kind == "label" and _suffix(clause, last[2], lex.membership_suffix):
        return True
    if _suffix(clause, last[2], lex.activity_suffix) or (
        kind == "label" and _suffix(clause, last[2], lex.person_suffix)
    ):
        return False
    if _left_verdict(clause, first[1], first[2], lex, kind) or _right_verdict(clause, last[2], lex):
        return True
    if _suffix(clause, last[2], lex.received_suffix):
        return False
    # A label that ends with the term names the person's own ("ADHD", "Christian"); with a word after it, it
    # names a field ("Halal butchery", "Disability rights").
    ends_label = not _WORD.search(clause[last[2] :])
    return kind == "label" and ends_label and not (lex.work_cues.search(clause) or lex.negations.search(clause))


def screen(text: str, *, kind: TextKind = "prose") -> Screening:
    """Find special category terms in a text and judge each: about a person, or about work?
    `prose` is a sentence or more (about, notes, feedback, messages); `label` a short tag (a skill, an interest),
    where a term with no work around it ("ADHD", "Christian youth group") is about the person."""
    lex = lexicon()
    folded = _normalised(text)
    if kind == "label" and lex.label_exceptions.fullmatch(folded.strip()):
        return Screening(text=text, hits=())
    terms = _terms(text, folded, lex)
    hits: list[Hit] = []
    for clause_start, clause_end in _clauses(folded):
        clause = folded[clause_start:clause_end]
        inside = [(c, s - clause_start, e - clause_start) for c, s, e in terms if clause_start <= s < clause_end]
        for chain in _chains(clause, inside, lex):
            verdict = _chain_verdict(clause, chain, lex, kind)
            hits.extend(Hit(category, clause_start + a, clause_start + b, verdict) for category, a, b in chain)
    return Screening(text=text, hits=tuple(hits))


def categories_text(categories: Sequence[Category]) -> str:
    """'health, disability or neurodivergence and religion or belief', for messages."""
    labels = [lexicon().labels[category] for category in categories]
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def special_category_warning(
    field: str, categories: Sequence[Category], kept: str, *, item: str | None = None
) -> ScreeningWarning:
    """The warning a response carries for a field whose text mentions special category data; `kept` says, in
    plain words, who sees it now; `item` names the entry of a list field (a skill, an interest)."""
    what = f"“{item}”" if item is not None else "This"
    return ScreeningWarning(
        field=field,
        message=f"{what} seems to say something private about {categories_text(categories)}. "
        f"It is saved, but as special category data: {kept}",
        categories=list(categories),
        item=item,
    )
