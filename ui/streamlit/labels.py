"""Words for the codes of the shared vocabulary (services/messaging/vocabulary.py), keyed by its values, and a
colour for each status (always shown with its words)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from services.messaging import vocabulary
from ui.streamlit.forms import BY_LEVEL

GUARANTEE: dict[str, tuple[str, str, str, int]] = {
    # status: (words, colour, cell background for tables, sort order: most urgent first)
    "overdue": ("Overdue", "red", "#fbd5d5", 0),
    "at_risk": ("At risk", "orange", "#fde5c8", 1),
    "on_track": ("On track", "green", "#d3f0d8", 2),
    "met_late": ("Offer made (late)", "violet", "#e6dcf5", 4),
    "met": ("Offer made", "blue", "#d6e6f8", 5),
}
NO_CLOCK = ("No clock yet", "gray", "#eeeeee", 3)
_WORDS_TO_BACKGROUND = {words: background for words, _, background, _ in (*GUARANTEE.values(), NO_CLOCK)}

PROFILE_STATUS: dict[str, str] = {
    "neet": "Not in work, education or training",
    "education": "In education",
    "employment": "In work",
    "training": "In training",
    "not_known": "Not known (to be traced)",
}
# Why an adviser went against a suggestion (vocabulary.OVERSIGHT_REASONS), and the summary's two extra rows.
OVERSIGHT_REASONS: dict[str, str] = {
    "not_what_they_want": "Not what the person wants",
    "too_far": "Too far, or travel is hard",
    "not_ready": "Person not eligible or not ready yet",
    "applied_elsewhere": "Already applied elsewhere",
    "employer_not_suitable": "Employer not suitable",
    "other": "Other (say why)",
    "words_only": "In words only",
    "no_reason": "No reason given",
}

PROFILE_STATUS_SHORT = {"neet": "NEET", "education": "Education", "employment": "Employment", "training": "Training",
                        "not_known": "Not known"}

PRIORITY_GROUPS: dict[str, str] = {
    "care_leaver": "Care leaver",
    "send": "SEND (special educational needs or disability)",
    "neet": "NEET",
    "long_term_unemployed": "Long-term unemployed",
    "young_carer": "Young carer",
}

# Free-text fields the services screen for special category data (services/common/screening.py), as people call them.
SCREENED_FIELDS: dict[str, str] = {
    "about": "About",
    "skills": "Skills",
    "interests": "Interests",
    "note": "Note for the employer",
    "reason_words": "Your reason",
    "feedback": "Feedback",
    "message": "Message",
}
SPECIAL_CATEGORY_EXPLAINED = (
    "Health, disability, ethnicity, religion, sexuality, sex life, gender identity, trade union membership and "
    "criminal records are “special category” information: the law asks us to keep it safer, so it is stored "
    "apart. Nothing was blocked. If it was not meant to be shared, change the text."
)

OPPORTUNITY_TYPES: dict[str, str] = {
    kind: name[:1].upper() + name[1:] for kind, name in vocabulary.OPPORTUNITY_TYPE_NAMES.items()
}

OPPORTUNITY_STATUS: dict[str, tuple[str, str]] = {
    "draft": ("Draft: not public yet", "gray"),
    "live": ("Live: taking applications", "green"),
    "closed": ("Closed", "orange"),
    "filled": ("Filled", "blue"),
}

REFERRAL_STATUS: dict[str, tuple[str, str]] = {
    "referred": ("Referred", "blue"),
    "applied": ("Applied", "blue"),
    "interviewing": ("Interview", "violet"),
    "offered": ("Offered a place", "green"),
    "accepted": ("Accepted: starting", "green"),
    "declined": ("Turned down the offer", "gray"),
    "unsuccessful": ("Not successful", "red"),
    "withdrawn": ("Withdrawn", "gray"),
}
# What a young person reads about their own application.
REFERRAL_STATUS_FOR_YOU: dict[str, str] = {
    "referred": "Your adviser has sent your details",
    "applied": "You've applied",
    "interviewing": "Interview stage",
    "offered": "You've been offered a place!",
    "accepted": "You've said yes: you're starting",
    "declined": "You said no to the offer",
    "unsuccessful": "Not this time",
    "withdrawn": "Stopped",
}

SECTORS: dict[str, str] = {
    "agriculture_environment_animal_care": "Agriculture, environment and animal care",
    "business_administration": "Business and administration",
    "care_services": "Care services",
    "catering_hospitality": "Catering and hospitality",
    "construction": "Construction",
    "creative_design": "Creative and design",
    "digital": "Digital",
    "education_childcare": "Education and childcare",
    "engineering_manufacturing": "Engineering and manufacturing",
    "hair_beauty": "Hair and beauty",
    "health_science": "Health and science",
    "legal_finance_accounting": "Legal, finance and accounting",
    "protective_services": "Protective services",
    "sales_marketing_procurement": "Sales, marketing and procurement",
    "transport_logistics": "Transport and logistics",
}



def guarantee(status: str | None) -> tuple[str, str, str, int]:
    return GUARANTEE.get(status or "", NO_CLOCK)


def guarantee_text(status: str | None) -> str:
    """The words for a guarantee status: 'Overdue'."""
    return guarantee(status)[0]


def guarantee_cell_style(words: str) -> str:
    """CSS for a table cell holding guarantee words: its colour, behind the words (never colour alone)."""
    background = _WORDS_TO_BACKGROUND.get(words)
    return f"background-color: {background}; color: #1a1a1a; font-weight: 600" if background else ""


def guarantee_markdown(status: str | None) -> str:
    """Coloured words for labels: ':red[Overdue]'."""
    words, colour, _, _ = guarantee(status)
    return f":{colour}[{words}]"


def coloured(words: str, colour: str) -> str:
    """Streamlit markdown for words on a coloured background."""
    return f":{colour}-background[{words}]"


def groups_text(groups: list[str]) -> str:
    return ", ".join(PRIORITY_GROUPS.get(group, group) for group in groups) or "None"


def type_label(kind: str) -> str:
    return OPPORTUNITY_TYPES.get(kind, kind.replace("_", " ").capitalize())


def sector_label(sector: str) -> str:
    return SECTORS.get(sector, sector.replace("_", " ").capitalize())


def money(amount: float | None) -> str:
    return "" if amount is None else f"£{amount:,.2f}"


def day(value: str | dt.date | None) -> str:
    """'2026-07-01' -> '1 Jul 2026'."""
    if not value:
        return ""
    date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{date.day} {date:%b %Y}"


HUB_TIME = ZoneInfo("Europe/London")


def moment(value: str) -> str:
    """'2026-12-07T02:14:46Z' -> '7 Dec 2026 02:14', on the hub's clock."""
    local = dt.datetime.fromisoformat(value).astimezone(HUB_TIME)
    return f"{day(local.date())} {local:%H:%M}"


def days_until(value: str | None, today: dt.date | None = None) -> int | None:
    if not value:
        return None
    return (dt.date.fromisoformat(str(value)[:10]) - (today or dt.date.today())).days


def full_name(profile: dict[str, Any]) -> str:
    return f"{profile.get('given_name') or ''} {profile.get('family_name') or ''}".strip() or "Name not shared"


def places_left(opportunity: dict[str, Any]) -> int:
    return max(0, int(opportunity.get("positions", 0)) - int(opportunity.get("positions_filled", 0)))


def qualification_type_label(kind: str) -> str:
    """A qualification chooser's option: a qualification by the name people use, another one at a level
    ("level:2"), or "—" when none is chosen yet."""
    if kind.startswith(BY_LEVEL):
        level = kind.removeprefix(BY_LEVEL)
        return f"{'Entry level' if level == 'entry' else 'Level ' + level}: another qualification"
    return vocabulary.QUALIFICATION_TYPE_NAMES.get(kind, kind) if kind else "—"  # type: ignore[call-overload]


def qualification_label(item: dict[str, Any]) -> str:
    """'GCSE grade 4 to 9 (A* to C) English', or 'Level 2 English' / 'Entry maths' for one given by its level."""
    if item.get("type") in vocabulary.QUALIFICATION_TYPE_NAMES:
        return f"{vocabulary.QUALIFICATION_TYPE_NAMES[item['type']]} {item['subject']}"
    return f"{'Entry' if item['level'] == 'entry' else 'Level ' + str(item['level'])} {item['subject']}"

ACTIVITY_SOURCE: dict[str, str] = {
    "young_person": "The young person", "parent_or_carer": "A parent or carer", "school_or_college":
    "School or college", "training_provider": "Training provider", "employer": "Employer", "adviser": "Adviser",
    "other_agency": "Another agency", "referral_outcome": "A referral's outcome", "lapsed": "Not confirmed in time",
}
CONTACT_METHOD: dict[str, str] = {
    "phone": "Phone call", "text": "Text message", "email": "Email", "letter": "Letter", "home_visit": "Home visit",
    "other_agency": "Through another agency",
}
CONTACT_OUTCOME: dict[str, str] = {
    "reached": "Reached them", "no_answer": "No answer", "wrong_details": "Wrong contact details",
    "message_left": "Left a message", "refused": "Refused to say what they are doing",
}
ACTION_CATEGORY: dict[str, str] = {
    "cv_and_applications": "CV and applications", "job_search": "Job search", "training_search":
    "Finding training or a course", "benefits_advice": "Benefits advice", "wellbeing_referral":
    "Referral for wellbeing support", "follow_up_contact": "Follow-up contact", "other": "Other",
}
ACTION_STATUS: dict[str, str] = {"open": "Open", "done": "Done"}
APPOINTMENT_MODE: dict[str, str] = {"in_person": "In person", "phone": "Phone", "video": "Video call"}
APPOINTMENT_OUTCOME: dict[str, str] = {"attended": "Attended", "missed": "Missed", "cancelled": "Cancelled"}
ACTIVITY_GROUP: dict[str, str] = {
    "education": "Education", "apprenticeship": "Apprenticeship", "employment": "Employment", "training": "Training",
    "re_engagement": "Re-engagement", "neet_available": "NEET, available", "neet_not_available": "NEET, not available",
    "not_known": "Not known", "unknown": "Unknown", "not_yet_due": "Not yet due",
}
SEPTEMBER_OUTCOME: dict[str, str] = {
    "offer_made": "Offer made", "no_offer": "No offer", "offer_not_appropriate": "Offer not appropriate",
    "not_recorded": "Not recorded",
}
SEPTEMBER_COHORT: dict[str, str] = {"year_11": "Year 11 leavers", "year_12": "Year 12 leavers", "all": "Both"}
EXIT_TYPE: dict[str, str] = {
    "offer_accepted": "Accepted an offer", "offer_made": "Offered (not accepted yet)",
    "activity_change": "Moved on by themselves", "not_known": "Lost contact (not known)",
}
