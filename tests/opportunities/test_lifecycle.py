"""The opportunity lifecycle over HTTP: draft -> live -> closed, edits allowed at each stage, and browsing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from services.common.clock import FixedClock
from services.common.db import make_engine
from services.common.postcodes import distance_km, locate
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app
from tests.opportunities.harness import BASE_TIME, Harness, detail_types
from tests.support.services import client_for


def test_full_lifecycle_draft_edit_publish_extend_close(api: Harness, employer: dict[str, Any]) -> None:
    draft = api.draft(employer["id"], title="Trainee barista")
    assert draft["status"] == "draft" and draft["version"] == 1 and draft["published_at"] is None
    assert draft["employer_name"] == employer["name"] and draft["wage_per_hour"] == 13.0

    # a draft is invisible to the public but its employer sees it
    assert api.client.get(f"/opportunities/{draft['id']}").status_code == 404
    assert api.client.get(f"/opportunities/{draft['id']}", headers=api.employer(employer["id"])).status_code == 200

    edited = api.client.patch(
        f"/opportunities/{draft['id']}",
        json={"title": "Barista", "annual_wage": 26000},
        headers=api.employer(employer["id"]),
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["title"] == "Barista" and body["version"] == 2
    assert body["annual_wage"] == 26000 and body["wage_per_hour"] == 13.33  # 26000 / (37.5 x 52), down to the penny

    published = api.client.post(f"/opportunities/{draft['id']}/publish", headers=api.employer(employer["id"]))
    assert published.status_code == 200, published.text
    live = published.json()
    assert live["status"] == "live" and live["version"] == 3 and live["published_at"] is not None
    assert api.client.get(f"/opportunities/{draft['id']}").json()["status"] == "live"

    # once live only the closing date may move, and only later
    locked = api.client.patch(f"/opportunities/{draft['id']}", json={"title": "Head barista"}, headers=api.adviser())
    assert locked.status_code == 409 and detail_types(locked) == {"title": "locked_when_live"}
    earlier = (api.today + dt.timedelta(days=20)).isoformat()
    shorter = api.client.patch(f"/opportunities/{draft['id']}", json={"closing_date": earlier}, headers=api.adviser())
    assert shorter.status_code == 422 and detail_types(shorter) == {"closing_date": "extend_only"}
    later = (api.today + dt.timedelta(days=45)).isoformat()
    extended = api.client.patch(f"/opportunities/{draft['id']}", json={"closing_date": later}, headers=api.adviser())
    assert extended.status_code == 200 and extended.json()["closing_date"] == later and extended.json()["version"] == 4
    past_start = (api.today + dt.timedelta(days=60)).isoformat()
    too_late = api.client.patch(
        f"/opportunities/{draft['id']}", json={"closing_date": past_start}, headers=api.adviser()
    )
    assert too_late.status_code == 422 and detail_types(too_late) == {"closing_date": "closing_date_before_start"}

    assert api.client.post(f"/opportunities/{draft['id']}/publish", headers=api.adviser()).status_code == 409

    closed = api.client.post(
        f"/opportunities/{draft['id']}/close",
        json={"reason": "Funding withdrawn"},
        headers=api.employer(employer["id"]),
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed_reason"] == "Funding withdrawn"
    assert closed.json()["version"] == 5
    assert (
        api.client.post(
            f"/opportunities/{draft['id']}/close", json={"reason": "again"}, headers=api.adviser()
        ).status_code
        == 409
    )
    reopen = api.client.patch(f"/opportunities/{draft['id']}", json={"closing_date": later}, headers=api.adviser())
    assert reopen.status_code == 409
    browse = api.client.get("/opportunities", params={"q": "Barista"}).json()
    assert draft["id"] not in [item["id"] for item in browse["items"]]


def test_events_are_staged_only_once_published(api: Harness, employer: dict[str, Any]) -> None:
    draft = api.draft(employer["id"])
    api.client.patch(f"/opportunities/{draft['id']}", json={"positions": 3}, headers=api.adviser())
    assert api.outbox(draft["id"]) == []
    api.client.post(f"/opportunities/{draft['id']}/publish", headers=api.adviser())
    later = (api.today + dt.timedelta(days=40)).isoformat()
    api.client.patch(f"/opportunities/{draft['id']}", json={"closing_date": later}, headers=api.adviser())
    api.client.post(f"/opportunities/{draft['id']}/close", json={"reason": "Hired elsewhere"}, headers=api.adviser())
    envelopes = api.outbox(draft["id"])
    assert [e["event_type"] for e in envelopes] == [
        "opportunity.published",
        "opportunity.updated",
        "opportunity.closed",
    ]
    assert [e["aggregate_version"] for e in envelopes] == [3, 4, 5]
    assert envelopes[-1]["payload"]["status"] == "closed"
    assert envelopes[-1]["payload"]["closed_reason"] == "Hired elsewhere"


def test_a_closed_draft_emits_nothing(api: Harness, employer: dict[str, Any]) -> None:
    draft = api.draft(employer["id"])
    closed = api.client.post(
        f"/opportunities/{draft['id']}/close", json={"reason": "Posted by mistake"}, headers=api.adviser()
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert api.outbox(draft["id"]) == []


def test_employer_lists_its_own_opportunities_with_drafts(api: Harness, employer: dict[str, Any]) -> None:
    draft = api.draft(employer["id"])
    live = api.live(employer["id"])
    page = api.client.get(f"/employers/{employer['id']}/opportunities", headers=api.employer(employer["id"])).json()
    assert {item["id"] for item in page["items"]} == {draft["id"], live["id"]} and page["total"] == 2
    only_live = api.client.get(
        f"/employers/{employer['id']}/opportunities", params={"status": "live"}, headers=api.adviser()
    ).json()
    assert [item["id"] for item in only_live["items"]] == [live["id"]]


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_browse_filters_sorts_and_pages(api: Harness, employer: dict[str, Any]) -> None:
    word = f"zq{api.counts()['opportunities']}x"  # a word only this test's opportunities carry
    stockport = api.live(
        employer["id"], title=f"Chef {word}", wage_per_hour=14.5, postcode="SK1 3XE", sector="catering_hospitality"
    )
    marple = api.live(
        employer["id"],
        title=f"Welder {word}",
        type="apprenticeship",
        level=3,
        duration_months=12,
        wage_per_hour=9.0,
        postcode="SK6 7AA",
        sector="engineering_manufacturing",
        skills=["welding"],
        closing_date=(api.today + dt.timedelta(days=10)).isoformat(),
    )
    buxton = api.live(
        employer["id"],
        title=f"Groundsman {word}",
        wage_per_hour=12.8,
        postcode="SK17 6AA",
        sector="agriculture_environment_animal_care",
    )
    remote = api.live(
        employer["id"],
        title=f"Web tester {word}",
        postcode="SK17 9ZZ",
        remote=True,
        sector="digital",
        wage_per_hour=13.1,
    )
    api.draft(employer["id"], title=f"Draft {word}")

    everything = api.client.get("/opportunities", params={"q": word, "sort": "wage"}).json()
    assert _ids(everything) == [stockport["id"], remote["id"], buxton["id"], marple["id"]]
    assert everything["total"] == 4 and all(item["distance_km"] is None for item in everything["items"])

    assert _ids(api.client.get("/opportunities", params={"q": f"{word} welding"}).json()) == [marple["id"]]
    assert _ids(api.client.get("/opportunities", params={"q": word, "type": "apprenticeship"}).json()) == [marple["id"]]
    assert _ids(api.client.get("/opportunities", params={"q": word, "sector": "digital"}).json()) == [remote["id"]]
    assert _ids(api.client.get("/opportunities", params={"q": word, "level": 3}).json()) == [marple["id"]]
    by_closing = api.client.get("/opportunities", params={"q": word, "sort": "closing_date"}).json()
    assert _ids(by_closing)[0] == marple["id"]

    near = api.client.get(  # with search words the default order is relevance; by distance when asked
        "/opportunities", params={"q": word, "near": "sk4 2aa", "radius_km": 10, "sort": "distance"}
    ).json()
    origin, sk1, sk6 = locate("SK4 2AA"), locate("SK1 3XE"), locate("SK6 7AA")
    assert origin and sk1 and sk6
    expected = {
        stockport["id"]: distance_km(origin.latitude, origin.longitude, sk1.latitude, sk1.longitude),
        marple["id"]: distance_km(origin.latitude, origin.longitude, sk6.latitude, sk6.longitude),
    }
    # Buxton is ~30 km away: out of a 10 km radius; the remote one is offered wherever it is based
    assert _ids(near) == sorted(expected, key=expected.get) + [remote["id"]]  # type: ignore[arg-type]
    for item in near["items"]:
        if item["id"] in expected:
            assert abs(item["distance_km"] - expected[item["id"]]) < 0.01
    assert near["items"][-1]["distance_km"] > 10

    wide = api.client.get("/opportunities", params={"q": word, "near": "SK4 2AA", "radius_km": 50}).json()
    assert set(_ids(wide)) == {stockport["id"], marple["id"], buxton["id"], remote["id"]}
    first = api.client.get("/opportunities", params={"q": word, "sort": "wage", "limit": 2}).json()
    second = api.client.get("/opportunities", params={"q": word, "sort": "wage", "limit": 2, "offset": 2}).json()
    assert _ids(first) + _ids(second) == _ids(everything) and first["total"] == 4
    near_paged = api.client.get(
        "/opportunities", params={"q": word, "near": "SK4 2AA", "radius_km": 50, "limit": 1, "offset": 1}
    ).json()
    assert _ids(near_paged) == [_ids(wide)[1]] and near_paged["total"] == 4


def test_browse_rejects_what_it_cannot_answer(api: Harness) -> None:
    outside = api.client.get("/opportunities", params={"near": "EC1A 1BB"})
    assert outside.status_code == 422 and outside.json()["detail"][0]["loc"] == ["query", "near"]
    garbage = api.client.get("/opportunities", params={"near": "not a postcode"})
    assert garbage.status_code == 422 and garbage.json()["detail"][0]["loc"] == ["query", "near"]
    no_origin = api.client.get("/opportunities", params={"sort": "distance"})
    assert no_origin.status_code == 422 and no_origin.json()["detail"][0]["loc"] == ["query", "sort"]
    assert api.client.get("/opportunities", params={"limit": 0}).status_code == 422


def test_timestamps_stay_utc_on_the_embedded_sqlite_default(tmp_path: Path) -> None:
    """SQLite drops the zone of stored datetimes; reads and later events must still carry UTC."""
    settings = OpportunitiesSettings(database_url=f"sqlite:///{tmp_path / 'opportunities.db'}", environment="test")
    engine = make_engine(settings.resolved_database_url())
    with client_for(create_app(settings, clock=FixedClock(BASE_TIME))) as client:
        api = Harness(client, settings, FixedClock(BASE_TIME), engine)
        opportunity = api.live(api.new_employer()["id"])
        api.client.post(f"/opportunities/{opportunity['id']}/close", json={"reason": "Done"}, headers=api.adviser())
        closed = api.outbox(opportunity["id"])[-1]
        assert dt.datetime.fromisoformat(closed["payload"]["published_at"]) == BASE_TIME
        read = api.client.get(f"/opportunities/{opportunity['id']}").json()
        assert dt.datetime.fromisoformat(read["published_at"]) == BASE_TIME
    engine.dispose()
