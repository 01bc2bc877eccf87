"""Why a suggestion suits a young person, in short plain sentences built from the matcher's explanation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.messaging.vocabulary import QUALIFICATION_LEVELS, level_asked_first, level_number
from ui.streamlit.labels import days_until, money, type_label


def _listing(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _noun(opportunity: dict[str, Any]) -> str:
    return {"job": "job", "apprenticeship": "apprenticeship", "kickstart": "placement",
            "work_experience": "placement", "traineeship": "traineeship", "training": "course"}.get(
        str(opportunity.get("type")), "opportunity")


def plain_reasons(
    explanation: dict[str, Any], opportunity: dict[str, Any], profile: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """Why it could suit them, positives only: 'You listed customer service and teamwork. This job asks for both.'
    (What they could learn is apart: `to_learn`.)"""
    noun = _noun(opportunity)
    matched = list(explanation.get("matched_skills") or [])
    interests = list(explanation.get("matched_interests") or [])
    sentences: list[str] = []
    own = _own_words(explanation)
    if matched and own:
        sentences.append(f"You listed {_listing(own)}: this {noun} asks for {_listing(matched)}.")
    elif matched:
        if len(matched) == 1:
            asks = "it"
        elif len(matched) == 2:
            asks = "both"
        else:
            asks = "all of them"
        sentences.append(f"You listed {_listing(matched)}. This {noun} asks for {asks}.")
    if interests:
        sentences.append(f"You said you're interested in {_listing(interests)}: this {noun} is about that.")
    if opportunity.get("remote"):
        sentences.append("You can do it from home.")
    elif explanation.get("distance_km") is not None:
        km = float(explanation["distance_km"])
        sentences.append("It's very close to you (under 1 km)." if km < 1 else f"It's about {km:.0f} km from you.")
    level = within_reach(explanation)
    if level:
        sentences.append(level)
    if profile is not None:
        if opportunity.get("type") in (profile.get("preferred_types") or []):
            sentences.append(f"It's {_article(type_label(opportunity['type']))}, which you said you want.")
        if opportunity.get("requires_universal_credit") and profile.get("on_universal_credit"):
            sentences.append("It's for people on Universal Credit, like you.")
    wage = opportunity.get("wage_per_hour")
    if wage:
        sentences.append(f"It pays {money(wage)} an hour.")
    left = days_until(opportunity.get("closing_date"), today)
    if left is not None and 0 <= left <= 7:
        sentences.append("Be quick: it closes today." if left == 0 else
                         f"Be quick: it closes in {left} day{'s' if left != 1 else ''}.")
    return sentences


# What a qualification level is like, for sentences about a posting's level (levels 1-3 are what it asks for first).
_LEVEL_LIKE = {0: "entry level", 1: "like GCSEs at grades 1 to 3", 2: "like GCSEs at grades 4 to 9",
               3: "like A levels or a T Level"}


def _level(level: int) -> str:
    return "entry level" if level == 0 else f"level {level}"


def level_rule_in_words() -> str:
    """What a posting at each level usually asks for first, from the one rule (vocabulary.level_asked_first):
    'levels 1 and 2: nothing; level 3: level 2 (like GCSEs at grades 4 to 9); levels 4 to 8: level 3 (...)'."""
    asking: dict[int, list[int]] = {}
    for posting in (level_number(level) for level in QUALIFICATION_LEVELS if level != "entry"):
        asking.setdefault(level_asked_first(posting), []).append(posting)
    parts = []
    for asked, postings in asking.items():
        first, last = postings[0], postings[-1]
        which = (f"level {first}" if first == last else f"levels {first} and {last}" if len(postings) == 2
                 else f"levels {first} to {last}")
        parts.append(f"{which}: " + ("nothing" if asked == 0 else f"{_level(asked)} ({_LEVEL_LIKE[asked]})"))
    return "; ".join(parts)


def _level_fit(explanation: dict[str, Any], *, short: bool, you: bool) -> tuple[int, str, str] | None:
    """For a posting that is a step up for the person (the matcher's `step_up`) and that they are (`short`) or are not
    below what it asks for first: its level, what it asks for first and what they have, in words."""
    fit = explanation.get("level_fit")
    if not fit or not fit["step_up"] or bool(fit["short"]) != short:
        return None
    asked = int(fit["asked_first"])
    return (int(fit["posting_level"]), f"usually asks for {_level(asked)} first ({_LEVEL_LIKE[asked]})",
            f"{'your' if you else 'their'} highest recorded qualification is {_level(int(fit['highest_recorded']))}")


def within_reach(explanation: dict[str, Any], *, you: bool = True) -> str | None:
    """'It's at level 3: it usually asks for level 2 first (like GCSEs at grades 4 to 9), and your highest recorded
    qualification is level 2.' when it is a step up from what they have, and they have what it asks for first (else
    None)."""
    fit = _level_fit(explanation, short=False, you=you)
    return None if fit is None else f"It's at level {fit[0]}: it {fit[1]}, and {fit[2]}."


def beyond_reach(explanation: dict[str, Any], *, you: bool = True) -> str | None:
    """How far a posting's level is above what the person has recorded, when it is (else None)."""
    fit = _level_fit(explanation, short=True, you=you)
    if fit is None:
        return None
    return f"It's at level {fit[0]}, which {fit[1]}; {fit[2]}." + (
        " Your adviser can say whether there is another way in." if you else "")


def _own_words(explanation: dict[str, Any]) -> list[str]:
    """The person's own words for the skills met by meaning, when any differ from the posting's (else [])."""
    matches = list(explanation.get("skill_matches") or [])
    if not any(m["own_words"].strip().lower() != m["skill"].strip().lower() for m in matches):
        return []
    return list(dict.fromkeys(m["own_words"] for m in matches))


def skills_with_esco(explanation: dict[str, Any]) -> list[str]:
    """For an adviser: each matched skill with the person's words and the ESCO skill that names it,
    'childcare (their words: caring for children; ESCO: baby care)'."""
    by_skill = {m["skill"]: m for m in explanation.get("skill_matches") or []}
    out = []
    for skill in explanation.get("matched_skills") or []:
        match = by_skill.get(skill)
        notes = []
        if match and match["own_words"].strip().lower() != skill.strip().lower():
            notes.append(f"their words: {match['own_words']}")
        if match and match.get("esco_label"):
            notes.append(f"ESCO: {match['esco_label']}")
        out.append(f"{skill} ({'; '.join(notes)})" if notes else skill)
    return out


def _article(words: str) -> str:
    return f"an {words.lower()}" if words[:1].lower() in "aeiou" else f"a {words.lower()}"


def to_learn(explanation: dict[str, Any], shown: int = 4) -> str | None:
    """The skills the posting asks for that the person hasn't listed, as things to learn (not reasons)."""
    missing = list(explanation.get("missing_skills") or [])
    if not missing:
        return None
    more = len(missing) - shown
    return _listing(missing) if more <= 0 else f"{', '.join(missing[:shown])} and {more} more"


def too_few_notice(answer: dict[str, Any], *, you: bool = True) -> str | None:
    """'Only 3 suggestions are within the 10 km you said you'd travel.' when fewer than k are (else None)."""
    if not answer.get("fewer_than_k") or answer.get("travel_km") is None:
        return None
    within, km = int(answer.get("within_travel") or 0), float(answer["travel_km"])
    count = "Nothing is" if within == 0 else f"Only {within} suggestion{'s are' if within != 1 else ' is'}"
    who = "you said you'd" if you else "they said they'd"
    return f"{count} within the {km:g} km {who} travel."


def beyond_label(match: dict[str, Any], travel_km: float | None, *, you: bool = True) -> str:
    """How a wider result is labelled: 'Beyond your 10 km: about 12 km away'."""
    distance = (match.get("explanation") or {}).get("distance_km")
    whose = "your" if you else "their"
    limit = f"{whose} {travel_km:g} km" if travel_km is not None else f"{whose} travel distance"
    return f"Beyond {limit}: about {float(distance):.0f} km away" if distance is not None else f"Beyond {limit}"
