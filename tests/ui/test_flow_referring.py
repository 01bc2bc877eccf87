"""Referring, as an adviser does it: open a young person's page, search words in "Find another opportunity", pick
the third opportunity offered, write a note and press Refer. The referral goes to the one picked (a new search never
changes the choice by itself), the confirmation names the opportunity and its employer, the note is cleared, and the
opportunity leaves both the chooser and the person's matches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.waiting import wait_for
from tests.ui.playwright_pages import sign_in, wait_for_app
from tests.ui.stack import Stack

SLOW = 30_000
SCREENSHOTS = Path(os.environ.get("UI_SCREENSHOT_DIR", "/tmp/ui-screenshots"))


def _chooser(page: Page) -> Locator:
    return page.get_by_label("Opportunity", exact=True)


def _open_chooser(page: Page) -> Locator:
    """Open the chooser's list (its arrow button, as a person clicks it; again if a rerun swallowed the click)."""
    options = page.get_by_role("option")
    for _ in range(3):
        wait_for_app(page)
        page.get_by_test_id("stSelectbox").filter(has=_chooser(page)).get_by_role("button", name="Open").click()
        try:
            options.first.wait_for(timeout=5_000)
            return options
        except PlaywrightTimeout:
            continue
    options.first.wait_for(timeout=SLOW)
    return options


def _offered(page: Page) -> list[str]:
    """The chooser's options, as the adviser sees them (it is opened and closed again)."""
    labels = [text.strip() for text in _open_chooser(page).all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def _matches(stack: Stack, profile_id: str) -> list[str]:
    return [m["opportunity_id"] for m in
            stack.call("matching", "GET", f"/profiles/{profile_id}/matches", params={"k": 20})["matches"]]


def _referrals(stack: Stack, profile_id: str) -> list[dict[str, Any]]:
    return list(stack.call("opportunities", "GET", "/referrals", params={"profile_id": profile_id})["items"])


def test_the_adviser_refers_to_the_opportunity_they_picked_and_the_form_starts_again(
    stack: Stack, ui_url: str, page: Page
) -> None:
    jordan = stack.seeded.people["jordan"]
    by_title = {o["title"]: o for o in stack.seeded.opportunities.values()}
    sign_in(page, ui_url, "adviser", "adviser-1")
    page.goto(f"{ui_url}/person?person={jordan['id']}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Jordan Lee")).to_be_visible(timeout=SLOW)

    page.get_by_label("Find another opportunity by words").fill("teamwork")
    page.keyboard.press("Enter")
    wait_for_app(page)
    offered = _offered(page)
    assert len(offered) >= 3, offered
    picked = offered[2]
    title = picked.split(" — ")[0]
    target = by_title[title]
    _open_chooser(page)
    page.get_by_role("option", name=picked, exact=True).click()
    wait_for_app(page)
    expect(_chooser(page)).to_have_value(picked)

    # New words offer other opportunities; the one chosen stays chosen.
    page.get_by_label("Find another opportunity by words").fill("cars")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(_chooser(page)).to_have_value(picked)

    note = page.get_by_role("textbox", name="Note for the employer")
    note.fill("Jordan is reliable and keen to learn.")
    page.get_by_role("button", name="Refer", exact=True).click()
    wait_for_app(page)

    employer = next(e["name"] for e in stack.seeded.employers.values() if e["id"] == target["employer_id"])
    confirmation = page.get_by_test_id("stAlert").filter(has_text="Referred Jordan Lee to")
    expect(confirmation).to_contain_text(f"Referred Jordan Lee to “{title}” at {employer}.", timeout=SLOW)
    made = _referrals(stack, jordan["id"])
    assert [(r["opportunity_id"], r["note"]) for r in made] == [(target["id"], "Jordan is reliable and keen to learn.")]
    expect(page.get_by_role("textbox", name="Note for the employer")).to_have_value("")
    expect(_chooser(page)).to_have_value("")
    assert all(not label.startswith(f"{title} — ") for label in _offered(page)), "the referred one is still offered"
    wait_for(lambda: target["id"] not in _matches(stack, jordan["id"]), what="the matcher dropping it", timeout=5,
             ignoring=(httpx.HTTPError,))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "referred_confirmation.png"))

    # Pressing Refer again with nothing chosen refers nobody anywhere.
    page.get_by_role("button", name="Refer", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Choose the opportunity to refer them to first.")).to_be_visible(timeout=SLOW)
    assert len(_referrals(stack, jordan["id"])) == 1
