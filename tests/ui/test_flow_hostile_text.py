"""User text is shown as typed, never read as markdown. A posting titled like a tracking pixel and a phishing link,
and a young person whose name, skills and about are the same, are looked at by an adviser, the employer and the
young person in Chromium: the text is there, as typed, and no page has a link or an image from the hostile host,
nor sends it a single request (recorded in the browser and by a server standing in for the host)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from infra.broker import free_port
from infra.seed.synthetic import profile_create
from tests.ui.playwright_pages import choose, open_page, sign_in, wait_for_app
from tests.ui.stack import ADVISER, Stack

SLOW = 30_000


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        type(self).hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_host() -> Iterator[tuple[str, list[str]]]:
    """A server standing in for the attacker's host (on this machine), recording every request it gets."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Recorder)
    _Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    finally:
        server.shutdown()


def _hostile(host: str, what: str) -> str:
    return f"Great {what} ![x]({host}/{what}.png) [apply here]({host}/phish-{what}) {host}/bare-{what} :red[loud]"


def typed(text: str) -> re.Pattern[str]:
    """The text as typed, allowing invisible word joiners (U+2060) between its characters."""
    return re.compile("\u2060?".join(re.escape(character) for character in text))


def _check(page: Page, host: str, where: str, seen: dict[str, int]) -> None:
    wait_for_app(page)
    links = page.locator(f"a[href*='{host}']").count()
    images = page.locator(f"img[src*='{host}']").count()
    seen[where] = links + images


def test_hostile_titles_and_names_show_as_typed_with_no_link_and_no_request(
    stack: Stack, ui_url: str, browser: Browser, hostile_host: tuple[str, list[str]]
) -> None:
    host, hits = hostile_host
    body = {**stack.seeded.opportunities["cafe_job"], "title": _hostile(host, "job")}
    keep = ("employer_id", "type", "title", "sector", "postcode", "hours_per_week", "wage_per_hour", "start_date",
            "closing_date")
    draft = stack.call("opportunities", "POST", "/opportunities", expect=201, json={
        **{key: body[key] for key in keep}, "description": _hostile(host, "description"),
        "skills": ["customer service", f"![s]({host}/skill.png)"]})
    stack.call("opportunities", "POST", f"/opportunities/{draft['id']}/publish")
    person = stack.call("profiles", "POST", "/profiles", expect=201, json=profile_create(
        given_name=f"Jo ![n]({host}/name.png)", family_name=f"[Click]({host}/family)",
        skills=["customer service", f"[skill]({host}/skill)"], interests=["cafes"],
        about=_hostile(host, "about"), preferred_types=["job"]))

    requested: list[str] = []
    seen: dict[str, int] = {}

    def record(request: Request) -> None:
        if request.url.startswith(host):
            requested.append(request.url)

    @contextmanager
    def signed_in(role: str, name: str | None = None) -> Iterator[Page]:
        """A fresh browser profile for each role, every request it makes recorded."""
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(SLOW)
        context.on("request", record)
        try:
            page = context.new_page()
            sign_in(page, ui_url, role, name)
            yield page
        finally:
            context.close()

    with signed_in("adviser") as page:
        open_page(page, "Person")
        choose(page, "Young person", "Jo ![n]")
        name = typed(f"Jo ![n]({host}/name.png) [Click]({host}/family)")
        expect(page.get_by_text(name).first).to_be_visible(timeout=SLOW)
        expect(page.get_by_text(typed(f"[apply here]({host}/phish-about)"))).to_be_visible(timeout=SLOW)
        _check(page, host, "adviser: the person", seen)
        open_page(page, "Opportunities")
        page.get_by_text("List").first.click()
        _check(page, host, "adviser: opportunities", seen)

    with signed_in("employer", "Hatters Cafe") as page:
        expect(page.get_by_text(typed(f"[apply here]({host}/phish-job)")).first).to_be_visible(timeout=SLOW)
        _check(page, host, "employer: my opportunities", seen)

    with signed_in("young_person", "Jo ![n]") as page:
        expect(page.get_by_text(typed(f"Hi Jo ![n]({host}/name.png)!"))).to_be_visible(timeout=SLOW)
        _check(page, host, "young person: suggested", seen)
        open_page(page, "Browse")
        expect(page.get_by_text(typed(f"[apply here]({host}/phish-job)")).first).to_be_visible(timeout=SLOW)
        expect(page.get_by_text(typed(f"{host}/bare-description")).first).to_be_visible(timeout=SLOW)
        _check(page, host, "young person: browse", seen)
        open_page(page, "My profile")
        _check(page, host, "young person: my profile", seen)

    print(f"\nhostile text on {len(seen)} pages: {sum(seen.values())} links or images to the hostile host, "
          f"{len(requested)} requests to it from the browser, {len(hits)} arrived at it")
    assert person["given_name"].startswith("Jo ![n]") and person["adviser_id"] == ADVISER  # on the adviser's list
    assert seen == dict.fromkeys(seen, 0), seen
    assert requested == [] and hits == []
