from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from tests.support.databases import TestDatabases
from tests.ui.browser import streamlit_server
from tests.ui.playwright_pages import SCREENSHOTS, chromium_browser
from tests.ui.stack import Stack, stack_on_own_broker


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four real services, seeded, with the UI's settings (UI_*_URL) pointing at them for this module."""
    tmp = Path(tmp_path_factory.mktemp("ui-stack"))
    with stack_on_own_broker(databases, tmp) as live, pytest.MonkeyPatch.context() as patch:
        for name, value in live.ui_env().items():
            patch.setenv(name, value)
        yield live


@pytest.fixture(scope="module")
def ui_url(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run` of the real app, pointed at this module's services."""
    log = Path(tmp_path_factory.mktemp("streamlit")) / "streamlit.log"
    with streamlit_server(stack.ui_env(), log) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium_browser() as (_playwright, launched):
        yield launched


CALL_FAILED = pytest.StashKey[bool]()
MAIN = "[data-testid='stMain']"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at a desktop size. When the test fails, what the page showed is printed
    (and kept as a screenshot), so a failure in CI says what the person would have seen."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    opened = context.new_page()
    try:
        yield opened
        if request.node.stash.get(CALL_FAILED, False):
            _show_what_the_page_showed(opened, request.node.name)
    finally:
        context.close()


def _show_what_the_page_showed(page: Page, name: str) -> None:
    shot = SCREENSHOTS / f"failed_{name}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=shot, full_page=True)
        print(f"the page at {page.url} when the test failed (screenshot {shot}):\n{page.inner_text(MAIN)}")
    except PlaywrightError as err:
        print(f"the page could not be read after the failure: {err}")
