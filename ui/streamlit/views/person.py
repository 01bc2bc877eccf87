"""Adviser: one young person: profile, guarantee clock, top matches with reasons, referrals, and Refer."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.oversight import outside_the_top, reason_fields
from ui.streamlit.reasons import beyond_label, beyond_reach, skills_with_esco, too_few_notice
from ui.streamlit.widgets import (
    SUCCESS_ICON,
    addressed_id,
    adviser_contact,
    feedback_label,
    flash,
    guarantee_badge,
    held_back_note,
    not_found,
    opportunity_card,
    require,
    screening_warnings,
    show_flash,
    status_badge,
)

SERVED_FOR_SECONDS = 60.0
user = require(Role.ADVISER)
config = session.settings()
client = session.api(config)
st.title("Person")
show_flash()

addressed = addressed_id("person")
if addressed == "":
    not_found("young person")
caseload = session.attempt(lambda: client.all_profiles(adviser_id=user.sub), spinner="Loading your caseload...")
if caseload is None:
    st.stop()
options = {person["id"]: person for person in caseload}
wanted = addressed or st.session_state.get("person_id")
if wanted and wanted not in options:
    try:
        options = {(extra := client.profile(str(wanted)))["id"]: extra, **options}
    except ServiceError as err:
        if addressed and err.status in (403, 404):
            not_found("young person")
        if addressed:
            session.show_error(err)
            st.stop()
        wanted = None
if not options:
    st.info("You have no young people yet. Use “Register a young person” to add someone.")
    st.stop()
ids = list(options)
if wanted in options and st.session_state.get("person_pick") != wanted:
    st.session_state["person_pick"] = wanted


def _picked() -> None:
    st.query_params["person"] = st.session_state["person_pick"]


profile_id = st.selectbox(
    "Young person", options=ids, key="person_pick", on_change=_picked,
    format_func=lambda i: f"{labels.full_name(options[i])} ({options[i]['postcode']})",
)
st.session_state["person_id"] = profile_id
st.query_params["person"] = profile_id  # the page's address names the person shown: it can be bookmarked or sent
person = session.attempt(lambda: client.profile(profile_id))
if person is None:
    st.stop()

st.header(plain(labels.full_name(person)))
about, clock_col = st.columns([3, 2])
with about:
    st.markdown(
        f"**Age** {person['age']} · **Status** {labels.PROFILE_STATUS.get(person['status'], person['status'])}  \n"
        f"**Postcode** {person['postcode']} · travels up to {person['max_travel_km']:g} km  \n"
        f"**Contact** {plain(person.get('email') or 'no email')} · {plain(person.get('phone') or 'no phone')}  \n"
        f"**Priority groups** {labels.groups_text(person['priority_groups'])}  \n"
        f"**Universal Credit** {'yes' if person['on_universal_credit'] else 'no'}  \n"
        f"**Skills** {plain(', '.join(person['skills']) or 'none listed')}  \n"
        f"**Interests** {plain(', '.join(person['interests']) or 'none listed')}  \n"
        f"**Qualifications** "
        + plain(", ".join(labels.qualification_label(q) for q in person["qualifications"]) or "none listed")
        + "  \n"
        f"**Wants** {', '.join(labels.type_label(t) for t in person['preferred_types']) or 'anything'}  \n"
        f"**Shares details with employers** {'yes' if person['consent_share_with_employers'] else 'no'}"
    )
    if person.get("about"):
        st.caption(plain(person["about"]))
    held_back_note(person.get("warnings", []))
    adviser_id = person.get("adviser_id")
    adviser_contact(client, adviser_id, whose="Their", unknown=(
        f"{adviser_id}, of whom the hub has no record yet." if adviser_id else "none yet."))

with clock_col, st.container(border=True):
    st.markdown("**Guarantee clock**")
    try:
        clock = client.person_clock(profile_id)
    except ServiceError as err:
        clock = None
        st.warning(err.message, icon="⚠️")
    else:
        current = clock.get("current") if clock else None
        if current is None:
            st.caption("No clock running (the figures service has not counted this person yet, or they are "
                       "not waiting for an offer).")
        else:
            guarantee_badge(current["status"])
            waited = current["days_waiting"]
            st.write(f"Waiting **{waited}** day{'s' if waited != 1 else ''}.")
            if current.get("offer_at"):
                st.write(f"Offer made on {labels.day(current['offer_at'])}.")
            else:
                left = current["days_left"]
                st.write(f"Deadline {labels.day(current['deadline_at'])}: "
                         + (f"**{left}** day{'s' if left != 1 else ''} left." if left >= 0
                            else f"**{-left}** day{'s' if left != -1 else ''} late."))
        if clock and len(clock.get("episodes", [])) > 1:
            st.caption(f"{len(clock['episodes'])} clocks so far (NEET more than once).")

interests = session.attempt(lambda: client.interests(profile_id=profile_id, limit=50)["items"]) or []
referrals = session.attempt(lambda: client.referrals(profile_id=profile_id, limit=50)["items"]) or []
# Referred already: not offered again (the matcher drops them too, within a second of the referral).
referred = {r["opportunity_id"] for r in referrals if r["status"] in vocabulary.BLOCKING_REFERRAL_STATUSES}

# Matches
st.subheader("Top matches")
# The list shown is recorded by the matcher for the audit log; it is kept here for a minute (reruns of this page show
# the same list, and a referral or dismissal names it) or until a referral or dismissal changes it.
served_key = f"served_{profile_id}"
dismissals = session.attempt(lambda: client.dismissals(profile_id=profile_id, limit=100)["items"]) or []
dismissed = {item["opportunity_id"] for item in dismissals}
matches: list[dict[str, Any]] = []
found: dict[str, Any] = {}
rank_of: dict[str, int] = {}
with st.spinner("Finding matches..."):
    try:
        kept = st.session_state.get(served_key)
        if kept is None or time.monotonic() - kept[0] > SERVED_FOR_SECONDS:
            kept = (time.monotonic(), client.matches_for_profile(profile_id, k=10))
            st.session_state[served_key] = kept
        found = kept[1]
        for rank, match in enumerate(found["matches"] + found.get("wider_matches", []), start=1):
            rank_of[match["opportunity_id"]] = rank
            opportunity = match.get("opportunity") or session.opportunity_public(
                config.opportunities_url, match["opportunity_id"])
            if opportunity is not None and match["opportunity_id"] not in referred | dismissed:
                matches.append({**match, "opportunity": opportunity})
    except ServiceError as err:
        st.warning(f"Matches are not available: {err.message}", icon="⚠️")
notice = too_few_notice(found, you=False)
if notice:
    st.info(notice + (f" Further away, up to {found['wider_radius_km']:g} km, are listed after them, marked so."
                      if found.get("wider_matches") else ""))
done = st.session_state.pop(f"dismiss_done_{profile_id}", None)
if done is not None:
    st.success(plain(done["message"]), icon=SUCCESS_ICON)
    screening_warnings(done["warnings"])
if not matches:
    st.caption("No matches to show. Check the person's skills, travel distance and preferred types.")


name = labels.full_name(person)


def dismiss(match: dict[str, Any]) -> None:
    """Dismiss one suggestion for the person, with a reason: it is not suggested to them again."""
    opportunity_id = match["opportunity_id"]
    with st.popover("Not suitable", icon=":material/thumb_down:"), st.form(f"dismiss_{opportunity_id}", border=False):
        reason, words = reason_fields(f"dismiss_{profile_id}_{opportunity_id}", reason_label="Why is it not suitable?",
                                      required=True)
        if st.form_submit_button("Dismiss this suggestion"):
            made = session.attempt(lambda: client.dismiss_suggestion(profile_id, {
                "opportunity_id": opportunity_id, "list_id": found.get("list_id"),
                "rank": rank_of[opportunity_id] if found.get("list_id") else None, "reason": reason, "words": words,
            }))
            if made is not None:
                st.session_state.pop(served_key, None)
                st.session_state[f"dismiss_done_{profile_id}"] = {
                    "message": f"Dismissed “{made['opportunity_title']}”: it will not be suggested to {name} again.",
                    "warnings": made.get("warnings", []),
                }
                st.rerun()


for shown, match in enumerate(matches, start=1):
    why = match["explanation"]

    def details(why: dict[str, Any] = why, score: float = match["score"]) -> None:
        distance = "remote or unknown" if why.get("distance_km") is None else f"{why['distance_km']:g} km"
        st.markdown(f"**Score** {score:.2f} — " + plain("; ".join(why["reasons"]) or "similar in what they wrote"))
        st.markdown(f"**Skills they have** {plain(', '.join(skills_with_esco(why)) or 'none listed yet')}  \n"
                    f"**Interests that fit** {plain(', '.join(why.get('matched_interests', [])) or 'none named')}  \n"
                    f"**To learn** {plain(', '.join(why['missing_skills']) or 'nothing more')}  \n"
                    f"**Distance** {distance}")
        stretch = beyond_reach(why, you=False)  # within reach, the level is among the reasons
        if stretch:
            st.markdown(f"**Level** {plain(stretch)}")

    beyond = f" ({beyond_label(match, found.get('travel_km'), you=False)})" if match.get("beyond_travel") else ""
    with st.expander(f"{shown}. " + plain(f"{match['opportunity']['title']} — {match['opportunity']['employer_name']}"
                                          f"{beyond}"), expanded=shown <= 3):
        opportunity_card(match["opportunity"], body=details, show_description=False)
        left, right = st.columns([3, 1], vertical_alignment="center")
        with left:
            st.page_link("views/opportunity.py", query_params={"opportunity": match["opportunity_id"]},
                         label="Open its page", icon=":material/open_in_new:")
        with right:
            dismiss(match)
if dismissals:
    with st.expander(f"Dismissed suggestions ({len(dismissals)})", icon=":material/thumb_down:"):
        for item in dismissals:
            given = labels.OVERSIGHT_REASONS[item["suggestion"]["reason"] or vocabulary.OVERSIGHT_WORDS_ONLY]
            said = item["suggestion"]["words"]
            st.markdown(f"- **{plain(item['opportunity_title'])}** ({plain(item['employer_name'])}), "
                        f"{labels.day(item['created_at'])}: {given}" + (f" — “{plain(said)}”" if said else ""))

# Interests and referrals
open_interests = [item for item in interests if not item.get("referral_id")]
if open_interests:
    st.subheader("Asked to be referred")
    for item in open_interests:
        st.markdown(f"- **{plain(item['opportunity_title'])}** ({plain(item['employer_name'])})"
                    + (f": “{plain(item['message'])}”" if item.get("message") else ""))

st.subheader("Refer")
# The choice is kept by opportunity id and changes only when the adviser changes it: new search words add
# opportunities to choose from, and the one chosen stays chosen; once referred it leaves the list.
known: dict[str, str] = st.session_state.setdefault(f"refer_known_{profile_id}", {})
target_key, note_key = f"refer_target_{profile_id}", f"refer_note_{profile_id}"
confirmation = st.session_state.pop(f"refer_done_{profile_id}", None)
if confirmation is not None:
    st.session_state[target_key] = None
    st.session_state[note_key] = ""
    st.success(plain(confirmation["message"]), icon=SUCCESS_ICON)
    screening_warnings(confirmation["warnings"])
offered: list[str] = []


def offer(opportunity_id: str, label: str) -> None:
    known.setdefault(opportunity_id, label)
    if opportunity_id not in offered and opportunity_id not in referred:
        offered.append(opportunity_id)


for item in open_interests:
    offer(item["opportunity_id"], f"{item['opportunity_title']} — {item['employer_name']} (asked for this)")
for match in matches:
    offer(match["opportunity_id"], f"{match['opportunity']['title']} — {match['opportunity']['employer_name']} (match)")
search = st.text_input("Find another opportunity by words", key=f"refer_search_{profile_id}")
if search.strip():
    try:
        page = session.browse_public(config.opportunities_url, (("q", search.strip()), ("limit", 20)))
        for item in page["items"]:
            offer(item["id"], f"{item['title']} — {item['employer_name']}")
        if not page["items"]:
            st.caption("No live opportunity has those words.")
    except ServiceError as err:
        session.show_error(err)
chosen = st.session_state.get(target_key)
if chosen in referred:
    st.session_state[target_key] = chosen = None
elif chosen:
    if chosen not in offered:
        offered.append(chosen)
    st.session_state[target_key] = chosen  # said again, so the browser shows it even when the options changed
if not offered:
    st.caption("Nothing to refer to yet: search above for an opportunity.")
else:
    target = st.selectbox("Opportunity", options=offered, index=None, placeholder="Choose an opportunity",
                          format_func=known.__getitem__, key=target_key)
    shown_at = rank_of.get(str(target)) if target and found.get("list_id") else None
    against = outside_the_top(shown_at) if target else None
    with st.form(f"refer_form_{profile_id}"):
        note = st.text_area("Note for the employer", key=note_key, max_chars=2000,
                            help="Employers see this only if the young person shares their details.")
        reason: str | None = None
        words = ""
        if against:
            st.caption(f"{against} You may say why: it is kept with the referral and counted in the oversight "
                       "summary.")
            reason, words = reason_fields(f"refer_{profile_id}", reason_label="Why this one?", required=False)
        if st.form_submit_button("Refer", type="primary"):
            if not target:
                st.error("Choose the opportunity to refer them to first.", icon=":material/error:")
            else:
                suggestion = {"list_id": found.get("list_id") if shown_at else None, "rank": shown_at,
                              "reason": reason, "words": words}
                made = session.attempt(
                    lambda: client.refer(profile_id=profile_id, opportunity_id=str(target), note=note.strip(),
                                         suggestion=suggestion),
                    spinner="Sending the referral...",
                )
                if made is not None:
                    st.session_state.pop(served_key, None)
                    st.session_state[f"refer_done_{profile_id}"] = {
                        "message": f"Referred {labels.full_name(person)} to “{made['opportunity_title']}” at "
                                   f"{made['employer_name']}.",
                        "warnings": made.get("warnings", []),
                    }
                    st.rerun()

st.subheader("Referrals")
if not referrals:
    st.caption("No referrals yet.")
for referral in referrals:
    words, colour = labels.REFERRAL_STATUS.get(referral["status"], (referral["status"], "gray"))
    with st.container(border=True):
        st.markdown(f"**{plain(referral['opportunity_title'])}** ({labels.type_label(referral['opportunity_type'])}) "
                    f"at {plain(referral['employer_name'])} — referred {labels.day(referral['created_at'])}")
        status_badge(words, colour)
        st.page_link("views/referral.py", query_params={"referral": referral["id"]}, label="Open this referral",
                     icon=":material/open_in_new:")
        if referral.get("feedback"):
            st.caption(f"{feedback_label(referral, reader=Role.ADVISER)}: {plain(referral['feedback'])}")
        next_steps = vocabulary.next_referral_statuses(referral["status"], by_adviser=True)
        if next_steps:
            with st.form(f"outcome_{referral['id']}", border=False):
                new_status = st.selectbox("Record an outcome", options=list(next_steps),
                                          key=f"outcome_status_{referral['id']}",
                                          format_func=lambda s: labels.REFERRAL_STATUS[s][0])
                feedback = st.text_input("Feedback (needed if not successful)", key=f"outcome_fb_{referral['id']}")
                if st.form_submit_button("Save outcome"):
                    moved = session.attempt(partial(client.move_referral, referral["id"], str(new_status),
                                                    feedback.strip() or None))
                    if moved is not None:
                        flash(f"{moved['opportunity_title']}: now “{labels.REFERRAL_STATUS[moved['status']][0]}”.")
                        st.rerun()
        if len(referral.get("history", [])) > 1:
            st.dataframe(pd.DataFrame([
                {"When": labels.day(step["changed_at"]),
                 "Status": labels.REFERRAL_STATUS.get(step["to_status"], (step["to_status"], ""))[0],
                 "By": step["changed_by_role"]}
                for step in referral["history"]
            ]), hide_index=True)
