"""A young person searches in everyday words on the Browse page: "dentist" finds the dental chairside assistant
(the matcher's search by meaning, fused with the words), "cars" and "car" find car work and not care work, "hair"
finds the barber and not the dental *chair*side assistant; a florist too far away is "Nothing found" with a wider
area to choose, and a search with no match offers related results (near in meaning), labelled as such."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from services.common.auth import Role
from tests.support.waiting import wait_for
from tests.ui.playwright_pages import open_page, screenshot, sign_in, wait_for_app
from tests.ui.stack import Stack

# A search reruns the page and asks the matcher, which embeds the words: slow on a loaded machine.
SLOW = 30_000
POSTINGS = {
    "Dental chairside assistant": ("health_science", "SK2 6AA",
                                   "Assist the dental team at the chairside: prepare instruments, reassure patients."),
    "Care assistant": ("care_services", "SK1 3XE", "Help older people with daily tasks in a friendly care home."),
    "Car valeter": ("transport_logistics", "SK1 3XE", "Clean and polish cars and vans before customers collect them."),
    "Barber apprentice": ("hair_beauty", "SK4 1AA", "Cut and style men's hair and trim beards in a busy barbershop."),
    "Florist assistant": ("agriculture_environment_animal_care", "SK17 6AA",
                          "Make bouquets and look after the flowers in our Buxton shop."),
}


@pytest.fixture(scope="module")
def posted(stack: Stack) -> Iterator[dict[str, str]]:
    """The postings above, live and known to the matcher; their ids by title."""
    employer = stack.seeded.employers["garage"]["id"]
    today = dt.date.today()
    ids = {}
    for title, (sector, postcode, description) in POSTINGS.items():
        draft = stack.call("opportunities", "POST", "/opportunities", expect=201, json={
            "employer_id": employer, "type": "job", "title": title, "sector": sector, "postcode": postcode,
            "description": description, "skills": [], "hours_per_week": 30, "wage_per_hour": 13.0, "positions": 1,
            "start_date": (today + dt.timedelta(days=60)).isoformat(),
            "closing_date": (today + dt.timedelta(days=30)).isoformat()})
        ids[title] = stack.call("opportunities", "POST", f"/opportunities/{draft['id']}/publish")["id"]
    for opportunity_id in ids.values():
        wait_for(lambda o=opportunity_id: stack.call("matching", "GET", f"/opportunities/{o}/matches",
                                                     expect=200) is not None,
                 what="the matcher knowing the new postings", timeout=60, ignoring=(AssertionError,))
    yield ids


def _search(page: Page, words: str) -> None:
    """Search, and wait until the page says what it found for these words (just after Enter the page can still look
    finished with the last search's results: Streamlit shows a run as running only after a moment)."""
    box = page.get_by_label("What are you looking for?")
    box.wait_for(timeout=30_000)
    box.fill(words)
    box.press("Enter")
    expect(page.get_by_text(f"for “{words}”").first).to_be_visible(timeout=SLOW)
    wait_for_app(page)


def _results(page: Page) -> Locator:
    """The result cards' titles (related results, when shown, come after their own heading, not among these)."""
    return page.get_by_test_id("stMarkdownContainer").locator("strong")


def test_everyday_words_find_what_they_mean(stack: Stack, ui_url: str, page: Page, posted: dict[str, str]) -> None:
    sign_in(page, ui_url, "young_person", "Alex Taylor")
    open_page(page, "Browse")
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("Usual order", timeout=30_000)

    _search(page, "dentist")
    expect(_results(page).filter(has_text="Dental chairside assistant")).to_have_count(1, timeout=SLOW)
    screenshot(page, "browse_dentist", _results(page).filter(has_text="Dental chairside assistant"))

    for words in ("cars", "car"):
        _search(page, words)
        expect(_results(page).filter(has_text="Car valeter")).to_have_count(1, timeout=SLOW)
        expect(_results(page).filter(has_text="Vehicle technician apprentice")).to_have_count(1)  # by its words
        expect(_results(page).filter(has_text="Care assistant")).to_have_count(0)

    _search(page, "hair")
    expect(_results(page).filter(has_text="Barber apprentice")).to_have_count(1, timeout=SLOW)
    expect(_results(page).filter(has_text="Dental chairside assistant")).to_have_count(0)

    found = stack.call("opportunities", "GET", "/opportunities", role=Role.YOUNG_PERSON,
                       sub=stack.seeded.people["alex"]["id"], params={"q": "dentist"})
    assert found["search"] == {"order": "relevance", "semantic": "used"}
    assert found["items"][0]["id"] == posted["Dental chairside assistant"]


def test_nothing_nearby_offers_a_wider_area_and_related_results(
    stack: Stack, ui_url: str, page: Page, posted: dict[str, str]
) -> None:
    sign_in(page, ui_url, "young_person", "Alex Taylor")
    open_page(page, "Browse")
    _search(page, "florist")
    expect(page.get_by_text("Nothing found for “florist” within 10 km of SK1 3XE.")).to_be_visible(timeout=SLOW)
    wider = page.get_by_role("button", name="Within 50 km (1 found)")
    expect(wider).to_be_visible()
    screenshot(page, "browse_nothing_found_wider", wider)
    wider.click()
    wait_for_app(page)
    expect(_results(page).filter(has_text="Florist assistant")).to_have_count(1, timeout=SLOW)
    expect(page.get_by_text("1 found for “florist” within 50 km of SK1 3XE.")).to_be_visible()

    _search(page, "plants")
    expect(page.get_by_text("Nothing found for “plants” within 50 km of SK1 3XE.")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("heading", name="Related results")).to_be_visible()
    caption = page.get_by_text("These don't match “plants”, but are close to it in meaning.")
    expect(caption).to_be_visible()
    expect(_results(page).filter(has_text="Florist assistant")).to_have_count(1)
    expect(page.get_by_role("button", name="I'm interested")).to_have_count(1)
    screenshot(page, "browse_related_results", caption)

