"""The front end against the real services (PostgreSQL, the broker, the relays, the matcher), driven with AppTest."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image

from infra.seed.synthetic import birth_date_for_age
from services.common.auth import Role
from services.messaging import vocabulary
from tests.support.waiting import wait_for
from tests.ui.apptest import (
    PAGES,
    assert_clean,
    button,
    message_under,
    new_app,
    open_page,
    sign_in,
    texts,
    unescaped,
)
from tests.ui.browser import chromium, streamlit_server
from tests.ui.stack import ADVISER, Stack
from ui.streamlit import labels

DEMO_LABELS = {"adviser": "adviser-1", "employer": "Hatters Cafe", "young_person": "Alex Taylor"}


def test_sign_in_offers_the_demo_users_of_each_role(stack: Stack) -> None:
    at = new_app().run()
    assert_clean(at)
    assert at.title[0].value == "Youth Guarantee"
    assert at.selectbox(key="pick_adviser").options == [  # their records (tests/ui/stack.py ADVISERS)
        "Priya Shah (adviser-1, Stockport Central youth team)", "Tom Hughes (adviser-2, Stockport East youth team)"]
    employers = at.selectbox(key="pick_employer").options
    assert len(employers) == 2 and any("Hatters Cafe Ltd" in e for e in employers)
    people = " ".join(at.selectbox(key="pick_young_person").options)
    assert "Alex Taylor" in people and "Sam Patel" in people


@pytest.mark.parametrize("role", list(PAGES))
def test_each_page_renders_for_its_role(stack: Stack, role: str) -> None:
    at = sign_in(role, DEMO_LABELS[role])
    for page, title in PAGES[role].items():
        open_page(at, page)
        expected = title or "Hi Alex!"
        assert at.title[0].value == expected, (page, texts(at))
        assert not at.error, (page, [e.value for e in at.error])
    assert "Signed in as" in at.sidebar.markdown[0].value


@pytest.mark.parametrize("role", list(PAGES))
def test_a_role_never_sees_another_roles_pages(stack: Stack, role: str) -> None:
    at = sign_in(role, DEMO_LABELS[role])
    for other, pages in PAGES.items():
        if other == role:
            continue
        for page in pages:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)
    at.sidebar.button(key="sign_out").click().run()
    assert_clean(at)
    assert at.title[0].value == "Youth Guarantee"
    assert "signed_in" not in at.session_state
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(next(iter(PAGES[role])))


def test_register_form_shows_every_message_at_once_next_to_its_field_then_creates_the_profile(stack: Stack) -> None:
    family = f"Register{uuid.uuid4().hex[:6]}"
    at = open_page(sign_in("adviser", ADVISER), "views/register.py")
    at.text_input(key="reg_given_name").input("Robin")
    at.text_input(key="reg_family_name").input(family)
    at.text_input(key="reg_postcode").input("XYZ")
    at.text_input(key="reg_email").input("not-an-email")
    at.date_input(key="reg_date_of_birth").set_value(birth_date_for_age(12))
    button(at, "Register").click().run()
    assert_clean(at)
    # The service's own rule (the age range) comes with the shape errors, in one answer.
    assert message_under(at, "reg_postcode") == "Enter a UK postcode, like SK1 3XE ('XYZ' is not one)"
    assert "email address" in (message_under(at, "reg_email") or "")
    assert "ages 16 to 30" in (message_under(at, "reg_date_of_birth") or "")
    assert message_under(at, "reg_given_name") is None
    assert any("There are 3 problems to fix" in e.value for e in at.error), texts(at)
    assert stack.call("profiles", "GET", "/profiles", params={"q": family})["total"] == 0

    at.text_input(key="reg_postcode").input("sk1 3xe")
    at.text_input(key="reg_email").input("robin@example.org")
    at.date_input(key="reg_date_of_birth").set_value(birth_date_for_age(18))
    at.text_input(key="reg_skills").input("gardening, teamwork")
    at.selectbox(key="reg_qual_type_0").set_value("nvq_2")
    at.text_input(key="reg_qual_subject_0").input("Maths")
    at.multiselect(key="reg_priority_groups").select("care_leaver")
    button(at, "Register").click().run()
    assert_clean(at)
    assert any(f"Registered Robin {family}" in s.value for s in at.success), texts(at)
    assert at.text_input(key="reg1_given_name").value == ""  # a fresh, empty form
    found = stack.call("profiles", "GET", "/profiles", params={"q": family})["items"]
    assert len(found) == 1
    created = found[0]
    assert created["postcode"] == "SK1 3XE" and created["adviser_id"] == ADVISER
    assert created["skills"] == ["gardening", "teamwork"]
    assert created["qualifications"] == [{"type": "nvq_2", "level": "2", "subject": "Maths"}]
    assert created["priority_groups"] == ["care_leaver"]


def test_a_referral_made_on_the_person_page_appears_for_the_employer(stack: Stack) -> None:
    alex = stack.seeded.people["alex"]
    cafe_job = stack.seeded.opportunities["cafe_job"]
    at = open_page(sign_in("adviser", ADVISER), "views/person.py")
    at.selectbox(key="person_pick").set_value(alex["id"]).run()
    assert_clean(at)
    assert at.header[0].value == "Alex Taylor"
    shown = texts(at)
    assert "Cafe team member" in shown and "customer service, teamwork" in shown  # matched skills of the top match
    assert "On track" in shown  # the guarantee clock, in words
    at.selectbox(key=f"refer_target_{alex['id']}").set_value(cafe_job["id"]).run()
    at.text_area(key=f"refer_note_{alex['id']}").input("Friendly and reliable; keen on cafe work.")
    button(at, "Refer").click().run()
    assert_clean(at)
    assert any("Referred Alex Taylor to “Cafe team member” at Hatters Cafe Ltd." in unescaped(s.value)
               for s in at.success), \
        texts(at)
    assert "Referred" in texts(at)

    employer = sign_in("employer", "Hatters Cafe")
    open_page(employer, "views/referrals.py")
    shown = texts(employer)
    assert "**Alex Taylor** — Cafe team member" in shown  # consent given: the name shows
    assert "Friendly and reliable" in shown
    referral = next(r for r in stack.call("opportunities", "GET", "/referrals", params={"profile_id": alex["id"]})
                    ["items"] if r["opportunity_id"] == cafe_job["id"])

    # Unsuccessful needs feedback: the service says so next to the field; then it goes through.
    employer.selectbox(key=f"move_status_{referral['id']}").set_value("unsuccessful")
    button(employer, "Update").click().run()
    assert_clean(employer)
    assert "feedback goes to the young person" in (message_under(employer, f"move_feedback_{referral['id']}") or "")
    employer.selectbox(key=f"move_status_{referral['id']}").set_value("unsuccessful")
    employer.text_area(key=f"move_feedback_{referral['id']}").input("We chose someone with barista experience.")
    button(employer, "Update").click().run()
    assert_clean(employer)
    assert "Not successful" in texts(employer)
    assert stack.call("opportunities", "GET", f"/referrals/{referral['id']}")["status"] == "unsuccessful"

    # The young person reads it in their own words.
    person = sign_in("young_person", "Alex Taylor")
    assert "Not this time" in texts(person)
    assert "barista experience" in texts(person)


def test_the_adviser_dismisses_a_suggestion_with_a_reason_and_says_why_when_referring_outside_the_top(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam = stack.seeded.people["sam"]["id"]
    at = open_page(sign_in("adviser", ADVISER), "views/person.py")
    at.selectbox(key="person_pick").set_value(sam).run()
    assert_clean(at)
    served = at.session_state[f"served_{sam}"][1]
    first = served["matches"][0]
    assert len(served["matches"]) >= 2, served
    at.selectbox(key=f"dismiss_{sam}_{first['opportunity_id']}_reason").set_value("employer_not_suitable")
    at.text_input(key=f"dismiss_{sam}_{first['opportunity_id']}_words").input("No step-free access to the workshop")
    button(at, "Dismiss this suggestion").click().run()
    assert_clean(at)
    assert any("will not be suggested to Sam Patel again" in unescaped(s.value) for s in at.success), texts(at)
    [dismissal] = stack.call("opportunities", "GET", "/dismissals", params={"profile_id": sam})["items"]
    assert (dismissal["opportunity_id"], dismissal["suggestion"]) == (first["opportunity_id"], {
        "list_id": served["list_id"], "rank": 1, "reason": "employer_not_suitable",
        "words": "No step-free access to the workshop"})
    assert "Dismissed suggestions (1)" in texts(at)

    # Referring to a suggestion below the top asks why (the top made 1 here, so that any suggestion but the first
    # is below it); the referral keeps the list, the rank and the reason.
    monkeypatch.setattr(vocabulary, "TOP_SUGGESTIONS", 1)
    served = at.session_state[f"served_{sam}"][1]
    ranks = {match["opportunity_id"]: rank for rank, match in enumerate(served["matches"], start=1)}
    target = next(oid for oid, rank in ranks.items() if rank > 1 and oid != first["opportunity_id"])
    at.selectbox(key=f"refer_target_{sam}").set_value(target).run()
    assert f"This was suggestion {ranks[target]}, outside the top 1." in texts(at)
    at.selectbox(key=f"refer_{sam}_reason").set_value("other")
    at.text_input(key=f"refer_{sam}_words").input("He asked for this one by name")
    button(at, "Refer").click().run()
    assert_clean(at)
    made = next(r for r in stack.call("opportunities", "GET", "/referrals", params={"profile_id": sam})["items"]
                if r["opportunity_id"] == target)
    assert made["suggestion"] == {"list_id": served["list_id"], "rank": ranks[target], "reason": "other",
                                  "words": "He asked for this one by name"}

    # The dashboard shows the decisions back, for the adviser's own and for the town.
    open_page(at, "views/dashboard.py")
    assert "Going against the suggestions" in texts(at)
    at.segmented_control(key="dash_scope").set_value("mine").run()
    assert_clean(at)
    mine = stack.call("events", "GET", "/oversight/summary", params={"adviser": ADVISER})
    assert mine["figures"]["lists_served"] >= 1


def test_an_employer_sees_no_details_without_consent(stack: Stack) -> None:
    sam = stack.seeded.people["sam"]
    garage_job = stack.seeded.opportunities["mechanic_apprentice"]
    stack.call("opportunities", "POST", "/referrals", expect=201,
               json={"profile_id": sam["id"], "opportunity_id": garage_job["id"], "note": "Loves engines."})
    at = open_page(sign_in("employer", "Pennine Motors"), "views/referrals.py")
    shown = texts(at)
    assert "**Name not shared** — Vehicle technician apprentice" in shown
    assert "Sam" not in shown and "Patel" not in shown and "Loves engines" not in shown


def test_a_young_persons_interest_reaches_the_adviser(stack: Stack) -> None:
    kitchen = stack.seeded.opportunities["kitchen_apprentice"]
    at = sign_in("young_person", "Jordan Lee")
    assert at.title[0].value == "Hi Jordan!"
    shown = texts(at)
    assert "You listed cooking and teamwork. This apprenticeship asks for both." in shown, shown
    assert "It's an apprenticeship, which you said you want." in shown
    interested = [b for b in at.button if b.key == f"suggested_{kitchen['id']}"]
    assert interested, [b.key for b in at.button]
    interested[0].click().run()
    assert_clean(at)
    assert any("told your adviser" in s.value for s in at.success), texts(at)

    adviser = sign_in("adviser", ADVISER)  # lands on the caseload
    shown = texts(adviser)
    assert "Jordan Lee** is interested in **Kitchen apprentice" in shown, shown
    button(adviser, "Open their page").click().run()
    assert_clean(adviser)
    assert adviser.header[0].value == "Jordan Lee"
    jordan = stack.seeded.people["jordan"]["id"]
    assert "Kitchen apprentice — Hatters Cafe Ltd (asked for this)" in adviser.selectbox(
        key=f"refer_target_{jordan}").options


def test_publishing_says_plainly_which_rules_fail(stack: Stack) -> None:
    title = f"Barista apprentice {uuid.uuid4().hex[:4]}"
    at = open_page(sign_in("employer", "Hatters Cafe"), "views/my_opportunities.py")
    at.text_input(key="new_opp_title").input(title)
    at.selectbox(key="new_opp_type").set_value("apprenticeship")
    at.text_area(key="new_opp_description").input("Make great coffee and learn to run a cafe.")
    at.text_input(key="new_opp_skills").input("customer service, coffee")
    at.number_input(key="new_opp_wage").set_value(5.0)
    at.number_input(key="new_opp_level").set_value(2)
    button(at, "Save draft").click().run()
    assert_clean(at)
    assert any(f"Saved the draft “{title}”" in s.value for s in at.success), texts(at)
    draft = next(o for o in stack.call("opportunities", "GET",
                                       f"/employers/{stack.seeded.employers['cafe']['id']}/opportunities",
                                       role=Role.EMPLOYER, sub=stack.seeded.employers["cafe"]["id"])["items"]
                 if o["title"] == title)
    assert "Draft: not public yet" in texts(at)
    at.button(key=f"publish_{draft['id']}").click().run()
    assert_clean(at)
    failure = next(e.value for e in at.error if "can't go live yet" in e.value)
    assert "**Wage per hour**: £5.00 an hour is below the apprentice rate" in failure, failure
    assert stack.call("opportunities", "GET", f"/opportunities/{draft['id']}")["status"] == "draft"


def test_a_service_that_is_down_gives_a_message_not_a_traceback(stack: Stack, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    at = sign_in("adviser", ADVISER)
    monkeypatch.setenv("UI_EVENTS_URL", "http://127.0.0.1:9")  # nothing listens there
    open_page(at, "views/dashboard.py")
    assert any("guarantee figures service isn't answering" in e.value for e in at.error), texts(at)
    open_page(at, "views/caseload.py")
    assert any("Guarantee clocks are not shown" in w.value for w in at.warning), texts(at)
    assert "Alex Taylor" in list(at.dataframe[0].value["Name"])


def test_suggestions_that_cannot_be_fetched_say_so_and_give_no_advice_about_the_profile(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UI_MATCHING_URL", "http://127.0.0.1:9")  # nothing listens there
    at = sign_in("young_person", "Alex Taylor")
    shown = texts(at)
    said = "We can't show your suggestions. The suggestions service isn't answering"
    assert any(said in w.value for w in at.warning), shown
    assert "No suggestions yet" not in shown  # "add more skills" would not help: nothing was asked


def test_the_caseload_puts_people_and_their_clock_in_words(stack: Stack) -> None:
    wait_for(lambda: stack.call("events", "GET", "/guarantee", params={"adviser": ADVISER})["total"] >= 3,
             what="clocks of the seeded caseload", timeout=60, ignoring=(httpx.HTTPError,))
    at = sign_in("adviser", ADVISER)
    table = at.dataframe[0].value
    names = set(table["Name"])
    assert {"Alex Taylor", "Sam Patel", "Jordan Lee"} <= names and "Casey Brown" not in names  # adviser-2's
    assert set(table["Guarantee"]) <= {"On track", "At risk", "Overdue", "No clock yet"}
    assert "On track" in set(table["Guarantee"])
    at.text_input(key="caseload_search").input("car maintenance").run()
    assert list(at.dataframe[0].value["Name"]) == ["Sam Patel"]


def test_the_dashboard_shows_the_exposure_audit_as_published_never_a_hidden_figure(stack: Stack) -> None:
    audit = stack.call("events", "GET", "/exposure")  # made now and kept: the page reads the same audit
    at = open_page(sign_in("adviser", ADVISER), "views/dashboard.py")
    table = next(frame.value for frame in at.dataframe if "Share of exposure" in frame.value.columns)
    overall = audit["kinds"][0]
    assert overall["type"] == "all"
    rows = {row["Group"]: row for row in table.to_dict("records")}
    assert len(rows) == len(overall["groups"])
    hidden = 0
    for group in overall["groups"]:
        row = rows[labels.PRIORITY_GROUPS[group["group"]]]
        if group["people"]["suppressed"]:
            hidden += 1
            assert [row[c] for c in ("Eligible people", "Share of eligible", "Share of exposure", "Ratio")] == [
                "hidden"] * 4, row
        else:
            assert row["Eligible people"] == f"{group['people']['value']:.0f}"
    assert hidden, "the seeded town is small: its groups are hidden"
    assert "eligible young people" in texts(at)


def _non_trivial_png(path: Path, width: int, height: int) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as image:
        assert image.size == (width, height), (path, image.size)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50, f"{path} is nearly blank ({len(colours)} colours)"
    assert len(data) > 15_000, f"{path} is suspiciously small ({len(data)} bytes)"


def test_a_real_browser_loads_the_main_pages(stack: Stack, tmp_path: Path) -> None:
    """Headless Chromium against `streamlit run`: sign in with the keyboard only, open pages, take screenshots."""
    shots: dict[str, Path] = {}
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with streamlit_server(stack.ui_env(), tmp_path / "streamlit.log") as url, chromium(profile) as page:
        page.viewport(1200, 800)
        page.goto(url)
        page.wait_for_text("Sign in as a demo user", "Sign in as an adviser", timeout=60)
        shots["sign_in"] = page.screenshot(tmp_path / "sign_in.png")
        page.tab_to("Sign in as an adviser")  # the keyboard reaches it...
        page.press("Enter", "Enter", 13, "\r")  # ...and works it
        page.wait_for_text("Caseload", "most urgent first", "On track")
        time.sleep(1)  # let the table paint
        shots["adviser_caseload"] = page.screenshot(tmp_path / "adviser_caseload.png")

        page.click("a", "Opportunities")
        page.wait_for_text("Search words", "Sort by", "Apprenticeship", "pins show the postcode area")
        time.sleep(2)  # the map draws on a canvas
        shots["adviser_map"] = page.screenshot(tmp_path / "adviser_map.png")

        page.click("a", "Guarantee dashboard")
        page.wait_for_text("Guarantee dashboard", "By priority group", "Outcomes")
        assert "Traceback" not in page.text()

        page.click("button", "Sign out")
        page.wait_for_text("Sign in as a young person")
        page.viewport(390, 844, mobile=True)  # a phone
        page.click("button", "Sign in as a young person")
        text = page.wait_for_text("Why it could suit you", "I'm interested", "My applications")
        assert "Traceback" not in text
        time.sleep(1)
        shots["young_person_phone"] = page.screenshot(tmp_path / "young_person_phone.png")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"

    sizes = {"sign_in": (1200, 800), "adviser_caseload": (1200, 800), "adviser_map": (1200, 800),
             "young_person_phone": (390, 844)}
    for name, path in shots.items():
        _non_trivial_png(path, *sizes[name])


@pytest.mark.parametrize(("who", "name", "sees_name"), [("alex", "Alex Taylor", True), ("sam", "Sam Patel", False)])
def test_my_profile_shows_what_an_employer_could_see_as_the_profiles_service_says(
    stack: Stack, who: str, name: str, sees_name: bool
) -> None:
    at = open_page(sign_in("young_person", name), "views/my_profile.py")
    shown = texts(at)
    assert "What an employer could see" in shown
    if sees_name:
        assert f"**Name** {name}" in shown, shown
    else:
        assert "**Nothing about you.**" in shown and "**Name**" not in shown, shown


def test_a_young_person_sees_who_has_looked_at_their_details(stack: Stack) -> None:
    jordan = stack.seeded.people["jordan"]["id"]
    stack.call("profiles", "GET", f"/profiles/{jordan}", sub="adviser-2")  # an adviser's look, recorded

    def listed() -> bool:
        at = open_page(sign_in("young_person", "Jordan Lee"), "views/my_profile.py")
        return "**Adviser adviser-2** looked at your profile" in texts(at)

    wait_for(listed, what="the adviser's look on Jordan's profile page", timeout=90, interval=2.0)
    other = open_page(sign_in("young_person", "Casey Brown"), "views/my_profile.py")
    assert "Who has looked at your details" in texts(other)
    assert "**Adviser adviser-2** looked at your profile" not in texts(other)  # Jordan's looks are Jordan's
