"""Smaller things people met: closing a live posting asks first (and "no" keeps it open); the success tick is drawn
from the font Streamlit ships, not an emoji that shows as an empty box; a young person's applications come before
the suggestions, and feedback says who wrote it; at phone width the folded page menu says "Menu"."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from services.common.auth import Role
from tests.ui.playwright_pages import open_page, sign_in, wait_for_app
from tests.ui.stack import Stack

SLOW = 30_000
SCREENSHOTS = Path(os.environ.get("UI_SCREENSHOT_DIR", "/tmp/ui-screenshots"))


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _icon_drawn(alert: Locator) -> None:
    """The alert's icon is a glyph of the bundled icon font: about one letter wide, not the ligature's name spelled
    out (font missing) and not an emoji (an empty box where no colour emoji font is installed)."""
    icon = alert.get_by_test_id("stAlertDynamicIcon")
    expect(icon).to_have_count(1)
    box = icon.bounding_box()
    assert box is not None and 8 < box["width"] < 40, box
    assert icon.inner_text() == "check_circle" and "✅" not in alert.inner_text()


def test_closing_a_live_posting_asks_first_and_no_keeps_it_open(stack: Stack, ui_url: str, page: Page) -> None:
    job = stack.seeded.opportunities["workshop_experience"]
    garage = stack.seeded.employers["garage"]["id"]

    def status() -> str:
        return str(stack.call("opportunities", "GET", f"/opportunities/{job['id']}", role=Role.EMPLOYER,
                              sub=garage)["status"])

    sign_in(page, ui_url, "employer", "Pennine Motors")
    open_page(page, "My opportunities")
    card = page.get_by_test_id("stLayoutWrapper").filter(has_text="Workshop work experience").filter(
        has=page.get_by_role("button", name="Close")).last
    card.get_by_label("Reason for closing").fill("all places filled")
    card.get_by_role("button", name="Close").click()
    wait_for_app(page)
    question = page.locator(f".st-key-confirm_close_{job['id']}")
    expect(question).to_contain_text("Close “Workshop work experience”?", timeout=SLOW)
    expect(question).to_contain_text("nobody more can be referred to it")
    _shot(page, "close_asks_first")
    assert status() == "live"
    question.get_by_role("button", name="No, keep it open").click()
    wait_for_app(page)
    expect(question).to_have_count(0)
    assert status() == "live"

    card.get_by_role("button", name="Close").click()
    wait_for_app(page)
    question.get_by_role("button", name="Yes, close it").click()
    wait_for_app(page)
    done = page.get_by_test_id("stAlert").filter(has_text="Closed “Workshop work experience”.")
    expect(done).to_be_visible(timeout=SLOW)
    _icon_drawn(done)
    closed = stack.call("opportunities", "GET", f"/opportunities/{job['id']}", role=Role.EMPLOYER, sub=garage)
    assert closed["status"] == "closed" and closed["closed_reason"] == "all places filled"


def test_my_applications_come_first_and_say_who_wrote_the_feedback(stack: Stack, ui_url: str, page: Page) -> None:
    alex = stack.seeded.people["alex"]["id"]
    cafe = stack.seeded.employers["cafe"]["id"]
    by_employer = stack.call("opportunities", "POST", "/referrals", expect=201, json={
        "profile_id": alex, "opportunity_id": stack.seeded.opportunities["cafe_job"]["id"], "note": ""})
    stack.call("opportunities", "PATCH", f"/referrals/{by_employer['id']}", role=Role.EMPLOYER, sub=cafe,
               json={"status": "unsuccessful", "feedback": "Thank you for coming in; we chose someone with barista "
                                                           "experience."})
    by_adviser = stack.call("opportunities", "POST", "/referrals", expect=201, json={
        "profile_id": alex, "opportunity_id": stack.seeded.opportunities["kitchen_apprentice"]["id"], "note": ""})
    stack.call("opportunities", "PATCH", f"/referrals/{by_adviser['id']}",
               json={"status": "withdrawn", "feedback": "You told me you'd rather work front of house."})

    sign_in(page, ui_url, "young_person", "Alex Taylor")
    applications = page.get_by_role("heading", name="My applications")
    suggestions = page.get_by_role("heading", name="Suggested for you")
    expect(suggestions).to_be_visible(timeout=SLOW)
    first, second = applications.bounding_box(), suggestions.bounding_box()
    assert first is not None and second is not None and first["y"] < second["y"]
    expect(page.get_by_text("What the employer said: Thank you for coming in")).to_be_visible()
    expect(page.get_by_text("What your adviser said: You told me you'd rather work front of house.")).to_be_visible()
    expect(page.get_by_text("What the employer said: You told me")).to_have_count(0)
    wait_for_app(page)
    _shot(page, "young_person_applications_first")


def test_at_phone_width_the_page_menu_says_menu(stack: Stack, ui_url: str, page: Page) -> None:
    sign_in(page, ui_url, "young_person", "Jordan Lee")
    page.set_viewport_size({"width": 390, "height": 844})
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Hi Jordan!")).to_be_visible(timeout=SLOW)
    expand = page.get_by_test_id("stExpandSidebarButton")
    expand.wait_for(timeout=SLOW)
    label = expand.evaluate("button => getComputedStyle(button, '::after').content")
    assert label == '"Menu"', label
    box = expand.bounding_box()
    assert box is not None and box["width"] > 50, box  # room for the word beside the arrow
    page.wait_for_timeout(600)  # the sidebar slides away
    _shot(page, "phone_menu_labelled")
    expand.click()
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Browse")).to_be_visible(timeout=SLOW)
