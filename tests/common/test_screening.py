"""The special category screening of free text: statements about the person are flagged with their category,
talk of work is not, short labels (skills, interests) are read as labels, and the benchmark corpus holds."""

from __future__ import annotations

import pytest

from benchmarks.screening import (
    SPLITS,
    TARGET_FALSE_POSITIVE_RATE,
    TARGET_RECALL,
    Counts,
    evaluate,
    keywords,
    load_corpus,
    rules,
)
from services.common.screening import Category, screen, special_category_warning

pytestmark = pytest.mark.unit

DISCLOSURES = [
    ("I have dyslexia and ADHD.", {Category.DISABILITY}),
    ("My mental health has been bad lately.", {Category.HEALTH}),
    ("I'm on probation until March.", {Category.CRIMINAL_OFFENCE}),
    ("She has type 1 diabetes and needs regular breaks.", {Category.HEALTH}),
    ("I'm Black British.", {Category.ETHNICITY}),
    ("I'm Muslim and pray five times a day.", {Category.RELIGION}),
    ("I'm gay and out to my friends.", {Category.SEXUAL_ORIENTATION}),
    ("I used to do sex work to pay the rent.", {Category.SEX_LIFE}),
    ("I'm non-binary and my pronouns are they/them.", {Category.GENDER_IDENTITY}),
    ("I'm a member of Unison.", {Category.TRADE_UNION}),
    ("Has an EHCP; diagnosed with epilepsy last year.", {Category.DISABILITY, Category.HEALTH}),
    ("I'm autistic and gay.", {Category.DISABILITY, Category.SEXUAL_ORIENTATION}),
    ("I want to work in mental health because my own anxiety was bad.", {Category.HEALTH}),
    ("My anxiety's been through the roof since Christmas.", {Category.HEALTH}),
    ("She was sectioned last month.", {Category.HEALTH}),
    ("I used to self-harm.", {Category.HEALTH}),
    ("I've had psoriasis since primary school.", {Category.HEALTH}),
    ("YP has ASD; needs a quiet workspace.", {Category.DISABILITY}),
    ("We're Sikh and go to the gurdwara on Sundays.", {Category.RELIGION}),
    ("I came out to my parents last summer.", {Category.SEXUAL_ORIENTATION}),
    ("I'm AFAB and use they/them.", {Category.GENDER_IDENTITY}),
    ("I was remanded in custody last year.", {Category.CRIMINAL_OFFENCE}),
    ("He's out on licence and sees probation weekly.", {Category.CRIMINAL_OFFENCE}),
]

HARD_NEGATIVES = [
    "I want to work in mental health support.",
    "I'd like to care for disabled adults.",
    "Experience with autism awareness training.",
    "I'd like to become a probation officer.",
    "I speak Polish and English fluently.",
    "I'd like a job in the kitchen of the church hall.",
    "I'd like to work for an LGBTQ+ youth charity.",
    "I want to work as a receptionist at a sexual health clinic.",
    "I'd like to support trans young people as a youth worker.",
    "I'd like an admin job at a trade union office.",
    "I have never been in trouble with the police.",
    "I'd love to help young people struggling with their mental health.",
    "Uses colleagues' pronouns correctly.",
    "I'd like to work in a special school.",
    "I'd like to be a physiotherapy assistant.",
    "We ran an eczema awareness stall at the pharmacy.",
]


@pytest.mark.parametrize(("text", "categories"), DISCLOSURES)
def test_a_statement_about_the_person_is_flagged_with_its_categories(text: str, categories: set[Category]) -> None:
    found = screen(text)
    assert found.flagged
    assert set(found.categories) == categories


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_talk_of_work_is_not_flagged_though_it_uses_the_same_words(text: str) -> None:
    found = screen(text)
    assert found.hits, "the example should contain a special category term"
    assert not found.flagged


@pytest.mark.parametrize(
    ("label", "flagged"),
    [("ADHD", True), ("Christian youth group", True), ("Managing my asthma", True),
     ("Autism awareness training", False), ("Mental health first aid", False), ("Halal butchery", False),
     ("Disability rights", False), ("customer service", False), ("Polish", False), ("beauty therapist", False),
     ("my therapist", True), ("ADHD and me", True), ("Wheelchair user", True), ("Black British", True),
     ("Irish dancing", False), ("Black British history", False)],
)
def test_a_label_is_about_the_person_only_when_nothing_makes_it_a_field_of_work(label: str, flagged: bool) -> None:
    assert screen(label, kind="label").flagged is flagged


def test_acronyms_that_are_ordinary_words_in_lower_case_are_matched_only_as_acronyms() -> None:
    assert screen("She gets SEND support and PIP.").flagged
    assert not screen("I will send you my CV and add my references.").hits


def test_a_licence_is_criminal_only_when_someone_is_on_it() -> None:
    assert screen("I'm out on licence until May.").categories == [Category.CRIMINAL_OFFENCE]
    assert not screen("I have a full driving licence and an SIA licence.").hits


def test_every_category_is_covered_by_the_corpus_on_both_sides() -> None:
    corpus = load_corpus()
    for split in SPLITS:
        for category in Category:
            rows = [e for e in corpus if e.split == split and e.category is category]
            assert any(e.disclosure for e in rows) and any(not e.disclosure for e in rows), (split, category)
    assert len(corpus) >= 150
    assert abs(sum(e.disclosure for e in corpus) - len(corpus) / 2) < len(corpus) * 0.05


def test_the_rule_keeps_its_figures_and_beats_the_keyword_list() -> None:
    corpus = load_corpus()
    figures = evaluate(corpus)
    tuning = figures["tuning"]["rules"]["overall"]
    held_out = figures["held_out"]["rules"]["overall"]
    honest = figures["held_out_2"]["rules"]["overall"]
    baseline = figures["held_out_2"]["keyword list"]["overall"]
    assert tuning["recall"] == 1.0 and tuning["false_positive_rate"] == 0.0
    # held_out measured 0.919 recall before its misses were tuned on; held_out_2, never tuned on, measured 0.960
    # recall and 0.011 false positives. These floors catch a change that makes either worse.
    assert held_out["recall"] >= 0.90 and held_out["false_positive_rate"] <= 0.05
    assert honest["recall"] >= TARGET_RECALL and honest["false_positive_rate"] <= TARGET_FALSE_POSITIVE_RATE
    assert baseline["false_positive_rate"] > 0.3 > honest["false_positive_rate"]
    assert rules(corpus[0]) and keywords(corpus[0])


def test_counts_give_precision_recall_and_false_positive_rate() -> None:
    counts = Counts()
    for truth, flagged in [(True, True), (True, True), (True, False), (False, True), (False, False)]:
        counts = counts.add(truth, flagged)
    assert counts.figures() == {"precision": 0.667, "recall": 0.667, "false_positive_rate": 0.5,
                                "disclosures": 3, "negatives": 2}


def test_the_warning_names_the_field_the_rule_and_the_categories_in_plain_words() -> None:
    warning = special_category_warning("skills", [Category.DISABILITY, Category.HEALTH], "advisers see it.",
                                       item="ADHD")
    assert warning.model_dump() == {
        "field": "skills",
        "rule": "special_category",
        "message": "“ADHD” seems to say something private about disability or neurodivergence and health. "
        "It is saved, but as special category data: advisers see it.",
        "categories": ["disability", "health"],
        "item": "ADHD",
    }
