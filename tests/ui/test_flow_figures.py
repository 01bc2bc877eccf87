"""The guarantee dashboard's outcome figures, as an adviser reads them: all time by default, a calendar month on
request, each figure either the service's published number or said to be hidden, never a number the service hid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.ui.playwright_pages import sign_in, wait_for_app
from tests.ui.stack import Stack

SLOW = 30_000


def _metric(page: Page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def _choose_period(page: Page, label: str) -> None:
    """Open the Period list and pick a month (open it again if a rerun swallowed the click)."""
    option = page.get_by_role("option", name=label)
    for _ in range(3):
        wait_for_app(page)
        page.get_by_role("combobox", name="Period").click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click(timeout=SLOW)


def _shown(published: int | None) -> str:
    return "Hidden" if published is None else str(published)


def test_an_adviser_reads_the_outcomes_for_all_time_and_for_this_month(
    stack: Stack, ui_url: str, page: Page, tmp_path: Path
) -> None:
    sign_in(page, ui_url, "adviser", "adviser-1")
    page.get_by_role("link", name="Guarantee dashboard").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Outcomes")).to_be_visible(timeout=SLOW)

    every = stack.call("events", "GET", "/stats")
    if every["suppressed"]:  # what "Hidden" means is said under the figures
        expect(page.get_by_text(f"Hidden: fewer than {every['suppression_threshold']} people").last).to_be_visible(
            timeout=SLOW)
    expect(page.get_by_test_id("stMetric").filter(has_text="Referrals").first).to_be_visible(timeout=SLOW)
    assert _metric(page, "Registered") == _shown(every["registered_young_people"])
    assert _metric(page, "Referrals") == _shown(every["referrals"])

    today = dt.date.today()
    month = f"{today:%Y-%m}"
    _choose_period(page, f"{today:%B %Y}")
    wait_for_app(page)
    this_month = stack.call("events", "GET", "/stats", params={"month": month})
    assert this_month["month"] == month
    expected = _shown(this_month["registered_young_people"])
    expect(page.get_by_test_id("stMetric").filter(has_text="Registered").first).to_contain_text(expected,
                                                                                                 timeout=SLOW)
    assert _metric(page, "Referrals") == _shown(this_month["referrals"])
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "outcomes_this_month.png"), full_page=True)
    print(f"\noutcomes: all time registered {every['registered_young_people']}, {today:%B %Y} registered "
          f"{this_month['registered_young_people']} (hidden: {this_month['suppressed']})")
