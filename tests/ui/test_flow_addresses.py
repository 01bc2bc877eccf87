"""Staying signed in, and pages with their own address. An adviser reloads the page and is still signed in, on the
same person; opens a person, an opportunity and a referral straight from their addresses (as from a bookmark or a
colleague's message), in a new tab too; signing out ends it, and a reload does not sign them in again. An employer
opening an adviser's person address, or another employer's referral, is told it is not there and sees none of it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import jwt
from playwright.sync_api import Browser, Page, expect

from services.common.auth import Role
from tests.ui.playwright_pages import sign_in, wait_for_app
from tests.ui.stack import ADVISERS, OTHER_ADVISER, Stack

SLOW = 30_000


def _signed_in_as(page: Page, name: str) -> None:
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(name)


def test_a_reload_keeps_the_adviser_signed_in_on_the_same_person_until_they_sign_out(
    stack: Stack, ui_url: str, page: Page, browser: Browser
) -> None:
    sam = stack.seeded.people["sam"]
    sign_in(page, ui_url, "adviser", "adviser-1")
    page.goto(f"{ui_url}/person?person={sam['id']}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Sam Patel")).to_be_visible(timeout=SLOW)

    page.reload()
    wait_for_app(page)
    _signed_in_as(page, ADVISERS["adviser-1"]["name"])  # their record
    expect(page.get_by_role("heading", name="Sam Patel")).to_be_visible(timeout=SLOW)
    assert page.url.endswith(f"/person?person={sam['id']}")
    cookie = next(c for c in page.context.cookies() if c["name"] == "yg_session")
    assert cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert "yg_session" not in page.url and cookie["value"] not in page.url

    # Another person of the caseload, chosen on the page: the address follows, and opens them in a new tab.
    alex = stack.seeded.people["alex"]
    page.get_by_label("Young person").click()
    page.get_by_role("option", name="Alex Taylor").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Alex Taylor")).to_be_visible(timeout=SLOW)
    page.wait_for_url(f"**/person?person={alex['id']}", timeout=SLOW)
    other_tab = page.context.new_page()
    other_tab.goto(page.url)
    wait_for_app(other_tab)
    _signed_in_as(other_tab, ADVISERS["adviser-1"]["name"])
    expect(other_tab.get_by_role("heading", name="Alex Taylor")).to_be_visible(timeout=SLOW)
    other_tab.close()

    page.get_by_role("button", name="Sign out").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in as an adviser")).to_be_visible(timeout=SLOW)
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in as an adviser")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == "yg_session"]


def test_people_opportunities_and_referrals_open_from_their_addresses(
    stack: Stack, ui_url: str, page: Page
) -> None:
    casey = stack.seeded.people["casey"]  # another adviser's young person: advisers of the hub may open them
    job = stack.seeded.opportunities["workshop_experience"]
    referral = stack.call("opportunities", "POST", "/referrals", sub=OTHER_ADVISER, expect=201,
                          json={"profile_id": casey["id"], "opportunity_id": job["id"], "note": "Loves engines."})

    page.goto(f"{ui_url}/person?person={casey['id']}")  # signed out: the address waits for the sign-in
    sign_in_button = page.get_by_role("button", name="Sign in as an adviser")
    sign_in_button.wait_for(timeout=SLOW)
    sign_in_button.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Casey Brown")).to_be_visible(timeout=SLOW)

    page.goto(f"{ui_url}/opportunity?opportunity={job['id']}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Workshop work experience")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Referrals to it")).to_be_visible()

    page.goto(f"{ui_url}/referral?referral={referral['id']}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Referral")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Workshop work experience", exact=True)).to_be_visible()
    expect(page.get_by_text("Loves engines.")).to_be_visible()
    page.get_by_role("link", name="Open the young person's page").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Casey Brown")).to_be_visible(timeout=SLOW)

    page.goto(f"{ui_url}/person?person=00000000-0000-4000-8000-000000000000")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("heading", name="Casey Brown")).to_have_count(0)


def test_an_employer_is_refused_a_person_or_another_employers_referral_and_sees_none_of_it(
    stack: Stack, ui_url: str, page: Page
) -> None:
    casey = stack.seeded.people["casey"]
    cafe_job = stack.seeded.opportunities["cafe_job"]
    theirs = stack.call("opportunities", "POST", "/referrals", sub=OTHER_ADVISER, expect=201,
                        json={"profile_id": casey["id"], "opportunity_id": cafe_job["id"], "note": "Secret note."})
    stack.call("opportunities", "GET", f"/referrals/{theirs['id']}", role=Role.EMPLOYER,
               sub=stack.seeded.employers["garage"]["id"], expect=404)  # the service's own rule

    sign_in(page, ui_url, "employer", "Pennine Motors")
    for address in (f"/person?person={casey['id']}", f"/referral?referral={theirs['id']}",
                    f"/referrals?referral={theirs['id']}"):
        page.goto(ui_url + address)
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Not found")).to_be_visible(timeout=SLOW)
        _signed_in_as(page, "Pennine Motors Ltd")
        text = page.locator("[data-testid='stMain']").inner_text()
        for secret in ("Casey", "Brown", "Secret note.", casey["email"]):
            assert secret not in text, (address, secret)


def test_a_cookie_the_services_did_not_sign_signs_nobody_in(stack: Stack, ui_url: str, page: Page) -> None:
    """The UI only reads who a kept token names; the services check it. A forged one is refused and forgotten."""
    now = dt.datetime.now(dt.UTC)
    forged = jwt.encode({"role": "adviser", "sub": "adviser-1", "iss": "youth-guarantee", "iat": now,
                         "exp": now + dt.timedelta(hours=1)}, "not-the-platform-secret-but-long-enough-32b",
                        algorithm="HS256")
    host = urlparse(ui_url).hostname
    page.context.add_cookies([{"name": "yg_session", "value": forged, "domain": host, "path": "/"}])
    page.goto(f"{ui_url}/person?person={stack.seeded.people['sam']['id']}")
    expect(page.get_by_role("button", name="Sign in as an adviser")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    expect(page.get_by_role("heading", name="Sam Patel")).to_have_count(0)
    page.wait_for_function("() => !document.cookie.includes('yg_session=')", timeout=SLOW)
