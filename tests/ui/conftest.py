from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.support.databases import TestDatabases
from tests.ui.browser import streamlit_server
from tests.ui.playwright_pages import chromium_browser
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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at a desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()
