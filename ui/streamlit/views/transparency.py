"""Public, no sign-in: how suggestions are made, in the spirit of the UK Algorithmic Transparency Recording Standard.
The figures come from the quality benchmark's JSON (`youth-guarantee bench --quality --json`), never typed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ui.streamlit import labels, session
from ui.streamlit.markdown import plain
from ui.streamlit.reasons import level_rule_in_words

STYLES = {"duties": "What they have done (duties)", "everyday": "In everyday words", "skills": "A list of skills",
          "interests": "Their interests"}
POLICIES = {"plain similarity (no capacity)": "Plain similarity (no rules on places)",
            "service, capacity weight 0": "Our ranking without the places term",
            "service, capacity weight 0.05": "Our ranking as used (places term 0.05)",
            "service, capacity weight 0.1": "Our ranking, places term 0.1"}

config = session.settings()
st.title("How suggestions are made")
st.write("A record of the tool that suggests opportunities to young people, and young people to advisers for an "
         "opportunity, written in the spirit of the UK Algorithmic Transparency Recording Standard. "
         "**The tool suggests; advisers decide.**")


def load_figures(path: Path) -> dict[str, Any] | None:
    try:
        figures: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return figures


def number(value: Any, digits: int = 3) -> str:
    return "not recorded" if value is None else f"{float(value):.{digits}f}"


figures = load_figures(config.matching_figures_file)
ranking = (figures or {}).get("ranking", {})

st.header("What it uses")
st.markdown(
    "- **About the young person:** their skills, interests and qualifications (level and subject), what they wrote "
    "about themselves (after it is checked for sensitive details, which are held back), the kinds of opportunity "
    "they want, their age on the start date, whether they claim Universal Credit, their postcode district and how "
    "far they will travel, and whether they are looking (not in work, education or training).\n"
    "- **About the opportunity:** title, description, skills asked for, sector, level, type, where it is (or "
    "whether it can be done from home), age limits, wage, whether it needs Universal Credit, start and closing "
    "dates, places left and referrals still open."
)
st.header("What it never uses")
st.markdown(
    "- **Special category data:** disability and special educational needs (SEND), health, ethnicity, religion or "
    "belief, sexual orientation, sex life, gender identity, trade union membership; nor criminal offence data. It "
    "never receives them: they are held apart, and free text that mentions them is held back before the tool sees it.\n"
    "- **Names and contact details** (email, phone, address): it never receives them. Its only use of a date of "
    "birth is the age on an opportunity's start date; of where someone lives, the postcode district.\n"
    "- **The town plan's priority groups as a reason to rank anyone higher or lower.** The groups that are not "
    "sensitive (care leaver, NEET, long-term unemployed, young carer) are shown to advisers as a note beside a "
    "suggestion and never change a score; SEND never reaches the tool. The plan allows a documented boost for "
    "priority groups: we do not use one, because it would need the tool to hold special category data. Instead we "
    "measure whether each group is shown as often as others (below)."
)

st.header("How it ranks")
model = ranking.get("model", "a sentence-embedding model")
st.markdown(
    "1. **Rules first.** Only opportunities the person can take are considered: the age limits on the start date, "
    "Universal Credit where the opportunity requires it, the minimum wage for their age, within the distance they "
    "will travel (or done from home), still open with places left, and not one they are already referred to.\n"
    f"2. **Meaning of the words.** The person's words and the opportunity's are turned into vectors by {model} "
    "and compared (cosine similarity), so “caring for children” can meet “childcare”.\n"
    "3. **A score that can be explained:** "
    f"similarity × {number(ranking.get('weight_similarity'), 2)} + share of the asked-for skills the person lists "
    f"× {number(ranking.get('weight_skills'), 2)} + closeness × {number(ranking.get('weight_distance'), 2)} "
    f"+ how near the person's words are to the occupation the opportunity's title names (its nearest in the "
    f"European ESCO list of occupations) × {number(ranking.get('weight_occupation'), 2)}, "
    f"less up to {number(ranking.get('weight_capacity'), 2)} for an opportunity with many open referrals for the "
    "places it has left (so one vacancy is not everyone's first suggestion), "
    f"and less {number(ranking.get('weight_level'), 2)} for each level (up to two) that the person's highest "
    f"recorded qualification is below what an opportunity at its level usually asks for first ({level_rule_in_words()}"
    "), nothing when either level is not known; ties go to the one with fewer referrals per place.\n"
    "4. **Reasons in words** beside every suggestion: the skills that match (in the person's own words), "
    "interests, distance, the type they want, a step up in level for which they have what it asks for first. Skills "
    "still to learn are listed apart, never as a reason; an opportunity whose level asks for more than they have "
    "recorded says so, as worth knowing."
)

st.header("How well it works")
if figures is None:
    st.warning("The measured figures are not available right now.", icon="⚠️")
else:
    provenance = figures.get("provenance", {})
    st.caption(f"Measured on {labels.day(provenance.get('measured_on'))} by the project's quality benchmark: "
               f"{figures.get('people')} young people, each described four ways, against {figures.get('postings')} "
               f"real job descriptions from {figures.get('occupations')} occupations (the European ESCO "
               "classification), judged in advance. Hit@5: a right opportunity among the first five suggestions; "
               "MAP@10 and nDCG@10: how high the right ones come in the first ten (1 is best). Baselines: plain "
               "word search (BM25) and plain similarity of meaning.")
    st.dataframe(pd.DataFrame([
        {"Person described by": STYLES.get(style, style), "Hit@5": number(row.get("hit_at_5")),
         "MAP@10": number(row.get("map_at_10")), "nDCG@10": number(row.get("ndcg_at_10")),
         "Plain similarity hit@5": number(row.get("plain_hit_at_5")),
         "Word search (BM25) hit@5": number(row.get("bm25_hit_at_5"))}
        for style, row in figures.get("styles", {}).items()
    ]), hide_index=True)

    st.subheader("How widely suggestions spread")
    st.caption("A simulated caseload, each person shown ten suggestions and referred to the first. Gini: 0 when "
               "referrals are spread evenly over the places, towards 1 when a few places get them all.")
    st.dataframe(pd.DataFrame([
        {"Ranking": POLICIES.get(name, name),
         "Gini of referrals per place": number(row.get("gini_referrals_per_place")),
         "Opportunities shown to anyone": number(row.get("share_with_a_suggestion")),
         "Opportunities referred to": number(row.get("share_referred_to")),
         "Most referrals per place": number(row.get("most_referrals_per_place"), 0),
         "Hit@5": number(row.get("hit_at_5"))}
        for name, row in figures.get("spread", {}).items()
    ]), hide_index=True)

    st.subheader("Is each group shown fairly?")
    exposure = figures.get("exposure", {})
    st.caption(f"For every opportunity, the ten young people advisers see first, over {exposure.get('people')} "
               "synthetic young people: each priority group's share of being shown (first place counts most) "
               "against its share of the young people eligible. A ratio of 1 means as often as its share. Groups "
               "are drawn at random here, so the differences are the noise of small groups. Advisers see the same "
               "measure on the real lists on their dashboard, with small groups hidden.")
    st.dataframe(pd.DataFrame([
        {"Opportunity type": "All types" if kind == "all" else labels.type_label(kind),
         "Group": labels.PRIORITY_GROUPS.get(group, group),
         "Eligible people": number(row.get("people"), 0), "Ratio": number(row.get("ratio"), 2)}
        for kind, groups in exposure.get("groups", {}).items() for group, row in groups.items()
    ]), hide_index=True)
    if not str(provenance.get("source", "")).startswith("youth-guarantee bench"):
        st.caption(f"Source of these figures: {plain(str(provenance.get('source', 'not recorded')))}")

st.header("People decide")
st.markdown(
    "- Advisers see why each suggestion was made and decide whether to refer anyone; the tool never refers, offers "
    "or turns anyone down. Employers decide on the people referred to them.\n"
    "- Every list of suggestions the tool shows, to an adviser or a young person, is kept in the hub's audit log, "
    "with every referral and who made it.\n"
    "- When an adviser sets a suggestion aside, or refers someone to an opportunity outside the top suggestions, "
    "they may say why (from a short list or in their own words). These decisions are kept with the suggestion "
    "lists and counted on the advisers' dashboard, so the hub can see where advisers and the tool disagree.\n"
    "- Advisers see a live check on their dashboard of whether each priority group appears in the candidate lists "
    "as often as its share of eligible young people."
)

st.header("Questions and challenges")
contact = [part for part in (config.hub_email, config.hub_phone, config.hub_address) if part]
reach = (f"{plain(config.hub_name)}: {plain(', '.join(contact))}" if contact
         else f"{plain(config.hub_name)}, through your adviser")
st.markdown(
    "- **Ask your adviser** why something was or wasn't suggested: they can see the reasons and look again.\n"
    f"- **Complain** to {reach}.\n"
    "- **Your data protection rights:** you can ask for a copy of the information held about you, have it "
    "corrected, have it erased, or object to how it is used. You have the right not to be subject to a decision "
    "made only by a computer: here every decision is made by a person.\n"
    "- If you are not happy with the answer, you can complain to the Information Commissioner's Office "
    "(ico.org.uk, 0303 123 1113)."
)
