"""People, as advisers, employers and young people meet them on the pages. An adviser registers someone (choosing
"GCSE grade 4 to 9" for their English); the form empties and links to the new person; entering the same person
again names who they look like and their adviser; a twin goes through with a reason the audit log keeps. A form
with several mistakes shows them all at once, summed up at the top with links to the fields. An employer sees who
referred each person and how to reach them; a young person sees who their adviser is. A saved posting empties its
form. A young person chooses their own qualifications with the register form's chooser."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from infra.seed.synthetic import birth_date_for_age
from services.common.auth import Role
from tests.support.waiting import wait_for
from tests.ui.playwright_pages import choose, fill_date, open_page, sign_in, wait_for_app
from tests.ui.stack import ADVISER, ADVISERS, Stack
from ui.streamlit import labels

SLOW = 30_000
PRIYA = ADVISERS[ADVISER]


def _fill_person(page: Page, given: str, family: str, born: dt.date) -> None:
    wait_for_app(page)  # a message seen may be the run's first output: its form shows twice until the run ends
    page.get_by_label("First name *").fill(given)
    page.get_by_label("Last name *").fill(family)
    fill_date(page, "Date of birth *", born.day, born.month, born.year)
    page.get_by_label("Postcode *").fill("sk2 6aa")
    page.get_by_label("Postcode *").press("Tab")


def _register(page: Page, name: str = "Register") -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)


def _registered(stack: Stack, family: str) -> list[dict[str, Any]]:
    return list(stack.call("profiles", "GET", "/profiles", params={"q": family})["items"])


def test_a_person_registered_twice_is_named_with_their_adviser_and_a_twin_goes_through_with_a_reason(
    stack: Stack, ui_url: str, page: Page
) -> None:
    family = f"Twin{uuid.uuid4().hex[:5]}"
    born = birth_date_for_age(18)
    sign_in(page, ui_url, "adviser", ADVISER)
    expect(page.get_by_text(f"Signed in as {PRIYA['name']}")).to_be_visible()  # the adviser's record
    open_page(page, "Register a young person")
    _fill_person(page, "Jess", family, born)
    choose(page, "Qualification 1", "GCSE grade 4 to 9")
    page.get_by_label("Subject 1").fill("English")
    page.get_by_label("Subject 1").press("Tab")
    _register(page)
    expect(page.get_by_text(f"Registered Jess {family}")).to_be_visible(timeout=SLOW)
    (first,) = _registered(stack, family)
    assert first["qualifications"] == [{"type": "gcse_4_9", "level": "2", "subject": "English"}]
    # The form is empty again, so pressing Register once more registers nobody.
    expect(page.get_by_label("First name *")).to_have_value("")
    expect(page.get_by_label("Subject 1")).to_have_value("")
    _register(page)
    expect(page.get_by_text("Enter a first name").first).to_be_visible(timeout=SLOW)
    assert len(_registered(stack, family)) == 1

    # The same person entered again: named, with their adviser and how to reach them; nobody new.
    _fill_person(page, "Jess", family, born)
    _register(page)
    warning = page.locator("[data-testid='stAlert']").filter(has_text="This looks like someone already registered")
    expect(warning).to_contain_text(f"Jess {family}", timeout=SLOW)
    expect(warning).to_contain_text(f"born {labels.day(born)}")
    expect(warning).to_contain_text(f"adviser {PRIYA['name']} ({PRIYA['team']}, {PRIYA['email']}, {PRIYA['phone']})")
    expect(warning).to_contain_text("same name and date of birth")
    expect(page.get_by_role("button", name=f"Open Jess {family}'s page")).to_be_visible()
    assert len(_registered(stack, family)) == 1

    # A twin: registered anyway, with the reason kept in the audit log.
    reason = f"Twins: Jess and her sister share a name; checked both birth certificates ({family})"
    page.get_by_label("Why is this a different person?").fill(reason)
    page.get_by_label("Why is this a different person?").press("Tab")
    _register(page, "Register anyway")
    expect(page.get_by_text(f"Registered Jess {family}")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("This looks like someone already registered")).to_have_count(0)
    twins = _registered(stack, family)
    assert len(twins) == 2
    (second,) = [person for person in twins if person["id"] != first["id"]]

    def audit() -> list[dict[str, Any]]:
        return list(stack.call("events", "GET", "/events", params={
            "aggregate_id": second["id"], "event_type": "profile.registered"})["items"])

    (registered,) = wait_for(audit, until=bool, what="the registration in the audit log", timeout=30,
                             ignoring=(httpx.HTTPError, AssertionError))
    assert registered["payload"]["duplicate_override"] == {
        "reason": reason, "similar_to": [first["id"]], "by_adviser": ADVISER}

    page.get_by_role("link", name="Open Jess's page").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"Jess {family}")).to_be_visible(timeout=SLOW)


def test_the_person_a_new_registration_looks_like_is_one_click_away(stack: Stack, ui_url: str, page: Page) -> None:
    casey = stack.seeded.people["casey"]  # Tom Hughes's (adviser-2), not on this adviser's caseload
    sign_in(page, ui_url, "adviser", ADVISER)
    open_page(page, "Register a young person")
    _fill_person(page, "casey", " brown ", dt.date.fromisoformat(casey["date_of_birth"]))
    _register(page)
    warning = page.locator("[data-testid='stAlert']").filter(has_text="This looks like someone already registered")
    tom = ADVISERS["adviser-2"]
    expect(warning).to_contain_text(f"Casey Brown, born {labels.day(casey['date_of_birth'])}, adviser {tom['name']}",
                                    timeout=SLOW)
    page.get_by_role("button", name="Open Casey Brown's page").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Casey Brown")).to_be_visible(timeout=SLOW)
    assert len(_registered(stack, "Brown")) == 1


def test_every_mistake_shows_at_once_with_a_summary_at_the_top_linking_to_each_field(
    stack: Stack, ui_url: str, page: Page
) -> None:
    family = f"Errors{uuid.uuid4().hex[:5]}"
    too_young = birth_date_for_age(13)
    sign_in(page, ui_url, "adviser", ADVISER)
    open_page(page, "Register a young person")
    page.get_by_label("Last name *").fill(family)
    fill_date(page, "Date of birth *", too_young.day, too_young.month, too_young.year)
    page.get_by_label("Email").fill("jess-at-example")
    page.get_by_label("Subject 1").fill("Maths")
    page.get_by_label("Subject 1").press("Tab")
    _register(page)

    summary = page.locator("[data-testid='stAlert']").filter(has_text="problems to fix")
    expect(summary).to_contain_text("There are 5 problems to fix", timeout=SLOW)
    for line in ("First name: Enter a first name", "Postcode: Enter a postcode",
                 "Date of birth: The Youth Guarantee is for ages 16 to 30 on the day they register: this date of "
                 "birth makes them 13", "Email: That doesn't look like an email address",
                 "Qualifications: Choose the qualification (like GCSE grade 4 to 9) or give its level"):
        expect(summary).to_contain_text(line)
    for raw in ("given_name", "date_of_birth", "'' is not a UK postcode", "String should"):
        expect(summary).not_to_contain_text(raw)
    # At the top: above the form's first field.
    summary_box, first_field = summary.bounding_box(), page.get_by_label("First name *").bounding_box()
    assert summary_box is not None and first_field is not None and summary_box["y"] < first_field["y"]
    # Each message is under its field too, and the summary links to it.
    under = page.locator("[data-testid='stAlert']").filter(has_text="this date of birth makes them 13")
    expect(under).to_have_count(2)
    link = summary.get_by_role("link", name="Postcode: Enter a postcode")
    expect(link).to_have_attribute("href", "#problem-postcode")
    link.click()
    expect(page.locator("#problem-postcode")).to_be_attached()
    assert page.evaluate("location.hash") == "#problem-postcode"
    assert _registered(stack, family) == []


def test_an_employer_sees_who_referred_each_person_and_how_to_reach_them(
    stack: Stack, ui_url: str, page: Page
) -> None:
    kitchen = stack.seeded.opportunities["kitchen_apprentice"]["id"]
    for key in ("jordan", "sam"):  # Jordan shares their details with employers, Sam does not
        stack.call("profiles", "PATCH", f"/profiles/{stack.seeded.people[key]['id']}",
                   json={"consent_share_with_employers": key == "jordan"})
        stack.call("opportunities", "POST", "/referrals", expect=201, json={
            "profile_id": stack.seeded.people[key]["id"], "opportunity_id": kitchen, "note": "Keen to cook."})
    sign_in(page, ui_url, "employer", "Hatters Cafe")
    open_page(page, "Referrals")
    cards = page.get_by_test_id("stLayoutWrapper").filter(has_text="Kitchen apprentice").filter(
        has_text="Referred by")
    expect(page.get_by_text("Jordan Lee").first).to_be_visible(timeout=SLOW)
    for name in ("Jordan Lee", "Name not shared"):
        card = cards.filter(has_text=name).last
        expect(card).to_contain_text(f"Referred by {PRIYA['name']}, {PRIYA['team']}")
        expect(card).to_contain_text(f"Email {PRIYA['email']} · phone {PRIYA['phone']}")
    expect(page.get_by_text("(adviser-1)")).to_have_count(0)


def test_a_young_person_sees_who_their_adviser_is(stack: Stack, ui_url: str, page: Page) -> None:
    sign_in(page, ui_url, "young_person", "Alex Taylor")
    open_page(page, "My profile")
    adviser = page.get_by_test_id("stMarkdown").filter(has_text="Your adviser is")
    expect(adviser).to_contain_text(f"Your adviser is {PRIYA['name']} ({PRIYA['team']})", timeout=SLOW)
    expect(adviser).to_contain_text(f"Email {PRIYA['email']} · phone {PRIYA['phone']}")


def test_a_saved_posting_empties_the_form(stack: Stack, ui_url: str, page: Page) -> None:
    title = f"Pot wash {uuid.uuid4().hex[:4]}"
    sign_in(page, ui_url, "employer", "Hatters Cafe")
    open_page(page, "My opportunities")
    page.get_by_text("Post a new opportunity").click(timeout=SLOW)
    page.get_by_label("Title *").fill(title)
    page.get_by_label("Description *").fill("Keep the kitchen's pots and pans clean.")
    page.get_by_label("Description *").press("Tab")
    page.get_by_role("button", name="Save draft").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Saved the draft “{title}”")).to_be_visible(timeout=SLOW)
    new = page.get_by_test_id("stExpander").filter(has_text="Post a new opportunity")
    expect(new.get_by_label("Title *")).to_have_value("")
    expect(new.get_by_label("Description *")).to_have_value("")
    expect(page.get_by_test_id("stExpander").filter(has_text="Edit draft").get_by_label("Title *")).to_have_value(
        title)
    listed = stack.call("opportunities", "GET", f"/employers/{stack.seeded.employers['cafe']['id']}/opportunities",
                        role=Role.EMPLOYER, sub=stack.seeded.employers["cafe"]["id"])["items"]
    assert [item["title"] for item in listed].count(title) == 1


def test_reasons_name_fitting_interests_and_keep_what_to_learn_apart(
    stack: Stack, ui_url: str, page: Page, browser: Browser
) -> None:
    sign_in(page, ui_url, "young_person", "Alex Taylor")  # skills: customer service, teamwork; likes cafes, food
    card = page.get_by_test_id("stLayoutWrapper").filter(has_text="Cafe team member").filter(
        has_text="Why it could suit you").last
    expect(card).to_contain_text("You listed customer service and teamwork. This job asks for both.", timeout=SLOW)
    expect(card).to_contain_text("You said you're interested in cafes and food: this job is about that.")
    expect(card).to_contain_text("To learn food hygiene")
    expect(card).not_to_contain_text("more thing")
    reasons = card.get_by_role("listitem")
    expect(reasons.filter(has_text="food hygiene")).to_have_count(0)  # a gap is not a reason

    adviser = browser.new_context(viewport={"width": 1280, "height": 900})  # a browser of their own
    page = adviser.new_page()
    sign_in(page, ui_url, "adviser", ADVISER)
    open_page(page, "Person")
    choose(page, "Young person", "Alex Taylor")
    details = page.get_by_test_id("stExpander").filter(has_text="Cafe team member").first
    expect(details).to_contain_text("interested in cafes, food", timeout=SLOW)
    expect(details).to_contain_text("Interests that fit cafes, food")
    expect(details).to_contain_text("To learn food hygiene")
    for wrong in ("shares", "0 of", "Missing skills"):
        expect(details).not_to_contain_text(wrong)
    adviser.close()


def test_an_employer_is_told_in_words_that_kitchen_work_cannot_be_remote(
    stack: Stack, ui_url: str, page: Page
) -> None:
    title = f"Remote chef {uuid.uuid4().hex[:4]}"
    sign_in(page, ui_url, "employer", "Hatters Cafe")
    open_page(page, "My opportunities")
    page.get_by_text("Post a new opportunity").click(timeout=SLOW)
    new = page.get_by_test_id("stExpander").filter(has_text="Post a new opportunity")
    new.get_by_label("Title *").fill(title)
    new.get_by_label("Description *").fill("Cook lunches for our cafe.")
    new.get_by_text("Can be done from home").click()
    new.get_by_role("button", name="Save draft").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Saved the draft “{title}”")).to_be_visible(timeout=SLOW)
    draft = next(item for item in stack.call(
        "opportunities", "GET", f"/employers/{stack.seeded.employers['cafe']['id']}/opportunities",
        role=Role.EMPLOYER, sub=stack.seeded.employers["cafe"]["id"])["items"] if item["title"] == title)
    page.locator(f".st-key-publish_{draft['id']}").get_by_role("button", name="Publish").click()
    wait_for_app(page)
    failure = page.locator("[data-testid='stAlert']").filter(has_text="This can't go live yet")
    expect(failure).to_contain_text("Remote: Kitchen and hospitality work can't be done from home, so it can't be "
                                    "remote", timeout=SLOW)


def test_a_young_person_chooses_their_qualifications_as_the_register_form_does(
    stack: Stack, ui_url: str, page: Page
) -> None:
    jordan = stack.seeded.people["jordan"]["id"]  # no qualifications yet
    sign_in(page, ui_url, "young_person", "Jordan Lee")
    open_page(page, "My profile")
    form = page.get_by_test_id("stForm")
    expect(form.get_by_label("Subject 1")).to_have_value("", timeout=SLOW)
    choose(page, "Qualification 1", "GCSE grade 4 to 9")
    form.get_by_label("Subject 1").fill("English")
    choose(page, "Qualification 2", "Level 3: another qualification")
    form.get_by_label("Subject 2").fill("Art")
    form.get_by_label("Subject 2").press("Tab")
    form.get_by_role("button", name="Save").click()
    wait_for_app(page)
    expect(page.get_by_text("Saved! Your suggestions will update")).to_be_visible(timeout=SLOW)
    saved = stack.call("profiles", "GET", f"/profiles/{jordan}")
    assert saved["qualifications"] == [{"type": "gcse_4_9", "level": "2", "subject": "English"},
                                       {"level": "3", "subject": "Art"}]

    # Opened again, the form shows them as chosen; saving it untouched changes nothing.
    page.reload()
    wait_for_app(page)
    form = page.get_by_test_id("stForm")
    expect(form.get_by_label("Subject 1")).to_have_value("English", timeout=SLOW)
    expect(form.get_by_label("Subject 2")).to_have_value("Art")
    expect(form.get_by_label("Subject 3")).to_have_value("")
    expect(form.get_by_label("Qualification 1")).to_have_value("GCSE grade 4 to 9 (A* to C)")
    expect(form.get_by_label("Qualification 2")).to_have_value("Level 3: another qualification")
    form.get_by_role("button", name="Save").click()
    wait_for_app(page)
    expect(page.get_by_text("Nothing changed.")).to_be_visible(timeout=SLOW)
    assert stack.call("profiles", "GET", f"/profiles/{jordan}")["version"] == saved["version"]


def test_an_adviser_sees_who_each_persons_adviser_is_and_how_to_reach_them(
    stack: Stack, ui_url: str, page: Page
) -> None:
    sign_in(page, ui_url, "adviser", ADVISER)
    open_page(page, "Person")
    choose(page, "Young person", "Alex Taylor")
    adviser = page.get_by_test_id("stMarkdown").filter(has_text="Their adviser is")
    expect(adviser).to_contain_text(f"Their adviser is {PRIYA['name']} ({PRIYA['team']})", timeout=SLOW)
    expect(adviser).to_contain_text(f"Email {PRIYA['email']} · phone {PRIYA['phone']}")
    # Someone on another adviser's caseload, opened by the page's address.
    casey = stack.seeded.people["casey"]["id"]
    page.goto(f"{ui_url}/person?person={casey}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Casey Brown")).to_be_visible(timeout=SLOW)
    tom = ADVISERS["adviser-2"]
    adviser = page.get_by_test_id("stMarkdown").filter(has_text="Their adviser is")
    expect(adviser).to_contain_text(f"Their adviser is {tom['name']} ({tom['team']})", timeout=SLOW)
    expect(adviser).to_contain_text(f"Email {tom['email']} · phone {tom['phone']}")
