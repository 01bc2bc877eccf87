"""Browse's text search: ranked full-text search with stemming on PostgreSQL (tsvector, websearch_to_tsquery) and on
SQLite (FTS5, porter), the same answers on both; fused with the matcher's semantic hits by reciprocal rank fusion,
falling back to full-text alone when the matcher is away or slow; relevance the default order with words, the
other orders and filters kept; when nothing is found, wider areas and related results, labelled."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.opportunities.search import sqlite_match
from services.opportunities.semantic import HttpSemanticSearch, SemanticHit, SemanticQuery
from tests.opportunities.conftest import ProfilesService, make_harness
from tests.opportunities.harness import BASE_TIME, Harness
from tests.support.databases import TestDatabases

TOKEN = lambda: "a-service-token"  # noqa: E731 - what the matcher is sent does not matter here
# (key, title, description, skills, postcode)
POSTINGS = [
    ("valeter", "Car valeter", "Clean and polish cars and vans for our customers before they are collected.",
     ["vehicle cleaning"], "SK1 3XE"),
    ("care", "Care assistant", "Help older people with daily tasks in a friendly care home.", ["personal care"],
     "SK1 3XE"),
    ("dental", "Dental nurse trainee", "Work chairside with the dentist's team: prepare instruments and reassure "
     "patients.", ["infection control"], "SK2 6AA"),
    ("hairdresser", "Hairdressing apprentice", "Wash, cut and style hair in a busy town centre salon.",
     ["customer service"], "SK4 1AA"),
    ("site", "Labourer", "General labouring on our building sites: move materials and keep the site safe.",
     ["manual handling"], "SK5 6AA"),
    ("florist", "Florist assistant", "Make bouquets and look after the flowers in our shop.", ["flower arranging"],
     "SK17 6AA"),
]


class FakeSemantic:
    """The matcher's semantic search as a table of answers: text -> [(posting key, similarity)]; None = away."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[str, float]] | None] = {}
        self.ids: dict[str, uuid.UUID] = {}
        self.asked: list[SemanticQuery] = []

    def search(self, query: SemanticQuery, *, k: int) -> list[SemanticHit] | None:
        self.asked.append(query)
        answer = self.answers.get(query.text, [])
        if answer is None:
            return None
        return [SemanticHit(self.ids[key], similarity) for key, similarity in answer][:k]


def _post(api: Harness) -> dict[str, dict[str, Any]]:
    employer = api.new_employer()
    return {
        key: api.live(employer["id"], title=title, description=description, skills=skills, postcode=postcode)
        for key, title, description, skills, postcode in POSTINGS
    }


@pytest.fixture(scope="module", params=["sqlite", "configured"])
def searching(
    request: pytest.FixtureRequest, databases: TestDatabases, profiles_service: ProfilesService,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Harness, FakeSemantic, dict[str, dict[str, Any]]]]:
    """The service on SQLite and on the configured database (PostgreSQL when it answers), with the postings above
    and a stand-in for the matcher's semantic search."""
    fake = FakeSemantic()
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'opportunities.db'}" if request.param == "sqlite" else None
    for api in make_harness(databases, profiles_service, semantic=fake, database_url=url)():
        api.clock.at = BASE_TIME
        posted = _post(api)
        fake.ids = {key: uuid.UUID(item["id"]) for key, item in posted.items()}
        yield api, fake, posted


def _titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def _search(api: Harness, **params: Any) -> dict[str, Any]:
    response = api.client.get("/opportunities", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_stemming_finds_every_form_of_a_word_and_never_part_of_another(searching: Any) -> None:
    api, _fake, _ = searching
    assert _titles(_search(api, q="cars")) == ["Car valeter"]
    assert _titles(_search(api, q="car")) == ["Car valeter"]  # not "care"
    assert _titles(_search(api, q="caring")) == ["Care assistant"]
    assert _titles(_search(api, q="hair")) == ["Hairdressing apprentice"]  # not "chairside"
    assert _titles(_search(api, q="building sites")) == ["Labourer"]
    assert _titles(_search(api, q="site building")) == ["Labourer"]
    assert _search(api, q="dentist")["items"][0]["title"] == "Dental nurse trainee"  # "dentist's" in its text
    assert _search(api, q="dentistry")["total"] == 0  # a different word; the matcher's search covers such


def test_the_words_found_in_the_title_rank_first(searching: Any) -> None:
    api, _fake, _ = searching
    found = _search(api, q="care")
    assert _titles(found)[0] == "Care assistant" and found["search"]["order"] == "relevance"


def test_phrases_exclusions_and_or_work_as_on_the_web(searching: Any) -> None:
    api, _fake, _ = searching
    assert _titles(_search(api, q='"building sites"')) == ["Labourer"]
    assert _search(api, q='"sites building"')["total"] == 0
    assert set(_titles(_search(api, q="florist or valeter"))) == {"Florist assistant", "Car valeter"}
    assert "Care assistant" not in _titles(_search(api, q="care -home"))
    assert _search(api, q="the and of")["total"] == 0


def test_the_index_follows_draft_edits(searching: Any) -> None:
    api, _fake, _ = searching
    employer = api.new_employer()
    draft = api.draft(employer["id"], title="Zebra keeper", description="Feed and muck out.", skills=[])
    changed = api.client.patch(f"/opportunities/{draft['id']}", json={"title": "Giraffe keeper"},
                               headers=api.adviser())
    assert changed.status_code == 200
    api.client.post(f"/opportunities/{draft['id']}/publish", headers=api.adviser())
    assert _titles(_search(api, q="giraffes")) == ["Giraffe keeper"]
    assert _search(api, q="zebra keeper")["total"] == 0
    api.client.post(f"/opportunities/{draft['id']}/close", json={"reason": "filled"}, headers=api.adviser())
    assert _search(api, q="giraffes")["total"] == 0


def test_semantic_hits_are_fused_in_and_weak_ones_left_out(searching: Any) -> None:
    api, fake, _ = searching
    fake.answers["teeth"] = [("dental", 0.62), ("care", 0.31)]
    found = _search(api, q="teeth")
    assert _titles(found) == ["Dental nurse trainee"] and found["total"] == 1
    assert found["search"] == {"order": "relevance", "semantic": "used"}
    # In both rankings beats in one: "care" is a word match and the matcher's first choice.
    fake.answers["care"] = [("care", 0.7), ("dental", 0.5)]
    assert _titles(_search(api, q="care")) == ["Care assistant", "Dental nurse trainee"]
    fake.answers["care"] = [("dental", 0.6), ("care", 0.55)]
    assert _titles(_search(api, q="care")) == ["Care assistant", "Dental nurse trainee"]
    fake.answers["looking after people"] = [("dental", 0.6), ("care", 0.55)]  # no posting has all the words
    assert _titles(_search(api, q="looking after people")) == ["Dental nurse trainee", "Care assistant"]


def test_filters_and_other_orders_apply_to_fused_results(searching: Any) -> None:
    api, fake, posted = searching
    fake.answers["people work"] = [("dental", 0.6), ("care", 0.58), ("hairdresser", 0.5)]
    by_wage = _search(api, q="people work", sort="wage")
    assert by_wage["total"] == 3 and by_wage["search"]["order"] == "wage"
    near = _search(api, q="people work", near="SK2 6AA", radius_km=3, sort="distance")
    assert _titles(near)[0] == "Dental nurse trainee" and near["items"][0]["distance_km"] < 1
    asked = fake.asked[-1]
    assert (asked.near, asked.radius_km) == ("SK2 6AA", 3.0)
    only_jobs = _search(api, q="people work", type="apprenticeship")
    assert only_jobs["total"] == 0  # the matcher's hits are checked against this service's filters too
    paged = [_titles(_search(api, q="people work", limit=1, offset=n))[0] for n in range(3)]
    assert paged == _titles(_search(api, q="people work"))
    assert {item["id"] for item in _search(api, q="people work")["items"]} == {
        posted[key]["id"] for key in ("dental", "care", "hairdresser")
    }


def test_when_the_matcher_is_away_words_alone_answer(searching: Any) -> None:
    api, fake, _ = searching
    fake.answers["car"] = None
    found = _search(api, q="car")
    assert _titles(found) == ["Car valeter"] and found["search"]["semantic"] == "unavailable"


def test_nothing_found_near_offers_wider_areas_and_related_results(searching: Any) -> None:
    api, fake, _ = searching
    fake.answers["bouquets"] = []
    nearby = _search(api, q="bouquets", near="SK1 3XE", radius_km=5)
    assert nearby["total"] == 0 and nearby["items"] == []
    # Buxton is about 25 km away: nothing within 10 or 20 km, one within 50 km, which is all there is anywhere.
    assert nearby["wider_areas"] == [{"radius_km": 50.0, "total": 1}]
    fake.answers["cleaning"] = [("valeter", 0.5), ("florist", 0.47)]
    from_buxton = _search(api, q="cleaning", near="SK17 6AA", radius_km=1)
    assert _titles(from_buxton) == ["Florist assistant"]  # the matcher's word for it; nothing else is near
    assert fake.asked[-1].near == "SK17 6AA"
    fake.answers["gardening"] = [("florist", 0.3), ("care", 0.2), ("valeter", 0.19)]
    related = _search(api, q="gardening")
    assert related["total"] == 0 and related["items"] == []
    assert [item["title"] for item in related["related"]] == ["Florist assistant", "Care assistant"]  # not 0.19
    assert _search(api, q="car")["related"] == []


def test_relevance_needs_words(searching: Any) -> None:
    api, _fake, _ = searching
    response = api.client.get("/opportunities", params={"sort": "relevance"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "sort"]
    assert _search(api)["search"] is None  # without words, no search: the plain listing


@pytest.mark.unit
def test_web_search_syntax_becomes_an_fts5_query() -> None:
    assert sqlite_match("building sites") == '"building" AND "sites"'
    assert sqlite_match('"customer care" -dental or hair') == '("customer care" OR "hair") NOT "dental"'
    assert sqlite_match("florist or valeter") == '("florist" OR "valeter")'
    assert sqlite_match("working with kids") == '"working" AND "kids"'
    assert sqlite_match("the and of") is None
    assert sqlite_match('care -"care home"') == '"care" NOT "care home"'
    assert sqlite_match("o'neill's \"un-closed") == '"o neill s" AND "un" NOT "closed"'


def _closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


@pytest.mark.unit
def test_the_http_search_gives_up_quickly_when_the_matcher_is_away_or_slow() -> None:
    away = HttpSemanticSearch(f"http://127.0.0.1:{_closed_port()}", TOKEN, timeout=0.5)
    started = time.monotonic()
    assert away.search(SemanticQuery(text="cars"), k=5) is None
    assert time.monotonic() - started < 2

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("the matcher took too long", request=request)

    assert HttpSemanticSearch("http://matching", TOKEN, timeout=0.5,
                              transport=httpx.MockTransport(slow)).search(SemanticQuery(text="x"), k=5) is None
    refusing = httpx.MockTransport(lambda request: httpx.Response(503, json={"detail": "not ready"}))
    assert HttpSemanticSearch("http://matching", TOKEN, timeout=0.5,
                              transport=refusing).search(SemanticQuery(text="x"), k=5) is None
    sent: list[dict[str, Any]] = []

    def answering(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        hit = {"opportunity_id": str(uuid.UUID(int=1)), "score": 0.5, "similarity": 0.61,
               "explanation": {"matched_skills": [], "missing_skills": [], "distance_km": None, "reasons": []}}
        return httpx.Response(200, json={"target": "opportunities", "matches": [hit]})

    found = HttpSemanticSearch("http://matching", TOKEN, timeout=0.5, transport=httpx.MockTransport(answering)
                               ).search(SemanticQuery(text="cars", type="job", near="SK1 3XE", radius_km=5), k=7)
    assert found == [SemanticHit(uuid.UUID(int=1), 0.61)]
    assert sent[0] == {"text": "cars", "k": 7, "target": "opportunities",
                       "filters": {"type": "job", "postcode": "SK1 3XE", "max_distance_km": 5}}
