"""The returns over HTTP: advisers only, every route as at a date and for one caseload, CSV files, and bad input
answered with a 422 naming the field and the rule."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.common.auth import Role
from services.common.clock import FixedClock
from services.events.config import EventsSettings
from services.events.main import create_app, make_handler
from services.events.models import ExtractDownload
from tests.events.winter import Winter
from tests.support.databases import TestDatabases
from tests.support.keys import CONSUMER_KEYS
from tests.support.services import bearer

TODAY = dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def api(databases: TestDatabases) -> Iterator[tuple[TestClient, EventsSettings, Winter]]:
    settings = EventsSettings(database_url=databases.new_url("events_returns_api"), consume=False,
                              environment="test", exposure_refresh_seconds=0, suppression_threshold=1)
    app = create_app(settings, clock=FixedClock(TODAY), keys=CONSUMER_KEYS)
    winter = Winter()
    with TestClient(app) as client:
        make_handler(app.state.session_factory, app.state.engine, CONSUMER_KEYS, "events-test")(winter.events)
        yield client, settings, winter


def get(api: tuple[TestClient, EventsSettings, Winter], path: str, role: Role = Role.ADVISER,
        **params: Any) -> Any:
    client, settings, _ = api
    return client.get(path, params=params, headers=bearer(settings, role, "adv-a"))


def test_the_headline_defaults_to_the_newest_winter_as_at_today(api: Any) -> None:
    response = get(api, "/returns/headline")
    assert response.status_code == 200, response.text
    body = response.json()
    # today 2025-03-31: the winter of December 2024, complete; 23 person-month-ends, 14 NEET or not known
    assert (body["winter"], body["complete"], body["as_at"]) == (2024, True, "2025-03-31")
    assert body["average"][0]["label"] == "all" and body["average"][0]["shares"]["neet_or_not_known"]["value"] == 0.609
    assert list(body["months"]) == ["2024-12-31", "2025-01-31", "2025-02-28"]
    # as at 15 January only December is counted
    early = get(api, "/returns/headline", as_at="2025-01-15", winter=2024).json()
    assert (early["complete"], list(early["months"])) == (False, ["2024-12-31"])
    assert early["average"][0]["size"]["value"] == 7


def test_each_return_for_one_caseload_and_as_csv(api: Any) -> None:
    body = get(api, "/returns/headline", adviser_id="adv-b").json()
    assert body["adviser"] == "adv-b" and body["months"]["2025-01-31"][0]["counts"]["not_known"]["value"] == 1
    table = get(api, "/returns/headline.csv")
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(table.text)))
    assert {"table": "average", "row": "all", "figure": "neet", "kind": "share", "value": "0.348",
            "suppressed": "false"} in lines
    indicators = get(api, "/returns/indicators")
    assert indicators.status_code == 200 and indicators.json()["coverage"] == {"value": None, "suppressed": False}
    assert get(api, "/returns/indicators.csv").text.startswith("table,row,figure,kind,value,suppressed")
    september = get(api, "/returns/september-guarantee", year=2024)
    assert september.status_code == 200 and [row["label"] for row in september.json()["cohorts"]] == [
        "year_11", "year_12", "all"]
    assert get(api, "/returns/september-guarantee.csv", year=2024).status_code == 200


def test_the_extract_is_recorded_and_carries_no_profile_id(api: Any) -> None:
    client, _, winter = api
    response = get(api, "/returns/extract.csv", month="2025-01", adviser_id="adv-b")
    assert response.status_code == 200, response.text
    assert 'filename="activity-extract-2025-01.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["activity_code"], row["currency_lapsed"]) for row in rows] == [("810", "Y")]  # b, lapsed
    assert str(winter.b.profile_id) not in response.text
    # default month: the newest ended by as_at (2025-03-31 is a month end)
    assert 'activity-extract-2025-03.csv' in get(api, "/returns/extract.csv").headers["content-disposition"]
    with client.app.state.session_factory() as session:
        downloads = session.scalars(select(ExtractDownload)).all()
    assert ("adv-a", "2025-01", "adv-b", 1) in [(d.downloaded_by, d.month, d.adviser_id, d.rows) for d in downloads]


@pytest.mark.parametrize("role", [Role.EMPLOYER, Role.YOUNG_PERSON, Role.SERVICE])
@pytest.mark.parametrize("path", ["/returns/headline", "/returns/indicators", "/returns/september-guarantee",
                                  "/returns/extract.csv", "/returns/indicators.csv"])
def test_only_advisers_read_the_returns(api: Any, path: str, role: Role) -> None:
    assert get(api, path, role=role).status_code == 403


@pytest.mark.parametrize(("path", "params", "field", "rule"), [
    ("/returns/headline", {"as_at": "2025-04-01"}, "as_at", "not_in_future"),
    ("/returns/indicators", {"as_at": "0001-01-01"}, "as_at", "not_before_2000"),
    ("/returns/headline", {"winter": 2025}, "winter", "reached_by_as_at"),
    ("/returns/indicators", {"since": "2025-03-01", "as_at": "2025-02-01"}, "since", "on_or_before_as_at"),
    ("/returns/september-guarantee", {"year": 2025}, "year", "reached_by_as_at"),
    ("/returns/extract.csv", {"month": "2025-13"}, "month", "string_pattern_mismatch"),
    ("/returns/extract.csv", {"month": "2025-03", "as_at": "2025-03-30"}, "month", "ended_by_as_at"),
])
def test_bad_input_names_the_field_and_the_rule(api: Any, path: str, params: dict[str, Any], field: str,
                                                rule: str) -> None:
    response = get(api, path, **params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["type"]) == (["query", field], rule)
