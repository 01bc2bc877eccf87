from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from infra.broker import LocalBroker, free_port
from tests.support.databases import TestDatabases
from tests.ui.browser import streamlit_server
from tests.ui.playwright_pages import chromium_browser
from tests.ui.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four real services, seeded, with the UI's settings (UI_*_URL) pointing at them for this module, on a
    broker of their own: the matcher reads its topics from the start, and events other tests put on a shared
    broker would show on the pages as matches this opportunities service does not know."""
    tmp = Path(tmp_path_factory.mktemp("ui-stack"))
    broker = LocalBroker(port=free_port(), log_path=tmp / "tansu.log")
    broker.start()
    try:
        with running_stack(databases, broker.bootstrap_servers, tmp) as live, pytest.MonkeyPatch.context() as patch:
            for name, value in live.ui_env().items():
                patch.setenv(name, value)
            yield live
    finally:
        broker.stop()


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
