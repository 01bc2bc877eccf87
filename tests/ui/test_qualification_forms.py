"""Qualifications on the young person's own form: by level ("Level 2 English") or by the names of the vocabulary,
written back the way they were chosen."""

from __future__ import annotations

import pytest

from services.messaging.vocabulary import QUALIFICATION_TYPE_LEVELS, QUALIFICATION_TYPE_NAMES, QUALIFICATION_TYPES
from ui.streamlit.forms import parse_qualifications, qualifications_text
from ui.streamlit.labels import qualification_label

pytestmark = pytest.mark.unit


def test_a_qualification_by_name_reads_back_as_it_was_written() -> None:
    text = "GCSE grade 4 to 9 (A* to C) English\nA level: Biology\nLevel 2 Maths"
    items, problem = parse_qualifications(text)
    assert problem is None
    assert items == [{"type": "gcse_4_9", "subject": "English"}, {"type": "a_level", "subject": "Biology"},
                     {"level": "2", "subject": "Maths"}]
    assert qualifications_text([{**items[0], "level": "2"}, {**items[1], "level": "3"}, items[2]]) == (
        "GCSE grade 4 to 9 (A* to C) English\nA level Biology\nLevel 2 Maths")


def test_every_qualification_name_has_a_level_and_a_label() -> None:
    assert set(QUALIFICATION_TYPE_NAMES) == set(QUALIFICATION_TYPE_LEVELS) == set(QUALIFICATION_TYPES)
    for kind in QUALIFICATION_TYPES:
        label = qualification_label({"type": kind, "level": QUALIFICATION_TYPE_LEVELS[kind], "subject": "Art"})
        assert label == f"{QUALIFICATION_TYPE_NAMES[kind]} Art"
        assert parse_qualifications(label)[0] == [{"type": kind, "subject": "Art"}]
