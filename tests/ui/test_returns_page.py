"""The adviser's returns page against the real services: each return shows what the events service publishes for the
chosen day and scope (hidden figures as hidden), and the monthly extract is prepared and offered for download."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx

from services.common.auth import Role
from tests.ui.apptest import button, open_page, sign_in, texts
from tests.ui.stack import ADVISER, Stack


def _shown(value: dict) -> str:
    return "hidden" if value["suppressed"] else "none yet" if value["value"] is None else f"{float(value['value']):.0f}"


def test_the_returns_page_shows_each_return_as_the_events_service_publishes_it(stack: Stack) -> None:
    at = open_page(sign_in("adviser", ADVISER), "views/returns.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert "academic age" in shown and "Youth Guarantee promises a good offer within" in shown, shown
    today = dt.date.today().isoformat()
    indicators = stack.call("events", "GET", "/returns/indicators", role=Role.ADVISER,
                            params={"as_at": today, "since": (dt.date.today() - dt.timedelta(days=365)).isoformat()})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Waiting now"] == _shown(indicators["waiting"]["size"])
    assert metrics["Left the list"] == _shown(indicators["exits_by_timeliness"]["size"])
    assert metrics["Coverage"] == "not set"  # no NEET population estimate is set for the test stack

    september = next(frame.value for frame in at.dataframe if "Offer made" in frame.value.columns)
    assert september[""].tolist() == ["Year 11 leavers", "Year 12 leavers", "Both"]

    at.segmented_control(key="returns_scope").set_value("mine").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    button(at, "Prepare the extract").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    month = at.selectbox(key="returns_extract_month").value
    answer = httpx.get(stack.urls["events"] + "/returns/extract.csv", headers=stack.headers(Role.ADVISER, ADVISER),
                       params={"month": month, "adviser_id": ADVISER}, timeout=20)
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert f"is ready: {len(rows)} young people." in texts(at)
