"""An adviser types a disclosure into the register form ("I have dyslexia and ADHD"): the person is registered all
the same, the page explains in plain words that the text is kept private as special category data, and the
person's page marks it; employers' view of the person never shows it."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.ui.playwright_pages import fill_date, open_page, screenshot, sign_in, wait_for_app
from tests.ui.stack import Stack


def test_an_adviser_registering_a_disclosure_sees_it_kept_private_in_plain_words(
    stack: Stack, ui_url: str, page: Page
) -> None:
    family = f"Screen{uuid.uuid4().hex[:6]}"
    sign_in(page, ui_url, "adviser")
    open_page(page, "Register a young person")
    page.get_by_label("First name *").fill("Robin")
    page.get_by_label("Last name *").fill(family)
    fill_date(page, "Date of birth *", 14, 3, 2006)
    page.get_by_label("Postcode *").fill("SK1 3XE")
    page.get_by_label("Skills (separate with commas)").fill("customer service, ADHD")
    page.get_by_label("About them").fill("I have dyslexia and ADHD.")
    page.get_by_label("About them").press("Tab")
    page.get_by_role("button", name="Register").click()
    wait_for_app(page)

    expect(page.get_by_text(f"Registered Robin {family}")).to_be_visible()
    about = page.get_by_text("About: kept private.")
    expect(about).to_be_visible()
    alert = page.locator("[data-testid='stAlert']").filter(has_text="About: kept private.")
    expect(alert).to_contain_text("disability or neurodivergence")
    expect(alert).to_contain_text("never shown to employers")
    expect(page.locator("[data-testid='stAlert']").filter(has_text="Skills: kept private.")).to_contain_text("ADHD")
    expect(page.get_by_text("Nothing was blocked")).to_be_visible()
    screenshot(page, "register_screening_warning", page.get_by_text("Nothing was blocked"))

    (person,) = stack.call("profiles", "GET", "/profiles", params={"q": family})["items"]
    assert person["about"] == "I have dyslexia and ADHD."
    shown = stack.call("profiles", "GET", f"/profiles/{person['id']}/employer-view")
    assert "ADHD" not in shown["skills"]

    page.get_by_role("link", name="Open Robin's page").click()
    wait_for_app(page)
    note = page.locator("[data-testid='stAlert']").filter(has_text="Kept private as special category data")
    expect(note).to_contain_text("About")
    expect(note).to_contain_text("Skills “ADHD”")
    screenshot(page, "person_screening_marked", note)


def test_work_talk_registers_without_a_warning(stack: Stack, ui_url: str, page: Page) -> None:
    family = f"Work{uuid.uuid4().hex[:6]}"
    sign_in(page, ui_url, "adviser")
    open_page(page, "Register a young person")
    page.get_by_label("First name *").fill("Kit")
    page.get_by_label("Last name *").fill(family)
    fill_date(page, "Date of birth *", 2, 9, 2005)
    page.get_by_label("Postcode *").fill("SK1 3XE")
    page.get_by_label("About them").fill("I want to work in mental health support.")
    page.get_by_label("About them").press("Tab")
    page.get_by_role("button", name="Register").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Registered Kit {family}")).to_be_visible()
    expect(page.get_by_text("kept private")).to_have_count(0)
