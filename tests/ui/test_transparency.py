"""The public page "How suggestions are made": reachable signed out, its figures read from the benchmark's JSON
(docs/matching-figures.json), which carries the keys `bench --quality --json` writes. No service needed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks import quality
from tests.ui.apptest import APP, assert_clean, texts
from ui.streamlit.config import MATCHING_FIGURES as FIGURES_FILE

pytestmark = pytest.mark.unit


def _bench_output() -> dict[str, Any]:
    """What `bench --quality --json` writes, from figures shaped as the benchmark's run returns them."""
    metrics = {"hit": 0.5, "map": 0.4, "ndcg": 0.3, "ms": 1.0}
    rankings = {name: dict.fromkeys(quality.STYLES, metrics) for name in ("service", "BM25", "plain similarity")}
    spread = {name: {"gini_referrals_per_place": 0.9, "share_with_a_suggestion": 0.7, "share_referred_to": 0.2,
                     "most_referrals_per_place": 5.0, "hit_at_5": 0.9, "relevant_referrals": 0.7}
              for name in ("plain similarity (no capacity)",
                           *(f"service, capacity weight {w:g}" for w in quality.CAPACITY_WEIGHTS))}
    exposure = {"people": 600, "groups": {"all": {
        "neet": {"people": 90, "exposure_share": 0.2, "eligible_share": 0.2, "ratio": 1.0},
        "young_carer": {"suppressed": True}}}}
    figures = {"postings": 652, "occupations": 492, "people": 40, "esco_skills": 13939, "rankings": rankings,
               "halves": {name: dict.fromkeys(quality.HALVES, dict.fromkeys(quality.STYLES, metrics))
                          for name in rankings},
               "pairs": {}, "spread": spread, "exposure": exposure, "ranking": {"model": "m", "weight_similarity": 0.7},
               "example": []}
    return quality.json_figures(figures, measured_on=dt.date(2026, 12, 6))


def test_the_stored_figures_have_the_keys_the_benchmark_writes() -> None:
    stored = json.loads(FIGURES_FILE.read_text())
    written = _bench_output()
    assert set(stored) <= set(written), set(stored) - set(written)
    assert {"provenance", "styles", "spread", "exposure", "ranking"} <= set(stored)
    assert set(stored["provenance"]) == set(written["provenance"])
    assert set(stored["styles"]) == set(written["styles"]) == set(quality.STYLES)
    for style, row in stored["styles"].items():
        assert set(row) == set(written["styles"][style]), style
    assert set(stored["spread"]) == set(written["spread"])
    for name, row in stored["spread"].items():
        assert set(row) == set(written["spread"][name]), name
    shown_keys = set(written["exposure"]["groups"]["all"]["neet"])
    for kind, groups in stored["exposure"]["groups"].items():
        for group, row in groups.items():
            assert set(row) <= shown_keys, (kind, group)
    assert set(stored["ranking"]) <= {"model", "list_length", "weight_similarity", "weight_skills", "weight_distance",
                                      "weight_capacity", "weight_title", "weight_occupation", "weight_level",
                                      "rerank_pool", "concept_same_meaning"}


def test_the_page_opens_signed_out_and_shows_the_files_figures(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    figures = json.loads(FIGURES_FILE.read_text())
    figures["styles"]["duties"]["hit_at_5"] = 0.123
    figures["styles"]["skills"]["bm25_hit_at_5"] = 0.456
    figures["spread"]["service, capacity weight 0.05"]["gini_referrals_per_place"] = 0.789
    figures["exposure"]["groups"]["all"]["young_carer"]["ratio"] = 0.66
    figures["ranking"]["weight_capacity"] = 0.07
    figures["provenance"] = {"source": "youth-guarantee bench --quality", "measured_on": "2027-01-15"}
    path = tmp_path / "figures.json"
    path.write_text(json.dumps(figures))
    monkeypatch.setenv("YG_ENV", "development")
    monkeypatch.setenv("UI_MATCHING_FIGURES_FILE", str(path))
    monkeypatch.setenv("UI_HUB_EMAIL", "youth.hub@stockport.example.org")
    for service in ("PROFILES", "OPPORTUNITIES", "MATCHING", "EVENTS", "NOTIFICATIONS"):
        monkeypatch.setenv(f"UI_{service}_URL", "http://127.0.0.1:9")  # nothing listens: no service needed
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert "How suggestions are made" in str([link.proto for link in at.get("page_link")])  # from sign-in
    at.switch_page("views/transparency.py").run()
    assert_clean(at)
    assert at.title[0].value == "How suggestions are made"
    quality_table, spread_table, exposure_table = (frame.value for frame in at.dataframe)
    duties = quality_table[quality_table["Person described by"] == "What they have done (duties)"].iloc[0]
    assert (duties["Hit@5"], duties["MAP@10"]) == ("0.123", f"{figures['styles']['duties']['map_at_10']:.3f}")
    assert "0.456" in list(quality_table["Word search (BM25) hit@5"])
    assert "0.789" in list(spread_table["Gini of referrals per place"])
    carers = exposure_table[(exposure_table["Group"] == "Young carer")
                            & (exposure_table["Opportunity type"] == "All types")].iloc[0]
    assert carers["Ratio"] == "0.66"
    shown = texts(at)
    assert "Measured on 15 Jan 2027" in shown
    assert "less up to 0.07" in shown
    assert "we do not use one" in shown and "SEND" in shown
    assert "youth.hub@stockport.example.org" in shown and "ico.org.uk" in shown


def test_the_page_says_plainly_when_the_figures_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YG_ENV", "development")
    monkeypatch.setenv("UI_MATCHING_FIGURES_FILE", str(tmp_path / "absent.json"))
    for service in ("PROFILES", "OPPORTUNITIES", "MATCHING", "EVENTS", "NOTIFICATIONS"):
        monkeypatch.setenv(f"UI_{service}_URL", "http://127.0.0.1:9")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/transparency.py").run()
    assert_clean(at)
    assert any("not available" in warning.value for warning in at.warning)
    assert not at.dataframe
