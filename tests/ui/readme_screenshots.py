"""The README's screenshots, from a realistically seeded stack (`infra.seed`, synthetic people) in a real browser.

    .venv/bin/python -m tests.ui.readme_screenshots      # writes docs/screenshots/*.png (needs PostgreSQL)

Not a test: the browser test in test_pages.py checks the pages; this only makes small pictures of them."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from PIL import Image

from infra.broker import LocalBroker, free_port
from infra.stack import development_keys
from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.matching.config import MatchingSettings
from services.matching.main import create_app as create_matching_app
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app as create_opportunities_app
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.support.databases import TestDatabases
from tests.support.live_server import live_server
from tests.support.services import running_relay
from tests.support.waiting import wait_for
from tests.ui.browser import REPO, Page, chromium, streamlit_server

TARGET = REPO / "docs" / "screenshots"


@contextmanager
def seeded_stack(tmp: Path) -> Iterator[dict[str, str]]:
    keys = development_keys().parent  # the services sign their calls to each other (data/keys, never committed)
    broker = LocalBroker(port=free_port(), log_path=tmp / "tansu.log")
    broker.start()
    databases = TestDatabases(tmp)
    common = {"kafka_bootstrap_servers": broker.bootstrap_servers, "environment": "test", "keys_dir": keys}
    profiles_db, opportunities_db = databases.new_url("profiles"), databases.new_url("opportunities")
    try:
        with ExitStack() as stack:
            urls = {"profiles": stack.enter_context(live_server(create_profiles_app(
                ProfilesSettings(database_url=profiles_db, **common))))}
            urls["opportunities"] = stack.enter_context(live_server(create_opportunities_app(OpportunitiesSettings(
                database_url=opportunities_db, profiles_url=urls["profiles"], **common))))
            # The seed finds the databases through the services' settings classes.
            os.environ.update({"PROFILES_DATABASE_URL": profiles_db, "OPPORTUNITIES_DATABASE_URL": opportunities_db})
            from infra.seed import seed_all

            print("\n".join(seed_all(show_progress=False)))
            urls["matching"] = stack.enter_context(live_server(create_matching_app(MatchingSettings(
                profiles_url=urls["profiles"], data_dir=tmp / "matching", consumer_name="matching-screenshots",
                embedder="torch", **common))))
            urls["events"] = stack.enter_context(live_server(create_events_app(EventsSettings(
                profiles_url=urls["profiles"], matching_url=urls["matching"], database_url=databases.new_url("events"),
                consumer_group="events-screenshots", **common))))
            stack.enter_context(running_relay("profiles", profiles_db, broker.bootstrap_servers))
            stack.enter_context(running_relay("opportunities", opportunities_db, broker.bootstrap_servers))
            for name in ("events", "matching"):
                wait_for(lambda url=urls[name]: httpx.get(url + "/ready", timeout=30).status_code == 200,
                         what=f"{name} ready", timeout=180, interval=2, ignoring=(httpx.HTTPError,))
            time.sleep(5)  # let the last events land
            yield urls
    finally:
        databases.drop_all()
        broker.stop()


# The box (left, top, right, bottom) from the h3 heading with this text to the last expander on the page.
SECTION_BOX = """(() => {
  const heading = [...document.querySelectorAll('h3')].find(e => e.innerText.includes('%s'));
  const top = heading.getBoundingClientRect(), main = heading.closest('[data-testid="stMainBlockContainer"]');
  const box = main.getBoundingClientRect();
  const last = [...document.querySelectorAll('[data-testid="stExpander"]')].pop().getBoundingClientRect();
  return [Math.floor(box.left) + 2, Math.floor(top.top) - 8, Math.ceil(box.right), Math.ceil(last.bottom) + 16];
})()"""


def _shoot(page: Page, name: str, folder: Path) -> Path:
    time.sleep(2)
    return page.screenshot(folder / f"{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        shots: list[Path] = []
        with seeded_stack(tmp) as urls:
            env = {f"UI_{name.upper()}_URL": url for name, url in urls.items()} | {"YG_ENV": "test"}
            (tmp / "profile").mkdir()
            with streamlit_server(env, tmp / "streamlit.log") as url, chromium(tmp / "profile") as page:
                page.viewport(1200, 800)
                page.goto(url)
                page.wait_for_text("Sign in as an adviser", timeout=60)
                page.click("button", "Sign in as an adviser")
                page.wait_for_text("most urgent first", timeout=60)
                shots.append(_shoot(page, "adviser_caseload", tmp))
                page.click("a", "Guarantee dashboard")
                page.wait_for_text("By priority group", timeout=60)
                shots.append(_shoot(page, "guarantee_dashboard", tmp))
                page.viewport(1200, 2400)  # the exposure audit is at the foot of the dashboard: shot, then cut out
                page.wait_for_text("Who the candidate lists show", "How the exposure is measured", timeout=120)
                shot = _shoot(page, "exposure_audit", tmp)
                with Image.open(shot) as image:
                    image.crop(tuple(page.evaluate(SECTION_BOX % "Who the candidate lists show"))).save(shot)
                shots.append(shot)
                page.viewport(1200, 800)
                page.click("button", "Sign out")
                page.wait_for_text("Sign in as a young person")
                page.click("a", "How suggestions are made")
                page.wait_for_text("What it never uses", "How well it works", timeout=60)
                shots.append(_shoot(page, "how_suggestions_are_made", tmp))
                page.goto(url)
                page.wait_for_text("Sign in as a young person", timeout=60)
                page.viewport(390, 844, mobile=True)
                page.click("button", "Sign in as a young person")
                page.wait_for_text("Why it could suit you", timeout=60)
                shots.append(_shoot(page, "young_person_phone", tmp))
        TARGET.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            with Image.open(shot) as image:
                small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
                small.save(TARGET / shot.name, optimize=True)
            print(f"{TARGET / shot.name}: {(TARGET / shot.name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
