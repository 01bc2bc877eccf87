"""Playwright for Python driving Debian's chromium against `streamlit run` on the real services: the harness for
tests that repeat the steps a person takes. Never `playwright install`: the browser is /usr/bin/chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(os.environ.get("UI_SCREENSHOT_DIR", "/tmp/ui-screenshots"))
ROLE_BUTTONS = {"adviser": "Sign in as an adviser", "employer": "Sign in as an employer",
                "young_person": "Sign in as a young person"}
ROLE_CHOOSERS = {"adviser": "Choose an adviser", "employer": "Choose an employer",
                 "young_person": "Choose a young person"}


@contextmanager
def chromium_browser() -> Iterator[tuple[Playwright, Browser]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield playwright, browser
        finally:
            browser.close()


def wait_for_app(page: Page, timeout_ms: float = 30_000) -> None:
    """Until Streamlit has finished running the page's script: its status widget is gone, and so is every element
    of the run before (left "stale" for a moment after the run ends: a form that moved up the page shows twice)."""
    page.wait_for_load_state("domcontentloaded")
    page.locator("[data-testid='stApp']").wait_for(timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms
    )


def sign_in(page: Page, url: str, role: str, name: str | None = None) -> None:
    """Open the app, choose a demo user of the role (by visible name when given) and sign in."""
    page.goto(url)
    button = page.get_by_role("button", name=ROLE_BUTTONS[role])
    button.wait_for(timeout=60_000)
    if name is not None:
        choose(page, ROLE_CHOOSERS[role], name)
    button.click()
    wait_for_app(page)
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=30_000)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label and (part of) the option's visible text, typed to filter
    the list (a long one shows only the options in view); again if a rerun swallowed the click that opens it."""
    box = page.get_by_label(label)
    wanted = page.get_by_role("option", name=re.compile(re.escape(option))).first
    for _ in range(3):
        wait_for_app(page)
        box.click()
        box.press_sequentially(option)
        try:
            wanted.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    wanted.click()
    wait_for_app(page)


def open_page(page: Page, title: str) -> None:
    """Follow a link of the page navigation by its title."""
    page.get_by_role("link", name=title).first.click()
    wait_for_app(page)


def enter(field: Locator, value: str) -> None:
    """Type `value` into a field and move on with Tab, as a person does: Streamlit commits a number when its input
    loses focus, and a click on a button straight after typing can be lost to the rerun that commit starts."""
    field.fill(value)
    field.press("Tab")
    wait_for_app(field.page)


def fill_date(page: Page, label: str, day: int, month: int, year: int) -> None:
    """Type a date into a Streamlit date input (its day, month and year fields) by the input's label."""
    page.get_by_role("spinbutton", name=f"day, {label}").click()
    page.keyboard.type(f"{day:02d}{month:02d}{year:04d}")
    page.keyboard.press("Tab")
    wait_for_app(page)


def screenshot(page: Page, name: str, showing: Locator, timeout_ms: float = 30_000) -> None:
    """A screenshot (in UI_SCREENSHOT_DIR) with `showing` scrolled into view; a rerun of the page can replace the
    element between finding it and scrolling to it, so that is tried again once the run is over."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        try:
            showing.first.scroll_into_view_if_needed(timeout=timeout_ms)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            wait_for_app(page)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
