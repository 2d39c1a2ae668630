"""A deterministic, realistic demo population for North Hesse and South Lower Saxony.

Seeded: the same seed and the same ``today`` always give the same people,
so screenshots, tests and the README stay true.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from web.core import audit
from web.core.auth import hash_password
from web.core.calendar import BERLIN
from web.core.models import (
    Coordinator,
    MeetingPlace,
    Occasion,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Vetting,
    utcnow,
)
from web.core.places import create_region
from web.core.sql import id_of
from web.core.vocabulary import DAYPARTS, DAYS, HELP_TOPICS, INTERESTS
from web.events import recurrence, signups

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

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
_DAYTIME = tuple(f"{day}_{part}" for day in _WEEKDAYS for part in ("morning", "afternoon"))
_LATE = tuple(f"{day}_{part}" for day in DAYS for part in ("afternoon", "evening"))
# Meeting places per region: name, kind, street, town, (lat, lon) or None for the town's
# middle, opening slots, step-free, costs, staff languages, German description.
DEMO_MEETING_PLACES = {
    "kassel": (
        (
            "Stadtbibliothek Kassel",
            "library",
            "Obere Königsstraße 3",
            "Kassel",
            (51.3148, 9.4985),
            (*_DAYTIME, "sat_morning"),
            True,
            False,
            ("de", "en"),
            "Ruhige Tische im Lesecafé im Erdgeschoss, Wörterbücher zum Ausleihen.",
        ),
        (
            "Stadtteilzentrum Wesertor",
            "community_centre",
            "Weserstraße 26",
            "Kassel",
            (51.3206, 9.5050),
            (*_DAYTIME, "tue_evening", "thu_evening"),
            True,
            False,
            ("de", "ar", "tr"),
            "Offener Treff mit Küche; dienstags Sprachcafé.",
        ),
        (
            "Café am Königsplatz",
            "cafe",
            "Königsplatz 38",
            "Kassel",
            (51.3160, 9.4930),
            _LATE,
            False,
            True,
            ("de", "en"),
            "Zentral, gut mit Bus und Tram zu erreichen.",
        ),
        (
            "Stadtbücherei Baunatal",
            "library",
            "Marktplatz 16",
            "Baunatal",
            None,
            _DAYTIME,
            True,
            False,
            ("de",),
            "Kleine Bücherei mit Gruppentisch am Fenster.",
        ),
        (
            "Tandem-Videoraum Kassel",
            "online",
            None,
            None,
            None,
            (),
            False,
            False,
            ("de",),
            "Ein fester Videoraum für Tandems, die sich online treffen.",
        ),
    ),
    "goettingen": (
        (
            "Stadtbibliothek Göttingen",
            "library",
            "Gotmarstraße 8",
            "Göttingen",
            (51.5347, 9.9370),
            (*_DAYTIME, "sat_morning"),
            True,
            False,
            ("de", "en"),
            "Lernplätze im ersten Stock, ein Raum für Gespräche.",
        ),
        (
            "Nachbarschaftszentrum Grone",
            "community_centre",
            "Deisterstraße 10",
            "Göttingen",
            (51.5390, 9.9040),
            (*_DAYTIME, "wed_evening"),
            True,
            False,
            ("de", "ar", "fa", "ru"),
            "Treffpunkt im Stadtteil mit Spielecke für Kinder.",
        ),
        (
            "Café am Wilhelmsplatz",
            "cafe",
            "Wilhelmsplatz 3",
            "Göttingen",
            (51.5336, 9.9382),
            _LATE,
            False,
            True,
            ("de", "en"),
            "Gemütliches Café in der Altstadt.",
        ),
        (
            "Cheltenhampark",
            "park",
            "Am Cheltenhampark",
            "Göttingen",
            (51.5290, 9.9410),
            ("sat_afternoon", "sun_afternoon", "sun_morning"),
            True,
            False,
            (),
            "Bei gutem Wetter: Treffpunkt am Spielplatz.",
        ),
        (
            "Tandem-Videoraum Göttingen",
            "online",
            None,
            None,
            None,
            (),
            False,
            False,
            ("de",),
            "Ein fester Videoraum für Tandems, die sich online treffen.",
        ),
    ),
}

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
        place_id=id_of(place),
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
    person.languages = [
        ParticipantLanguage(language=c, level=lv)  # type: ignore[call-arg]  # participant_id: set through the relationship
        for c, lv in languages.items()
    ]
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
        place_id=id_of(place),
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
    person.languages = [
        ParticipantLanguage(language=c, level=lv)  # type: ignore[call-arg]  # participant_id: set through the relationship
        for c, lv in languages.items()
    ]
    return person


def _meeting_places(
    session: Session, regions: dict[str, Region], towns: dict[str, list[Place]]
) -> dict[str, dict[str, MeetingPlace]]:
    added: dict[str, dict[str, MeetingPlace]] = {}
    for slug, rows in DEMO_MEETING_PLACES.items():
        by_name = {town.name: town for town in towns[slug]}
        for name, kind, street, town_name, position, slots, step_free, costs, staff, text in rows:
            town = by_name.get(town_name) if town_name else None
            lat, lon = position or ((town.lat, town.lon) if town else (None, None))
            added.setdefault(slug, {})[name] = place = (
                MeetingPlace(
                    region_id=id_of(regions[slug]), name=name, kind=kind, street=street,
                    town_id=town.id if town else None, lat=lat, lon=lon,
                    video_url=f"https://meet.tandem.example/{slug}" if kind == "online" else None,
                    slots=list(slots), step_free=step_free, costs=costs,
                    staff_languages=list(staff), descriptions={"de": text},
                )
            )  # fmt: skip
            session.add(place)
    session.flush()
    return added


# Events per region: title (de, en, ar, fa, uk), place, repeat, weekday, hour, hours,
# first in how many weeks, capacity, audience.
DEMO_EVENTS = {
    "kassel": (
        (
            (
                "Stammtisch Begegnung",
                "Get-together evening",
                "أمسية تعارف",
                "دورهمی آشنایی",
                "Вечір знайомств",
            ),
            "Stadtteilzentrum Wesertor",
            "monthly",
            3,
            19,
            2,
            0,
            20,
            "everyone",
        ),
        (
            ("Sprachcafé", "Language café", "مقهى اللغة", "کافه زبان", "Мовне кафе"),
            "Stadtbibliothek Kassel",
            "weekly",
            1,
            16,
            2,
            0,
            None,
            "everyone",
        ),
        (
            (
                "Ausflug in den Bergpark Wilhelmshöhe",
                "Trip to the Bergpark Wilhelmshöhe",
                "رحلة إلى حديقة فيلهلمسهوهه",
                "گردش در پارک ویلهلمزهوهه",
                "Прогулянка парком Вільгельмсгеє",
            ),
            "Café am Königsplatz",
            "once",
            5,
            11,
            4,
            3,
            15,
            "newcomers",
        ),
    ),
    "goettingen": (
        (
            (
                "Stammtisch Begegnung",
                "Get-together evening",
                "أمسية تعارف",
                "دورهمی آشنایی",
                "Вечір знайомств",
            ),
            "Nachbarschaftszentrum Grone",
            "monthly",
            2,
            18,
            2,
            0,
            15,
            "everyone",
        ),
        (
            (
                "Stand beim Weststadtfest",
                "Stand at the Weststadtfest",
                "جناح في مهرجان الحي الغربي",
                "غرفه در جشن محلهٔ غرب",
                "Стенд на святі Вестштадт",
            ),
            "Cheltenhampark",
            "once",
            5,
            14,
            4,
            4,
            None,
            "everyone",
        ),
    ),
}


DEMO_EVENT_TEXT = "Alle sind willkommen, eine Anmeldung hilft uns beim Planen."


def _events(
    session: Session,
    regions: dict[str, Region],
    places: dict[str, dict[str, MeetingPlace]],
    today: date,
) -> None:
    for slug, rows in DEMO_EVENTS.items():
        for titles, place_name, repeat, weekday, hour, hours, weeks, capacity, audience in rows:
            day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)
            if repeat == "monthly":  # the first such weekday of next month
                first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
                day = first + timedelta(days=(weekday - first.weekday()) % 7)
            start = datetime.combine(day, time(hour), tzinfo=BERLIN)
            session.add(
                Occasion(
                    region_id=id_of(regions[slug]),
                    meeting_place_id=id_of(places[slug][place_name]),
                    titles=dict(zip(("de", "en", "ar", "fa", "uk"), titles, strict=True)),
                    descriptions={"de": DEMO_EVENT_TEXT},
                    starts_at=start.astimezone(UTC),
                    ends_at=(start + timedelta(hours=hours)).astimezone(UTC),
                    repeat=repeat, weekdays=[DAYS[weekday]] if repeat == "weekly" else [],
                    capacity=capacity, audience=audience, languages=["de", "en", "ar", "fa"],
                )
            )  # fmt: skip


def _signups(session: Session, people: list[Participant], rng: random.Random,
             today: date) -> None:  # fmt: skip
    """A few people signed up for each event's next date; the smallest one full, with a
    waiting list (so a coordinator sees one when exploring the demo)."""
    now = datetime.combine(today, time(8), tzinfo=BERLIN).astimezone(UTC)
    home_ids = {person.place_id for person in people}
    regions = dict(
        session.execute(
            select(col(Place.id), col(Place.region_id)).where(col(Place.id).in_(home_ids))
        ).all()
    )
    occasions = list(session.scalars(select(Occasion).order_by(col(Occasion.id))))
    limited = [o for o in occasions if o.capacity is not None]
    smallest = min(limited, key=lambda o: (o.capacity, o.id)) if limited else None
    for occasion in occasions:
        when = recurrence.next_occurrence(occasion, now)
        if when is None:
            continue
        fitting = [
            person for person in people
            if person.status == "active" and regions.get(person.place_id) == occasion.region_id
            and signups.may_sign_up(person, occasion)
        ]  # fmt: skip
        wanted = (occasion.capacity or 0) + 2 if occasion is smallest else 4
        for person in rng.sample(fitting, min(len(fitting), wanted)):
            signups.sign_up(session, occasion, when.date(), person, now=now)


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
    for slug, region in regions.items():  # the signature of the region's e-mails
        region.contact_email = f"tandem.{slug}@example.org"
        region.contact_phone = "+495614004000"
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
                select(Place)
                .where(col(Place.region_id) == region.id)
                .order_by(col(Place.geonameid))
            )
        )
        for slug, region in regions.items()
    }
    meeting_places = _meeting_places(session, regions, places_by_region)
    _events(session, regions, meeting_places, today)
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
    # Its own random stream: the people and checks stay what they were before sign-ups.
    _signups(session, people, random.Random(seed + 1), today)  # noqa: S311 (demo data)
    region_coordinators = {c.regions[0].id: c for c in coordinators if c.regions}
    for person in people:
        if person.status != "unverified":
            person.verified_at = person.created_at
        if person.role == "local" and person.status == "active" and rng.random() < 0.45:
            checker = region_coordinators[session.get_one(Place, person.place_id).region_id]
            session.add(
                Vetting(
                    local_id=id_of(person),
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
