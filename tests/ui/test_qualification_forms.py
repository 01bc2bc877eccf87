"""The qualification chooser of the register form and the young person's own form: a qualification by the name
people use (the service records its level) or another one at a level, each row read back as it was chosen."""

from __future__ import annotations

import pytest

from services.messaging.vocabulary import QUALIFICATION_LEVELS, QUALIFICATION_TYPE_NAMES, QUALIFICATION_TYPES
from ui.streamlit.forms import qualification_body, qualification_choice, qualification_choices
from ui.streamlit.labels import qualification_type_label

pytestmark = pytest.mark.unit


def test_a_row_becomes_the_qualification_it_names() -> None:
    assert qualification_body("gcse_4_9", " English ") == {"type": "gcse_4_9", "subject": "English"}
    assert qualification_body("level:2", "Maths") == {"level": "2", "subject": "Maths"}
    assert qualification_body("level:entry", "Maths") == {"level": "entry", "subject": "Maths"}
    assert qualification_body("", "  ") is None
    assert qualification_body("", "Art") == {"subject": "Art"}  # the service says what is missing


def test_a_recorded_qualification_is_offered_back_as_it_was_chosen() -> None:
    choices = qualification_choices()
    assert choices[0] == "" and len(choices) == len(set(choices)) == 1 + len(QUALIFICATION_TYPES) + len(
        QUALIFICATION_LEVELS)
    for recorded in ({"type": "a_level", "level": "3", "subject": "Biology"}, {"level": "2", "subject": "English"},
                     {"level": "entry", "subject": "Maths"}):
        choice = qualification_choice(recorded)
        assert choice in choices
        sent = qualification_body(choice, recorded["subject"])
        assert sent is not None and {**sent, "level": recorded["level"]} == recorded


def test_every_option_has_words() -> None:
    assert qualification_type_label("") == "—"
    for kind in QUALIFICATION_TYPES:
        assert qualification_type_label(kind) == QUALIFICATION_TYPE_NAMES[kind]
    assert qualification_type_label("level:2") == "Level 2: another qualification"
    assert qualification_type_label("level:entry") == "Entry level: another qualification"
