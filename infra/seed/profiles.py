"""Synthetic young people with registrations spread over the past months (never real people)."""

from __future__ import annotations

import datetime as dt

from infra.seed.context import SeedContext, SeededPerson
from services.common.auth import Principal, Role
from services.common.db import make_engine, make_session_factory, run_migrations
from services.common.postcodes import known_outward_codes
from services.profiles import service
from services.profiles.config import ProfilesSettings
from services.profiles.main import MIGRATIONS
from services.profiles.schemas import ProfileCreate, ProfileUpdate

GIVEN_NAMES = [
    "Aaliyah",
    "Abdul",
    "Alfie",
    "Amara",
    "Amelia",
    "Archie",
    "Ava",
    "Bella",
    "Caleb",
    "Chloe",
    "Connor",
    "Daisy",
    "Declan",
    "Ebony",
    "Eden",
    "Ellis",
    "Emre",
    "Esme",
    "Ethan",
    "Evie",
    "Farah",
    "Finley",
    "Freya",
    "George",
    "Grace",
    "Harvey",
    "Hassan",
    "Ibrahim",
    "Imogen",
    "Isaac",
    "Isla",
    "Jack",
    "Jade",
    "Jayden",
    "Kai",
    "Keira",
    "Kian",
    "Layla",
    "Leo",
    "Lily",
    "Logan",
    "Maisie",
    "Mason",
    "Maya",
    "Mia",
    "Mohammed",
    "Nathan",
    "Nia",
    "Noah",
    "Olivia",
    "Oscar",
    "Phoebe",
    "Priya",
    "Reece",
    "Riley",
    "Rosie",
    "Ruby",
    "Ryan",
    "Sami",
    "Scarlett",
    "Sienna",
    "Sofia",
    "Tariq",
    "Theo",
    "Tyler",
    "Willow",
    "Yusuf",
    "Zara",
    "Zainab",
]
FAMILY_NAMES = [
    "Ahmed",
    "Ali",
    "Allen",
    "Bailey",
    "Baker",
    "Begum",
    "Bennett",
    "Brooks",
    "Carter",
    "Chapman",
    "Clarke",
    "Collins",
    "Davies",
    "Dixon",
    "Edwards",
    "Ellis",
    "Evans",
    "Fletcher",
    "Foster",
    "Green",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "Lee",
    "Lewis",
    "Marsh",
    "Mitchell",
    "Moore",
    "Morris",
    "Murphy",
    "Nowak",
    "Owen",
    "Palmer",
    "Parker",
    "Patel",
    "Price",
    "Roberts",
    "Robinson",
    "Shaw",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
]
SKILLS = (
    "customer service",
    "teamwork",
    "communication",
    "cash handling",
    "food hygiene",
    "cooking",
    "cleaning",
    "stock control",
    "Microsoft Excel",
    "data entry",
    "social media",
    "driving licence",
    "forklift",
    "first aid",
    "health and safety",
    "time management",
    "problem solving",
    "basic maths",
    "English",
    "caring for children",
    "caring for older people",
    "gardening",
    "painting and decorating",
    "carpentry",
    "electrical basics",
    "plumbing basics",
    "bike maintenance",
    "car maintenance",
    "hairdressing",
    "make-up",
    "photography",
    "video editing",
    "coding in Python",
    "web design",
    "graphic design",
    "music production",
    "sport coaching",
    "fitness instruction",
    "retail merchandising",
    "warehouse picking",
    "barista",
    "bar work",
    "waiting tables",
    "telephone skills",
    "Welsh",
    "Polish",
    "Urdu",
    "sign language",
    "animal care",
    "horticulture",
)
INTERESTS = (
    "shop assistant",
    "chef",
    "kitchen porter",
    "care worker",
    "nursery nurse",
    "electrician",
    "plumber",
    "carpenter",
    "motor vehicle technician",
    "hairdresser",
    "beauty therapist",
    "software developer",
    "web developer",
    "IT support technician",
    "graphic designer",
    "warehouse operative",
    "delivery driver",
    "fitness instructor",
    "sports coach",
    "receptionist",
    "administrative assistant",
    "accounts clerk",
    "bricklayer",
    "painter and decorator",
    "gardener",
    "animal care assistant",
    "veterinary nurse",
    "barista",
    "waiter",
    "hotel receptionist",
    "teaching assistant",
    "dental nurse",
    "pharmacy assistant",
    "customer service adviser",
    "call centre agent",
    "security officer",
    "cleaner",
    "baker",
    "butcher",
    "photographer",
    "video editor",
    "sound technician",
    "stage technician",
    "laboratory technician",
)
ABOUT = (
    "Looking for my first job and happy to learn on the job.",
    "Left college last year and want an apprenticeship with proper training.",
    "I like working with my hands and being busy.",
    "Good with people, want something customer facing.",
    "Want to get back into work after caring for family.",
    "Interested in anything creative or digital.",
    "Prefer outdoor work, not keen on sitting at a desk all day.",
    "I would like a job close to home because I rely on the bus.",
    "Need part-time hours at first while I settle in.",
    "Keen to earn while I learn and get a qualification.",
)
SUBJECTS = ("English", "Maths", "Science", "ICT", "Art", "Business", "Health and Social Care", "Catering", "Sport")
TYPES = ("apprenticeship", "kickstart", "job", "traineeship", "training", "work_experience")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _postcode(ctx: SeedContext) -> str:
    districts = [code for code in known_outward_codes() if code.startswith("SK") or code in ("M19", "M20", "M22")]
    outward = ctx.rng.choice(districts)
    inward = f"{ctx.rng.randint(1, 9)}{ctx.rng.choice(INWARD_LETTERS)}{ctx.rng.choice(INWARD_LETTERS)}"
    return f"{outward} {inward}"


def _birth_date(ctx: SeedContext, registered: dt.date) -> dt.date:
    age = ctx.rng.choices(range(16, 30), weights=[6, 8, 10, 10, 9, 8, 7, 6, 5, 4, 3, 3, 2, 2])[0]
    born = registered.replace(year=registered.year - age - 1, month=1, day=1)
    return born + dt.timedelta(days=ctx.rng.randint(1, 360))


def _person(ctx: SeedContext, registered: dt.date) -> ProfileCreate:
    rng = ctx.rng
    groups = [
        g
        for g, share in (("care_leaver", 0.12), ("send", 0.14), ("long_term_unemployed", 0.18), ("young_carer", 0.08))
        if rng.random() < share
    ]
    status = rng.choices(("neet", "education", "employment", "training"), weights=(80, 8, 6, 6))[0]
    if status == "neet":
        groups.append("neet")
    given = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    return ProfileCreate.model_validate(
        {
            "given_name": given,
            "family_name": family,
            "date_of_birth": _birth_date(ctx, registered).isoformat(),
            "postcode": _postcode(ctx),
            "email": f"{given}.{family}.{rng.randint(10, 999)}@example.org".lower(),
            "phone": f"07700 900{rng.randint(100, 999)}",
            "status": status,
            "on_universal_credit": rng.random() < 0.55,
            "priority_groups": groups,
            "skills": rng.sample(SKILLS, rng.randint(2, 6)),
            "interests": rng.sample(INTERESTS, rng.randint(1, 3)),
            "qualifications": [
                {"level": rng.choice(("entry", "1", "2", "2", "3")), "subject": subject}
                for subject in rng.sample(SUBJECTS, rng.randint(0, 3))
            ],
            "about": rng.choice(ABOUT),
            "preferred_types": rng.sample(TYPES, rng.randint(1, 3)),
            "max_travel_km": rng.choice((5, 8, 10, 12, 15, 20)),
            "consent_share_with_employers": rng.random() < 0.8,
        }
    )


def seed(ctx: SeedContext, count: int = 160) -> None:
    """Register `count` synthetic young people, back-dated over the past six months."""
    settings = ProfilesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    adviser_for = {index: ctx.adviser_ids[index % len(ctx.adviser_ids)] for index in range(count)}
    for index in ctx.progress(range(count), "young people", total=count):
        registered_at = ctx.now - dt.timedelta(days=ctx.rng.uniform(0, 180), hours=ctx.rng.uniform(0, 8))
        data = _person(ctx, registered_at.date())
        with sessions() as session:
            read = service.register_profile(
                session=session,
                data=data,
                principal=Principal(Role.ADVISER, adviser_for[index]),
                settings=settings,
                now=registered_at,
            )
        if ctx.rng.random() < 0.15:
            later = min(ctx.now, registered_at + dt.timedelta(days=ctx.rng.uniform(3, 40)))
            with sessions() as session:
                service.update_profile(
                    session=session,
                    profile_id=read.id,
                    data=ProfileUpdate(skills=[*read.skills, ctx.rng.choice(SKILLS)]),
                    principal=Principal(Role.ADVISER, adviser_for[index]),
                    settings=settings,
                    now=later,
                )
        ctx.people.append(
            SeededPerson(
                profile_id=read.id,
                date_of_birth=read.date_of_birth,
                on_universal_credit=read.on_universal_credit,
                registered_at=registered_at,
                skills=tuple(read.skills),
                postcode=read.postcode,
            )
        )
    engine.dispose()


def profile_count() -> int:
    """How many profiles the profiles database holds (0 for a new one)."""
    from sqlalchemy import func, select

    from services.profiles.models import Profile

    settings = ProfilesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Profile)) or 0
    engine.dispose()
    return count
