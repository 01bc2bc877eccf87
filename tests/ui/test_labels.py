"""Every code of the shared vocabulary has words on the pages, and no label names a code that does not exist."""

from __future__ import annotations

import pytest

from services.messaging import vocabulary
from ui.streamlit import labels

pytestmark = pytest.mark.unit

LABELLED = {
    "profile statuses": (labels.PROFILE_STATUS, vocabulary.PROFILE_STATUSES),
    "short profile statuses": (labels.PROFILE_STATUS_SHORT, vocabulary.PROFILE_STATUSES),
    "priority groups": (labels.PRIORITY_GROUPS, vocabulary.PRIORITY_GROUPS),
    "opportunity types": (labels.OPPORTUNITY_TYPES, vocabulary.OPPORTUNITY_TYPES),
    "opportunity statuses": (labels.OPPORTUNITY_STATUS, vocabulary.OPPORTUNITY_STATUSES),
    "sectors": (labels.SECTORS, vocabulary.SECTORS),
    "referral statuses": (labels.REFERRAL_STATUS, vocabulary.REFERRAL_STATUSES),
    "referral statuses for young people": (labels.REFERRAL_STATUS_FOR_YOU, vocabulary.REFERRAL_STATUSES),
    "guarantee statuses": (labels.GUARANTEE, vocabulary.GUARANTEE_STATUSES),
    "oversight reasons": (labels.OVERSIGHT_REASONS, vocabulary.OVERSIGHT_SUMMARY_REASONS),
    "action categories": (labels.ACTION_CATEGORY, vocabulary.ACTION_CATEGORIES),
    "action statuses": (labels.ACTION_STATUS, vocabulary.ACTION_STATUSES),
    "appointment modes": (labels.APPOINTMENT_MODE, vocabulary.APPOINTMENT_MODES),
    "appointment outcomes": (labels.APPOINTMENT_OUTCOME, vocabulary.APPOINTMENT_OUTCOMES),
}


@pytest.mark.parametrize("what", LABELLED)
def test_every_value_has_a_label_and_no_label_is_orphaned(what: str) -> None:
    words, values = LABELLED[what]
    missing = sorted(set(values) - set(words))
    orphaned = sorted(set(words) - set(values))
    assert not missing, f"{what} without words on the pages: {missing}"
    assert not orphaned, f"{what} labels for codes the vocabulary does not have: {orphaned}"


def test_each_open_referral_status_offers_the_pipeline_steps() -> None:
    for status in vocabulary.OPEN_REFERRAL_STATUSES:
        adviser = vocabulary.next_referral_statuses(status, by_adviser=True)
        employer = vocabulary.next_referral_statuses(status, by_adviser=False)
        assert set(adviser) == vocabulary.REFERRAL_TRANSITIONS[status]
        assert "withdrawn" in adviser and "withdrawn" not in employer
    for status in vocabulary.TERMINAL_REFERRAL_STATUSES:
        assert vocabulary.next_referral_statuses(status, by_adviser=True) == ()
