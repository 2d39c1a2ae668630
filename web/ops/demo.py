"""A deterministic, realistic demo population for North Hesse and South Lower Saxony.

Seeded: the same seed and the same ``today`` always give the same people,
so screenshots, tests and the README stay true.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from web.core import audit
from web.core.auth import hash_password
from web.core.models import (
    Coordinator,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Vetting,
    utcnow,
)
from web.core.places import create_region
from web.core.vocabulary import DAYPARTS, DAYS, HELP_TOPICS, INTERESTS

DEMO_PASSWORD = "tandem-demo"  # noqa: S105 (published on purpose; demo accounts are flagged)
DEMO_REGIONS = (
    # slug, name, centre, radius in km, share of the population
    ("kassel", "Stadt und Landkreis Kassel", "Kassel", 25.0, 0.6),
    ("goettingen", "Landkreis Göttingen", "Göttingen", 18.0, 0.4),
)
DEMO_COORDINATORS = (
    ("admin@tandem.example", "Demo Admin", "admin", ()),
    ("kassel@tandem.example", "Katrin (Kassel)", "coordinator", ("kassel",)),
    ("goettingen@tandem.example", "Jonas (Göttingen)", "coordinator", ("goettingen",)),
)

# Newcomers' first languages with rough shares in the region, and typical names.
ORIGINS = (
    ("ar", 0.32, ("Nour", "Ahmad", "Rama", "Omar", "Yasmin", "Khaled", "Lina", "Mahmoud")),
    ("fa", 0.20, ("Zahra", "Ali", "Fatemeh", "Reza", "Mina", "Hamid", "Parisa", "Sohrab")),
    ("uk", 0.20, ("Olena", "Andrii", "Iryna", "Dmytro", "Kateryna", "Oksana", "Taras")),
    ("ru", 0.06, ("Natalia", "Sergei", "Anna", "Pavel", "Svetlana")),
    ("tr", 0.08, ("Elif", "Mehmet", "Ayşe", "Emre", "Zeynep")),
    ("ti", 0.07, ("Semhar", "Yonas", "Helen", "Dawit", "Selam")),
    ("ku", 0.07, ("Rojda", "Dilan", "Berivan", "Azad", "Shirin")),
)
LOCAL_NAMES = (
    "Lena",
    "Jan",
    "Sabine",
    "Thomas",
    "Ursula",
    "Michael",
    "Anke",
    "Peter",
    "Julia",
    "Felix",
    "Monika",
    "Stefan",
    "Heike",
    "Tobias",
    "Greta",
    "Karl",
    "Miriam",
    "Jonas",
    "Ingrid",
    "Paul",
)
SURNAMES = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Haddad",
    "Karimi",
    "Kovalenko",
    "Yılmaz",
    "Tesfaye",
)
INTEREST_KEYS = tuple(INTERESTS)
TOPIC_KEYS = tuple(HELP_TOPICS)


@dataclass(frozen=True)
class DemoSummary:
    locals: int
    newcomers: int
    logins: tuple[tuple[str, str], ...]  # (e-mail, role)
    password: str = DEMO_PASSWORD


class DemoAlreadyLoaded(RuntimeError):
    pass


def _slots(rng: random.Random, *, evenings: bool) -> list[str]:
    """Skewed availability: volunteers mostly evenings and weekends."""
    weights = {
        (day, part): (3 if (evenings and (part == "evening" or day in ("sat", "sun"))) else 1)
        for day in DAYS
        for part in DAYPARTS
    }
    keys = list(weights)
    chosen = set()
    for _ in range(rng.randint(2, 6)):
        day, part = rng.choices(keys, weights=[weights[k] for k in keys])[0]
        chosen.add(f"{day}_{part}")
    return sorted(chosen, key=lambda slot: (DAYS.index(slot[:3]), slot))


def _place(rng: random.Random, places: list[Place]) -> Place:
    # Bigger towns get more people, but every village can appear.
    return rng.choices(places, weights=[max(p.population, 500) ** 0.6 for p in places])[0]


def _local(rng: random.Random, index: int, place: Place, today: date) -> Participant:
    first = rng.choice(LOCAL_NAMES)
    gender = (
        "female"
        if first
        in {
            "Lena",
            "Sabine",
            "Ursula",
            "Anke",
            "Julia",
            "Monika",
            "Heike",
            "Greta",
            "Miriam",
            "Ingrid",
        }
        else "male"
    )
    languages = {"de": "native"}
    if rng.random() < 0.7:
        languages["en"] = rng.choice(("B1", "B2", "B2", "C1"))
    for code, chance in (("fr", 0.12), ("ru", 0.06), ("tr", 0.05), ("ar", 0.04), ("es", 0.08)):
        if rng.random() < chance:
            languages[code] = rng.choice(("A2", "B1", "B2", "native"))
    person = Participant(
        role="local",
        status=rng.choices(("active", "pending", "unverified"), weights=(85, 10, 5))[0],
        first_name=first,
        last_name=rng.choice(SURNAMES[:10]),
        email=f"local{index:03d}@demo.tandem.example",
        locale="de",
        place_id=place.id,
        online_ok=rng.random() < 0.3,
        gender=gender if rng.random() < 0.95 else None,
        partner_genders=[gender] if rng.random() < 0.15 else [],
        birth_year=today.year - rng.randint(21, 76),
        capacity=rng.choices((1, 2, 3), weights=(70, 22, 8))[0],
        learning=rng.sample(("ar", "fa", "uk", "tr", "es"), k=rng.choice((0, 0, 1))),
        interests=rng.sample(INTEREST_KEYS, k=rng.randint(2, 5)),
        help_topics=rng.sample(TOPIC_KEYS, k=rng.randint(1, 4)),
        slots=_slots(rng, evenings=True),
    )
    person.languages = [ParticipantLanguage(language=c, level=lv) for c, lv in languages.items()]
    return person


def _newcomer(rng: random.Random, index: int, place: Place, today: date) -> Participant:
    codes, shares, names = zip(*ORIGINS, strict=True)
    origin = rng.choices(range(len(ORIGINS)), weights=shares)[0]
    first_language, first = codes[origin], rng.choice(names[origin])
    languages = {first_language: "native"}
    if first_language == "uk" or (first_language == "fa" and rng.random() < 0.2):
        languages["ru" if first_language == "uk" else "ar"] = rng.choice(("B1", "B2", "C1"))
    if first_language == "ku":
        languages[rng.choice(("ar", "tr"))] = rng.choice(("B1", "B2", "C1"))
    if rng.random() < 0.45:
        languages["en"] = rng.choice(("A2", "B1", "B1", "B2", "C1"))
    languages["de"] = rng.choices(("A1", "A2", "B1", "B2"), weights=(35, 35, 20, 10))[0]
    minor = rng.random() < 0.08
    gender = rng.choice(("female", "male"))
    person = Participant(
        role="newcomer",
        status=rng.choices(("active", "pending", "unverified"), weights=(85, 10, 5))[0],
        first_name=first,
        last_name=rng.choice(SURNAMES[10:]),
        email=f"newcomer{index:03d}@demo.tandem.example",
        locale=first_language if first_language in ("ar", "fa", "uk", "ru", "tr") else "en",
        place_id=place.id,
        online_ok=rng.random() < 0.2,
        gender=gender,
        partner_genders=["female"] if gender == "female" and rng.random() < 0.3 else [],
        birth_year=today.year - (rng.randint(16, 17) if minor else rng.randint(18, 62)),
        learning=["de"],
        interests=rng.sample(INTEREST_KEYS, k=rng.randint(1, 4)),
        help_topics=["language_practice", *rng.sample(TOPIC_KEYS[1:], k=rng.randint(0, 3))],
        slots=_slots(rng, evenings=False),
        waiting_since=today - timedelta(days=rng.randint(0, 300)),
    )
    person.languages = [ParticipantLanguage(language=c, level=lv) for c, lv in languages.items()]
    return person


def load_demo(
    session: Session,
    *,
    today: date,
    seed: int = 2026,
    locals_count: int = 80,
    newcomers_count: int = 120,
) -> DemoSummary:
    """Create the demo regions, coordinators and people in the caller's transaction."""
    if session.scalar(select(func.count()).select_from(Region)):
        raise DemoAlreadyLoaded("the database already holds regions; the demo needs an empty one")
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    regions = {
        slug: create_region(session, slug=slug, name=name, centre=centre, radius_km=radius)
        for slug, name, centre, radius, _ in DEMO_REGIONS
    }
    password_hash = hash_password(DEMO_PASSWORD)
    coordinators = []
    for email, name, role, region_slugs in DEMO_COORDINATORS:
        coordinator = Coordinator(
            email=email,
            display_name=name,
            role=role,
            password_hash=password_hash,
            is_demo=True,
            regions=[regions[slug] for slug in region_slugs],
        )
        session.add(coordinator)
        coordinators.append(coordinator)
    session.flush()

    places_by_region = {
        slug: list(
            session.scalars(
                select(Place).where(Place.region_id == region.id).order_by(Place.geonameid)
            )
        )
        for slug, region in regions.items()
    }
    shares = [share for *_, share in DEMO_REGIONS]
    slugs = [slug for slug, *_ in DEMO_REGIONS]
    people = []
    for index in range(locals_count):
        place = _place(rng, places_by_region[rng.choices(slugs, weights=shares)[0]])
        people.append(_local(rng, index, place, today))
    for index in range(newcomers_count):
        place = _place(rng, places_by_region[rng.choices(slugs, weights=shares)[0]])
        people.append(_newcomer(rng, index, place, today))
    session.add_all(people)
    session.flush()
    region_coordinators = {c.regions[0].id: c for c in coordinators if c.regions}
    for person in people:
        if person.status != "unverified":
            person.verified_at = person.created_at
        if person.role == "local" and person.status == "active" and rng.random() < 0.45:
            checker = region_coordinators[session.get(Place, person.place_id).region_id]  # type: ignore[union-attr]
            session.add(
                Vetting(
                    local_id=person.id,
                    seen_by_id=checker.id,
                    certificate_date=today - timedelta(days=rng.randint(20, 900)),
                    seen_on=today - timedelta(days=rng.randint(1, 15)),
                )
            )
    audit.write(
        session,
        now=utcnow(),
        actor=None,
        action="demo.load",
        subject_type="database",
        subject_id=seed,
    )
    session.flush()
    return DemoSummary(
        locals=locals_count,
        newcomers=newcomers_count,
        logins=tuple((email, role) for email, _, role, _ in DEMO_COORDINATORS),
    )
