"""The shared vocabulary: every code the services, the seed and the UI exchange, written once.

Each vocabulary is a `Literal` type (for schemas and payloads) with its values as a tuple (for loops, tables and
labels). Labels for people live with whoever shows them, keyed by these values."""

from __future__ import annotations

from typing import Literal, get_args

# "not_known": the activity record's current spell is not known (NCCIS 8xx), e.g. a confirmation that lapsed.
ProfileStatus = Literal["neet", "education", "employment", "training", "not_known"]
PROFILE_STATUSES: tuple[ProfileStatus, ...] = get_args(ProfileStatus)

# What a young person is doing, by the Department for Education's NCCIS activity codes (the groups of the
# Management Information Requirement; the codes the hub records, not the full list).
ActivityGroup = Literal[
    "education", "apprenticeship", "employment", "training", "re_engagement", "neet_available",
    "neet_not_available", "not_known",
]
ACTIVITY_GROUPS: tuple[ActivityGroup, ...] = get_args(ActivityGroup)
ACTIVITY_CODES: dict[int, tuple[ActivityGroup, str]] = {
    210: ("education", "School sixth form"),
    220: ("education", "Sixth form college"),
    230: ("education", "Further education"),
    240: ("education", "Higher education"),
    250: ("education", "Part-time education"),
    260: ("education", "Gap year, education place held"),
    270: ("education", "Other full-time education"),
    310: ("apprenticeship", "Apprenticeship"),
    320: ("employment", "Full-time employment with study"),
    330: ("employment", "Employment without training"),
    340: ("employment", "Employment with training"),
    350: ("employment", "Temporary employment"),
    360: ("employment", "Part-time employment"),
    380: ("employment", "Self-employment"),
    410: ("training", "Traineeship"),
    430: ("training", "Supported internship"),
    450: ("training", "Other training"),
    530: ("re_engagement", "Re-engagement provision"),
    540: ("neet_available", "Not yet ready for work or learning"),
    550: ("neet_available", "Start date agreed"),
    610: ("neet_available", "Seeking employment, education or training"),
    620: ("neet_not_available", "Not available: young carer"),
    630: ("neet_not_available", "Not available: teenage parent"),
    640: ("neet_not_available", "Not available: illness"),
    650: ("neet_not_available", "Not available: pregnancy"),
    660: ("neet_not_available", "Not available: religious grounds"),
    670: ("neet_not_available", "Not available: unlikely ever to be economically active"),
    680: ("neet_not_available", "Not available: other reason"),
    810: ("not_known", "Current situation not known"),
    820: ("not_known", "Cannot be contacted"),
    830: ("not_known", "Refused to disclose activity"),
}
ACTIVITY_CODE_NOT_KNOWN, ACTIVITY_CODE_CANNOT_CONTACT = 810, 820
# Codes that say something about health or religion (special category data): kept with the activity record, never
# on a plain event (the profile's status says only "neet").
SPECIAL_CATEGORY_ACTIVITY_CODES: frozenset[int] = frozenset({640, 650, 660})
STATUS_OF_ACTIVITY: dict[ActivityGroup, ProfileStatus] = {
    "education": "education", "apprenticeship": "employment", "employment": "employment", "training": "training",
    "re_engagement": "training", "neet_available": "neet", "neet_not_available": "neet", "not_known": "not_known",
}
# How long an activity stays current without being confirmed, in days, by group (a default: each service that works
# out currency reads it from its settings).
ACTIVITY_CURRENCY_DAYS: dict[ActivityGroup, int] = {
    "education": 365, "apprenticeship": 365, "employment": 183, "training": 183, "re_engagement": 92,
    "neet_available": 31, "neet_not_available": 92, "not_known": 31,
}
ActivitySource = Literal[
    "young_person", "parent_or_carer", "school_or_college", "training_provider", "employer", "adviser",
    "other_agency", "referral_outcome", "lapsed",
]
ACTIVITY_SOURCES: tuple[ActivitySource, ...] = get_args(ActivitySource)
# The September Guarantee: for a young person leaving Year 11 or Year 12, by the end of September.
SeptemberGuaranteeOutcome = Literal["offer_made", "no_offer", "offer_not_appropriate"]
SEPTEMBER_GUARANTEE_OUTCOMES: tuple[SeptemberGuaranteeOutcome, ...] = get_args(SeptemberGuaranteeOutcome)
ContactMethod = Literal["phone", "text", "email", "letter", "home_visit", "other_agency"]
CONTACT_METHODS: tuple[ContactMethod, ...] = get_args(ContactMethod)
ContactOutcome = Literal["reached", "no_answer", "wrong_details", "message_left", "refused"]
CONTACT_OUTCOMES: tuple[ContactOutcome, ...] = get_args(ContactOutcome)
FAILED_CONTACT_OUTCOMES: frozenset[ContactOutcome] = frozenset({"no_answer", "wrong_details", "message_left"})
# An adviser's work with a person: planned actions by category, and appointments (how they meet, what happened).
ActionCategory = Literal[
    "cv_and_applications", "job_search", "training_search", "benefits_advice", "wellbeing_referral",
    "follow_up_contact", "other",
]
ACTION_CATEGORIES: tuple[ActionCategory, ...] = get_args(ActionCategory)
ActionStatus = Literal["open", "done"]
ACTION_STATUSES: tuple[ActionStatus, ...] = get_args(ActionStatus)
AppointmentMode = Literal["in_person", "phone", "video"]
APPOINTMENT_MODES: tuple[AppointmentMode, ...] = get_args(AppointmentMode)
AppointmentOutcome = Literal["attended", "missed", "cancelled"]
APPOINTMENT_OUTCOMES: tuple[AppointmentOutcome, ...] = get_args(AppointmentOutcome)

PriorityGroup = Literal["care_leaver", "send", "neet", "long_term_unemployed", "young_carer"]
PRIORITY_GROUPS: tuple[PriorityGroup, ...] = get_args(PriorityGroup)
# `send` is special category data: it travels only on the restricted topic, never to the matcher or employers.
SharedPriorityGroup = Literal["care_leaver", "neet", "long_term_unemployed", "young_carer"]
SHARED_PRIORITY_GROUPS: tuple[SharedPriorityGroup, ...] = get_args(SharedPriorityGroup)
SPECIAL_CATEGORY_GROUPS: frozenset[PriorityGroup] = frozenset(PRIORITY_GROUPS) - frozenset(SHARED_PRIORITY_GROUPS)

OpportunityType = Literal["apprenticeship", "kickstart", "job", "traineeship", "training", "work_experience"]
OPPORTUNITY_TYPES: tuple[OpportunityType, ...] = get_args(OpportunityType)
# Each type as a plain noun phrase, for sentences ("Looking for an apprenticeship", "Kick-Start placement: ...").
OPPORTUNITY_TYPE_NAMES: dict[str, str] = {
    "apprenticeship": "apprenticeship",
    "kickstart": "Kick-Start placement",
    "job": "job",
    "traineeship": "traineeship",
    "training": "training course",
    "work_experience": "work experience",
}

# The activity a referral's acceptance starts, by the opportunity's type (work experience starts none: the person
# goes on doing what they were).
ACTIVITY_CODE_OF_OPPORTUNITY_TYPE: dict[OpportunityType, int | None] = {
    "apprenticeship": 310, "job": 330, "kickstart": 350, "traineeship": 410, "training": 450, "work_experience": None,
}

OpportunityStatus = Literal["draft", "live", "closed", "filled"]
OPPORTUNITY_STATUSES: tuple[OpportunityStatus, ...] = get_args(OpportunityStatus)

# The Institute for Apprenticeships' occupational routes, as slugs.
Sector = Literal[
    "agriculture_environment_animal_care",
    "business_administration",
    "care_services",
    "catering_hospitality",
    "construction",
    "creative_design",
    "digital",
    "education_childcare",
    "engineering_manufacturing",
    "hair_beauty",
    "health_science",
    "legal_finance_accounting",
    "protective_services",
    "sales_marketing_procurement",
    "transport_logistics",
]
SECTORS: tuple[Sector, ...] = get_args(Sector)
# Work that can be done from home: desk work at a screen. Hands-on work (hair, care, building, cooking, driving,
# making things...) cannot, so no such posting may say it is remote; a training course may be taught online.
REMOTE_SECTORS: frozenset[Sector] = frozenset(
    {"business_administration", "creative_design", "digital", "legal_finance_accounting", "sales_marketing_procurement"}
)
REMOTE_TYPES: frozenset[OpportunityType] = frozenset({"training"})


def can_be_remote(sector: str, opportunity_type: str) -> bool:
    """Whether work of this area and type can be done from home (the rule publishing and the seed both follow)."""
    return sector in REMOTE_SECTORS or opportunity_type in REMOTE_TYPES

QualificationLevel = Literal["entry", "1", "2", "3", "4", "5", "6", "7", "8"]
QUALIFICATION_LEVELS: tuple[QualificationLevel, ...] = get_args(QualificationLevel)

QualificationType = Literal[
    "entry_level", "functional_skills_entry", "functional_skills_1", "functional_skills_2",
    "gcse_1_3", "gcse_4_9", "btec_1", "btec_2", "btec_3", "nvq_1", "nvq_2", "nvq_3", "nvq_4",
    "as_level", "a_level", "t_level", "access_to_he", "apprenticeship_2", "apprenticeship_3",
    "hnc", "hnd", "foundation_degree", "degree", "masters",
]
QUALIFICATION_TYPES: tuple[QualificationType, ...] = get_args(QualificationType)
# Qualifications by the names people use, and the level each counts as (the regulated qualifications framework):
# a form offers the names, the profiles service records the level.
QUALIFICATION_TYPE_NAMES: dict[QualificationType, str] = {
    "entry_level": "Entry level certificate",
    "functional_skills_entry": "Functional Skills, entry level",
    "functional_skills_1": "Functional Skills level 1",
    "functional_skills_2": "Functional Skills level 2",
    "gcse_1_3": "GCSE grade 1 to 3 (D to G)",
    "gcse_4_9": "GCSE grade 4 to 9 (A* to C)",
    "btec_1": "BTEC level 1",
    "btec_2": "BTEC First (level 2)",
    "btec_3": "BTEC National (level 3)",
    "nvq_1": "NVQ level 1",
    "nvq_2": "NVQ level 2",
    "nvq_3": "NVQ level 3",
    "nvq_4": "NVQ level 4",
    "as_level": "AS level",
    "a_level": "A level",
    "t_level": "T Level",
    "access_to_he": "Access to HE Diploma",
    "apprenticeship_2": "Intermediate apprenticeship (level 2)",
    "apprenticeship_3": "Advanced apprenticeship (level 3)",
    "hnc": "HNC",
    "hnd": "HND",
    "foundation_degree": "Foundation degree",
    "degree": "Degree (bachelor's)",
    "masters": "Master's degree",
}
QUALIFICATION_TYPE_LEVELS: dict[QualificationType, QualificationLevel] = {
    "entry_level": "entry", "functional_skills_entry": "entry", "functional_skills_1": "1",
    "functional_skills_2": "2", "gcse_1_3": "1", "gcse_4_9": "2", "btec_1": "1", "btec_2": "2", "btec_3": "3",
    "nvq_1": "1", "nvq_2": "2", "nvq_3": "3", "nvq_4": "4", "as_level": "3", "a_level": "3", "t_level": "3",
    "access_to_he": "3", "apprenticeship_2": "2", "apprenticeship_3": "3", "hnc": "4", "hnd": "5",
    "foundation_degree": "5", "degree": "6", "masters": "7",
}


def level_number(level: str) -> int:
    """A recorded qualification level as a number: entry level counts as 0."""
    return 0 if level == "entry" else int(level)


def level_asked_first(posting_level: int) -> int:
    """The qualification level a posting at `posting_level` usually asks for first (England's apprenticeship entry
    requirements): nothing beyond entry level up to level 2 (intermediate apprenticeships ask for no qualifications;
    English and maths can be taken during them), level 2 for level 3 (five GCSEs at grade 4 or above), and level 3
    (A levels, a T Level, an advanced apprenticeship) for the higher and degree levels, 4 and above."""
    if posting_level <= 2:
        return 0
    return 2 if posting_level == 3 else 3


ReferralStatus = Literal[
    "referred", "applied", "interviewing", "offered", "accepted", "declined", "unsuccessful", "withdrawn"
]
REFERRAL_STATUSES: tuple[ReferralStatus, ...] = get_args(ReferralStatus)
# The referral pipeline: where a referral may go from each open status. Terminal statuses go nowhere.
REFERRAL_TRANSITIONS: dict[str, frozenset[ReferralStatus]] = {
    "referred": frozenset({"applied", "unsuccessful", "withdrawn"}),
    "applied": frozenset({"interviewing", "offered", "unsuccessful", "withdrawn"}),
    "interviewing": frozenset({"offered", "unsuccessful", "withdrawn"}),
    "offered": frozenset({"accepted", "declined", "withdrawn"}),
}
OPEN_REFERRAL_STATUSES: frozenset[ReferralStatus] = frozenset(s for s in REFERRAL_STATUSES if s in REFERRAL_TRANSITIONS)
TERMINAL_REFERRAL_STATUSES: frozenset[ReferralStatus] = frozenset(REFERRAL_STATUSES) - OPEN_REFERRAL_STATUSES
# Withdrawing is the young person's choice, recorded by their adviser; employers record the other outcomes.
ADVISER_ONLY_REFERRAL_STATUSES: frozenset[ReferralStatus] = frozenset({"withdrawn"})
# A referral in any of these means "already referred": a withdrawn one may be made again.
REFERRED_STATUSES: frozenset[ReferralStatus] = frozenset(REFERRAL_STATUSES) - ADVISER_ONLY_REFERRAL_STATUSES
ACCEPTED: ReferralStatus = "accepted"
# A referral in one of these stops the same person being referred to the same opportunity again.
BLOCKING_REFERRAL_STATUSES: frozenset[ReferralStatus] = OPEN_REFERRAL_STATUSES | {ACCEPTED}


def next_referral_statuses(current: str, *, by_adviser: bool) -> tuple[ReferralStatus, ...]:
    """Where a referral may move from `current`, for an adviser or for the employer, in pipeline order."""
    allowed = REFERRAL_TRANSITIONS.get(current, frozenset())
    return tuple(
        status
        for status in REFERRAL_STATUSES
        if status in allowed and (by_adviser or status not in ADVISER_ONLY_REFERRAL_STATUSES)
    )


GuaranteeStatus = Literal["on_track", "at_risk", "overdue", "met", "met_late"]
GUARANTEE_STATUSES: tuple[GuaranteeStatus, ...] = get_args(GuaranteeStatus)


# Human oversight of the matcher's suggestions: why an adviser dismissed one, or referred someone to an opportunity
# outside the top suggestions (or one never suggested). "other" wants words.
OversightReason = Literal[
    "not_what_they_want", "too_far", "not_ready", "applied_elsewhere", "employer_not_suitable", "other"
]
OVERSIGHT_REASONS: tuple[OversightReason, ...] = get_args(OversightReason)
# How the oversight summary counts decisions by reason: each reason, a reason in words alone, or none given.
OVERSIGHT_WORDS_ONLY = "words_only"
OVERSIGHT_NO_REASON = "no_reason"
OVERSIGHT_SUMMARY_REASONS: tuple[str, ...] = (*OVERSIGHT_REASONS, OVERSIGHT_WORDS_ONLY, OVERSIGHT_NO_REASON)
# A referral to a suggestion ranked below this (or to one never suggested) goes against the matcher: a reason is
# asked for, and the summary counts it apart. The opportunities service's OPPORTUNITIES_TOP_SUGGESTIONS may change it.
TOP_SUGGESTIONS = 5
# What a served suggestion's reasons spoke of, as codes (the words name the person's skills and interests, which no
# plain event may carry).
SuggestionReason = Literal[
    "skills", "interests", "remote", "distance", "universal_credit", "age", "wanted_type", "priority_group",
    "closing_soon", "beyond_travel", "level", "other",
]
SUGGESTION_REASONS: tuple[SuggestionReason, ...] = get_args(SuggestionReason)
