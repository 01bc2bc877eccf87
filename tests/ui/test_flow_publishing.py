"""Publishing, as an employer does it. A job open from 16 at £8.00 an hour: publishing says in words which age
bands that fails and what to change; they narrow it to 16-17s and it goes live, suggested to a 17-year-old and never
to a 20-year-old. The posting form's own default wage is legal. When a new minimum wage rate takes effect, the
employer's page shows their live posting held back and how to fix it; they raise the pay and it is offered again.
Every publish error is said in words, naming no raw field."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from infra.seed.synthetic import birth_date_for_age, profile_create
from services.common.auth import Role
from services.common.minimum_wage import WageRates, rates_on
from tests.support.waiting import wait_for
from tests.ui.playwright_pages import choose, enter, fill_date, open_page, screenshot, sign_in, wait_for_app
from tests.ui.stack import Stack

# Each step reruns the page against the services: slow on a loaded machine.
SLOW = 30_000


def _card(page: Page, title: str) -> Locator:
    """The bordered card of one opportunity on the employer's page."""
    return page.get_by_test_id("stLayoutWrapper").filter(has_text=title).last


def _cafe(stack: Stack) -> str:
    return str(stack.seeded.employers["cafe"]["id"])


def _mine(stack: Stack, title: str) -> dict[str, Any]:
    listed = stack.call("opportunities", "GET", f"/employers/{_cafe(stack)}/opportunities", role=Role.EMPLOYER,
                        sub=_cafe(stack))["items"]
    return next(item for item in listed if item["title"] == title)


def _save_and_publish(page: Page, stack: Stack, title: str) -> tuple[dict[str, Any], Locator]:
    """Save the new-opportunity form as a draft, press its Publish; the draft and the box of publish errors."""
    page.get_by_role("button", name="Save draft").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Saved the draft “{title}”")).to_be_visible(timeout=SLOW)
    draft = _mine(stack, title)
    page.locator(f".st-key-publish_{draft['id']}").get_by_role("button", name="Publish").click()
    wait_for_app(page)
    return draft, page.locator("[data-testid='stAlert']").filter(has_text="This can't go live yet")


def _matches(stack: Stack, profile_id: str) -> list[str]:
    found = stack.call("matching", "GET", f"/profiles/{profile_id}/matches", params={"k": 100})
    return [match["opportunity_id"] for match in found["matches"]]


def _aged_on(stack: Stack, age: int, day: dt.date) -> str:
    """A synthetic young person who likes cafe work, `age` on `day`; their id."""
    body = profile_create(date_of_birth=birth_date_for_age(age, day).isoformat(), interests=["cafes", "coffee"],
                          skills=["customer service"], preferred_types=["job"])
    return str(stack.call("profiles", "POST", "/profiles", json=body, expect=201)["id"])


def test_publishing_a_job_below_the_minimum_for_its_oldest_age_says_what_to_change(
    stack: Stack, ui_url: str, page: Page
) -> None:
    title = f"Weekend barista {uuid.uuid4().hex[:4]}"
    start = dt.date.today() + dt.timedelta(days=60)
    rates = rates_on(start)
    assert rates is not None
    sign_in(page, ui_url, "employer", "Hatters Cafe")
    open_page(page, "My opportunities")
    page.get_by_text("Post a new opportunity").click(timeout=SLOW)
    default_wage = page.get_by_label("Wage per hour (£) *")
    expect(default_wage).to_have_value(f"{rates.age_21_and_over}", timeout=SLOW)  # a legal default
    expect(page.get_by_text(f"{rates.age_21_and_over} an hour for 21 and over")).to_be_visible()
    page.get_by_label("Title *").fill(title)
    page.get_by_label("Description *").fill("Make coffee and serve customers at weekends.")
    enter(page.get_by_label("Wage per hour (£) *"), f"{rates.under_18}")
    draft, failure = _save_and_publish(page, stack, title)
    failure.wait_for(timeout=SLOW)
    expect(failure).to_contain_text(
        f"£{rates.under_18} an hour is below the legal minimum of £{rates.age_18_to_20} an hour for ages 18 to 20 "
        f"and £{rates.age_21_and_over} an hour for ages 21 and over")
    expect(failure).to_contain_text(f"Raise the pay to at least £{rates.age_21_and_over} an hour, or set the oldest "
                                    "age to 17 so that only people aged 16 to 17 can apply.")
    expect(failure).not_to_contain_text("max_age")
    expect(failure).not_to_contain_text("wage_per_hour")
    screenshot(page, "publish_minimum_wage_explained", failure)
    assert _mine(stack, title)["status"] == "draft"

    card = _card(page, title)
    card.get_by_text("Edit draft").click()
    enter(card.get_by_label("Oldest age (0 = any)"), "17")
    card.get_by_role("button", name="Save draft").click()
    wait_for_app(page)
    expect(page.get_by_text("Saved your changes.")).to_be_visible(timeout=SLOW)
    page.locator(f".st-key-publish_{draft['id']}").get_by_role("button", name="Publish").click()
    wait_for_app(page)
    expect(page.get_by_text(f"“{title}” is live.")).to_be_visible(timeout=SLOW)

    live = _mine(stack, title)
    assert live["status"] == "live" and live["max_age"] == 17 and live["wage_per_hour"] == float(rates.under_18)
    seventeen, twenty = _aged_on(stack, 17, start), _aged_on(stack, 20, start)
    wait_for(lambda: live["id"] in _matches(stack, seventeen), what="the 17-year-old offered the job", timeout=30,
             ignoring=(httpx.HTTPError, AssertionError))
    offered_to_twenty = wait_for(lambda: _matches(stack, twenty), until=lambda found: True,
                                 what="the matcher knowing the 20-year-old", timeout=30, ignoring=(AssertionError,))
    assert live["id"] not in offered_to_twenty


def test_a_new_rate_holds_a_live_posting_back_and_its_employer_fixes_it(
    stack: Stack, ui_url: str, page: Page
) -> None:
    today = dt.date.today()
    rates = rates_on(today + dt.timedelta(days=250))
    assert rates is not None
    title = f"Evening counter assistant {uuid.uuid4().hex[:4]}"
    draft = stack.call("opportunities", "POST", "/opportunities", expect=201, json={
        "employer_id": _cafe(stack), "type": "job", "title": title, "sector": "catering_hospitality",
        "description": "Serve customers in the evenings.", "postcode": "SK1 3XE", "hours_per_week": 20,
        "wage_per_hour": float(rates.age_21_and_over), "min_age": 18, "positions": 1,
        "start_date": (today + dt.timedelta(days=250)).isoformat(),
        "closing_date": (today + dt.timedelta(days=30)).isoformat()})
    job = stack.call("opportunities", "POST", f"/opportunities/{draft['id']}/publish")
    wait_for(lambda: stack.call("matching", "GET", f"/opportunities/{job['id']}/matches")["matches"],
             what="candidates for the new job", timeout=30, ignoring=(httpx.HTTPError, AssertionError))

    # A new rate (made up for the test) from 200 days on: after the seeded postings start, before this one does.
    new_rate = WageRates(today + dt.timedelta(days=200), Decimal("8.50"), Decimal("8.50"), Decimal("11.40"),
                         Decimal("13.20"))
    opportunities = stack.apps["opportunities"]
    previous = opportunities.state.wage_table
    opportunities.state.wage_table = previous.with_row(new_rate)
    try:
        assert opportunities.state.sweeper.hold_back_underpaid() == 1
        wait_for(lambda: stack.call("matching", "GET", f"/opportunities/{job['id']}/matches")["matches"] == [],
                 what="the matcher holding the job back", timeout=30, ignoring=(httpx.HTTPError,))
        wait_for(lambda: "opportunity.held_back" in [
            event["event_type"]
            for event in stack.call("events", "GET", "/events", params={"aggregate_id": job["id"]})["items"]
        ], what="the events service recording the hold", timeout=30, ignoring=(httpx.HTTPError,))

        sign_in(page, ui_url, "employer", "Hatters Cafe")
        open_page(page, "My opportunities")
        warning = page.locator("[data-testid='stAlert']").filter(has_text="Held back from young people")
        expect(warning).to_contain_text("a new minimum wage rate applies", timeout=SLOW)
        expect(warning).to_contain_text(f"£{rates.age_21_and_over} an hour is below the legal minimum of £13.20 an "
                                        "hour for ages 21 and over")
        expect(warning).to_contain_text("set the oldest age to 20 so that only people aged 18 to 20 can apply")
        screenshot(page, "held_back_below_new_minimum_wage", warning)

        fix = _card(page, title)
        enter(fix.get_by_label("New pay per hour (£)"), "13.00")
        fix.get_by_role("button", name="Save the fix").click()
        wait_for_app(page)
        expect(page.locator("[data-testid='stAlert']").filter(has_text="That isn't enough yet")).to_contain_text(
            "Raise the pay to at least £13.20 an hour", timeout=SLOW)
        enter(fix.get_by_label("New pay per hour (£)"), "13.20")
        fix.get_by_role("button", name="Save the fix").click()
        wait_for_app(page)
        expect(page.get_by_text(f"Fixed: “{title}” is offered to young people again.")).to_be_visible(timeout=SLOW)
        expect(page.get_by_text("Held back from young people")).to_have_count(0)

        fixed = stack.call("opportunities", "GET", f"/opportunities/{job['id']}")
        assert fixed["held_back_reason"] is None and fixed["wage_per_hour"] == 13.2
        wait_for(lambda: stack.call("matching", "GET", f"/opportunities/{job['id']}/matches")["matches"],
                 what="the matcher offering the job again", timeout=30, ignoring=(httpx.HTTPError,))
    finally:
        opportunities.state.wage_table = previous


def test_publish_errors_are_in_plain_words_not_field_names(stack: Stack, ui_url: str, page: Page) -> None:
    title = f"Kick-Start kitchen helper {uuid.uuid4().hex[:4]}"
    start = dt.date.today() + dt.timedelta(days=60)
    sign_in(page, ui_url, "employer", "Hatters Cafe")
    open_page(page, "My opportunities")
    page.get_by_text("Post a new opportunity").click(timeout=SLOW)
    page.get_by_label("Title *").fill(title)
    choose(page, "Type *", "Kick-Start")
    page.get_by_label("Description *").fill("Help in the kitchen for six months.")
    fill_date(page, "Closing date *", start.day, start.month, start.year)  # the same day it starts
    _draft, failure = _save_and_publish(page, stack, title)
    failure.wait_for(timeout=SLOW)
    expect(failure).to_contain_text(
        f"Closing date: The closing date must be before the start date ({start.day} {start:%B %Y}).")
    expect(failure).to_contain_text(
        "Oldest age: Kick-Start placements are for ages 16 to 24 only: set the oldest age to 24 or less.")
    expect(failure).to_contain_text("Universal Credit: Kick-Start placements are only for young people on "
                                    "Universal Credit.")
    expect(failure).to_contain_text("Hours a week: Kick-Start placements are 25 hours a week.")
    expect(failure).to_contain_text("Length (months): Kick-Start placements last 6 months.")
    text = failure.inner_text()
    for raw in ("closing_date", "Closing_date", "max_age", "start_date", "requires_universal_credit",
                "hours_per_week", "duration_months"):
        assert raw not in text, (raw, text)
    screenshot(page, "publish_errors_in_words", failure)
