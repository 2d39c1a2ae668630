"""Named worlds the tests share, built from tests/builders.py.

- ``two_regions``: Alice coordinates Kassel, Bob coordinates Göttingen, Ada is an admin.
- ``region_of_300``: one region with 300 people (a third locals), the size a coordinator
  really looks after.
- ``tandems_in_every_state``: one tandem in each life-cycle state, each pair with its own names.
- ``one_suggestion_each``: two regions, one suggestion in each.
- ``three_suggestions``: Kassel with a very good, a good and a fair suggestion.
- ``proposed_tandem``: Lena and Nour, a tandem proposed to both (the e-mails sent).
- ``running_tandem``: Lena and Nour, a tandem running since START, check-ins scheduled.
- ``waiting_for_relaxations``: Kassel where each relaxation of the matching rules helps
  newcomers known by hand (two need a lower level, one a larger radius, two online).
- ``every_route``: Kassel with a row behind every path parameter of the app (the fuzz run's
  and the route walk's world), with the ids and tokens that exist.
- ``every_audit_action``: an audit trail with one row of every action the code can write
  (``tests/audit_actions.py``), newest first in the order of the actions.

A world takes a session (and adds to it) when a test adds more to it in the same
transaction, and an engine when it commits and hands back ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.audit_actions import writable_actions, writable_subject_types
from tests.builders import (
    PASSWORD,
    Pair,
    add_place,
    build_tandem,
    db,
    make_coordinator,
    make_local,
    make_newcomer,
    make_participant,
    make_region,
    make_suggestion,
    place_of,
)
from web.core.models import (
    AuditLog,
    Consent,
    Coordinator,
    OutboxMessage,
    Participant,
    Place,
    ProblemReport,
    Region,
    Tandem,
    utcnow,
)
from web.core.settings import Settings
from web.core.vocabulary import (
    END_REASONS,
    MEETING_FREQUENCIES,
    PROBLEM_KINDS,
    REJECT_REASONS,
    TANDEM_STATUSES,
)

# --- two regions, their coordinators and an admin --------------------------------------------


@dataclass
class TwoRegions:
    kassel: Region
    goettingen: Region
    alice: Coordinator  # coordinates Kassel
    bob: Coordinator  # coordinates Göttingen
    ada: Coordinator  # an admin: every region


def two_regions(session: Session) -> TwoRegions:
    """Alice coordinates Kassel, Bob coordinates Göttingen, Ada is an admin."""
    kassel = make_region(session, "kassel")
    goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
    return TwoRegions(
        kassel=kassel,
        goettingen=goettingen,
        alice=make_coordinator(session, "alice@example.org", regions=[kassel]),
        bob=make_coordinator(session, "bob@example.org", regions=[goettingen]),
        ada=make_coordinator(session, "ada@example.org", role="admin"),
    )


# --- namesakes: people only their town tells apart (issue 15 §2) ----------------------------


def namesakes(session: Session) -> dict[str, Participant]:
    """Two regions (``two_regions``); Kassel has the towns "kassel-town" and "Baunatal".
    Two newcomers "Iryna Haddad" (one in each town), three Yasmins (Çelik in kassel-town,
    Haddad in Baunatal, one without a surname in kassel-town), two locals "Ingrid Weber" (one
    in each town) with a suggestion each, for the Iryna of their town. Göttingen has an
    "Iryna Haddad" too (Bob's, never Alice's)."""
    world = two_regions(session)
    kassel, baunatal = world.kassel, add_place(session, world.kassel, "Baunatal")
    here = {"place_id": baunatal.id}
    people = {
        "iryna_k": make_newcomer(session, kassel, first_name="Iryna", last_name="Haddad"),
        "iryna_b": make_newcomer(session, kassel, first_name="Iryna", last_name="Haddad", **here),
        "yasmin_c": make_newcomer(session, kassel, first_name="Yasmin", last_name="Çelik"),
        "yasmin_h": make_newcomer(session, kassel, first_name="Yasmin", last_name="Haddad", **here),
        "yasmin": make_newcomer(session, kassel, first_name="Yasmin"),
        "ingrid_k": make_local(session, kassel, first_name="Ingrid", last_name="Weber"),
        "ingrid_b": make_local(session, kassel, first_name="Ingrid", last_name="Weber", **here),
        "iryna_g": make_newcomer(session, world.goettingen, first_name="Iryna", last_name="Haddad"),
    }
    make_suggestion(session, kassel, people["ingrid_k"], people["iryna_k"])
    make_suggestion(session, kassel, people["ingrid_b"], people["iryna_b"])
    return people


# --- a region with 300 people ----------------------------------------------------------------

STATUS_MIX = ("active",) * 7 + ("pending", "paused", "unverified")


def region_of_300(session: Session, slug: str = "kassel", *, size: int = 300) -> Region:
    """One region with ``size`` people: every third a local, most active, some pending,
    paused or unverified, waiting since different days; Alice coordinates it."""
    region = make_region(session, slug)
    make_coordinator(session, f"alice@{slug}.example", regions=[region])
    for n in range(size):
        role = "local" if n % 3 == 0 else "newcomer"
        make_participant(
            session,
            region,
            role=role,
            status=STATUS_MIX[n % len(STATUS_MIX)],
            first_name=f"Person{n:03d}",
            email=f"person{n:03d}@{slug}.example",
            waiting_since=None if role == "local" else date(2026, 1, 1) + timedelta(days=n % 90),
            languages={"de": "native"} if role == "local" else {"ar": "native", "de": "A2"},
        )
    return region


# --- waiting newcomers whom a relaxed rule would help -----------------------------------------

KM_PER_DEGREE_LAT = 111.195


@dataclass
class Relaxations:
    world: TwoRegions
    ids: dict[str, str]  # first name → public id


def waiting_for_relaxations(session: Session) -> Relaxations:
    """Kassel (Alice's; min level B1, 25 km) with ``people_for_relaxations``; Bob's
    Göttingen has nobody."""
    world = two_regions(session)
    return Relaxations(world=world, ids=people_for_relaxations(session, world.kassel))


def people_for_relaxations(session: Session, region: Region) -> dict[str, str]:
    """In ``region``'s town: Lena (one place) and Jonas (two), German first language. Nour
    speaks German at B1 and gets a partner; Amal and Sami speak it at A2 only (A2: two more
    matched); Karim lives in Hofgeismar, 30 km north, and has no e-mail (35 km: one more);
    Pari lives in Hannover, 200 km north, and would meet online (online: Karim and Pari,
    two more). Returns first name → public id."""
    town = place_of(session, region)
    north = town.lat
    hofgeismar = add_place(session, region, "Hofgeismar", lat=north + 30 / KM_PER_DEGREE_LAT,
                           lon=town.lon)  # fmt: skip
    hannover = add_place(session, region, "Hannover", lat=north + 200 / KM_PER_DEGREE_LAT,
                         lon=town.lon)  # fmt: skip
    people = [
        make_local(session, region, first_name="Lena", last_name="Berg", capacity=1,
                   languages={"de": "native"}, place_id=town.id),
        make_local(session, region, first_name="Jonas", last_name="Wolf", capacity=2,
                   languages={"de": "native"}, place_id=town.id),
        make_newcomer(session, region, first_name="Nour", last_name="Haddad",
                      languages={"ar": "native", "de": "B1"}, place_id=town.id),
        make_newcomer(session, region, first_name="Amal", last_name="Saleh",
                      languages={"ar": "native", "de": "A2"}, place_id=town.id),
        make_newcomer(session, region, first_name="Sami", last_name="Nasser",
                      languages={"ar": "native", "de": "A2"}, place_id=town.id),
        make_newcomer(session, region, first_name="Karim", last_name="Rahimi", email=None,
                      languages={"fa": "native", "de": "B1"}, place_id=hofgeismar.id),
        make_newcomer(session, region, first_name="Pari", last_name="Ahmadi", online_ok=True,
                      languages={"fa": "native", "de": "B1"}, place_id=hannover.id),
    ]  # fmt: skip
    return {person.first_name: person.public_id for person in people}


# --- a tandem in each life-cycle state -------------------------------------------------------

PAIR_NAMES = [
    ("Uwe", "Sami"), ("Lena", "Nour"), ("Jonas", "Karim"), ("Greta", "Omar"),
    ("Gerd", "Pari"), ("Ute", "Amal"), ("Tom", "Olga"), ("Mia", "Amir"),
]  # fmt: skip


def tandems_in_every_state(session: Session, region: Region) -> dict[str, Pair]:
    """One tandem in each status of ``TANDEM_STATUSES`` in ``region``, by status, each
    pair with its own names (the e-mail addresses follow them)."""
    pairs = {}
    for n, status in enumerate(TANDEM_STATUSES):
        local, newcomer = PAIR_NAMES[n] if n < len(PAIR_NAMES) else (f"Local{n}", f"New{n}")
        pairs[status] = build_tandem(
            session, region, status=status, local_name=local, newcomer_name=newcomer
        )
    return pairs


# --- suggestions -----------------------------------------------------------------------------


def one_suggestion_each(engine: Engine) -> dict[str, Any]:
    """``two_regions``; Lena–Nour suggested in Kassel ("ours"), Jonas–Olena in Göttingen
    ("theirs"). Public ids by name."""
    with db(engine) as session:
        world = two_regions(session)
        lena = make_local(session, world.kassel, first_name="Lena")
        nour = make_newcomer(session, world.kassel, first_name="Nour")
        ours = make_suggestion(session, world.kassel, lena, nour)
        jonas = make_local(session, world.goettingen, first_name="Jonas")
        olena = make_newcomer(session, world.goettingen, first_name="Olena")
        theirs = make_suggestion(session, world.goettingen, jonas, olena)
        return {
            "ours": ours.public_id,
            "theirs": theirs.public_id,
            "lena": lena.public_id,
            "nour": nour.public_id,
            "jonas": jonas.public_id,
            "olena": olena.public_id,
        }


def three_suggestions(engine: Engine) -> dict[str, str]:
    """Three Kassel suggestions: very good (Lena–Nour), good (Tom–Olga, Tom lives in the
    village Vellmar), fair (Mia–Amir, not waiting); Alice coordinates Kassel."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        village = Place(geonameid=990001, name="Vellmar", lat=51.35, lon=9.47, region_id=kassel.id)
        session.add(village)
        session.flush()
        lena = make_local(session, kassel, first_name="Lena")
        nour = make_newcomer(session, kassel, first_name="Nour", waiting_since=date(2026, 3, 1))
        tom = make_local(session, kassel, first_name="Tom", place_id=village.id)
        olga = make_newcomer(
            session,
            kassel,
            first_name="Olga",
            languages={"ru": "native", "de": "B1"},
            waiting_since=date(2025, 6, 1),
        )
        mia = make_local(session, kassel, first_name="Mia")
        amir = make_newcomer(session, kassel, first_name="Amir", waiting_since=None)
        return {
            "very_good": make_suggestion(session, kassel, lena, nour, score=0.81).public_id,
            "good": make_suggestion(session, kassel, tom, olga, score=0.6).public_id,
            "fair": make_suggestion(session, kassel, mia, amir, score=0.3).public_id,
            "village": str(village.id),
        }


# --- Lena and Nour: proposed, then running ---------------------------------------------------

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
PROPOSAL_WAITING_SINCE = date(2025, 11, 1)
PROPOSAL_REASONS = [
    {"code": "shared_interests", "items": ["football", "cooking"]},
    {"code": "practice_language", "for": "newcomer", "items": ["de"]},
    {"code": "distance_km", "value": 4},
    {"code": "waiting_days", "value": 121},
    {"code": "pinned"},
]


@dataclass
class Tandem3:
    """A tandem and its two people, by id."""

    tandem_id: int
    local_id: int
    newcomer_id: int


def _contact_consent(person: Participant, *, withdrawn: bool = False) -> Consent:
    return Consent(
        purpose="contact_sharing",
        text_version="1",
        language=person.locale,
        given_at=START - timedelta(days=200),
        withdrawn_at=START - timedelta(days=1) if withdrawn else None,
    )


def proposed_tandem(
    engine: Engine,
    settings: Settings,
    *,
    region: str = "kassel",
    local_shares: bool = True,
    newcomer_shares: bool = True,
    about_nour: dict[str, Any] | None = None,
) -> Tandem3:
    """Lena (local, German) and Nour (newcomer, Arabic): a proposed tandem with raised
    counters, the proposal e-mailed to both at START; ``about_nour``: more about her (a guardian,
    no e-mail)."""
    from web.proposals import proposals

    with db(engine) as session:
        kassel = make_region(session, region)
        lena = make_participant(
            session, kassel, role="local", first_name="Lena", email=f"lena@{region}.example",
            locale="de", capacity=2, open_tandems=1, birth_year=1961,
            about_me="Retired teacher, call me on 0171 555 1234", last_name="Schäfer",
        )  # fmt: skip
        nour = make_participant(
            session, kassel, **{"first_name": "Nour", "email": f"nour@{region}.example",
            "locale": "ar", "open_tandems": 1, "waiting_since": PROPOSAL_WAITING_SINCE,
            "birth_year": 1999, "about_me": "I love Syrian cooking", "last_name": "Haddad",
            **(about_nour or {})},
        )  # fmt: skip
        lena.consents = [_contact_consent(lena, withdrawn=not local_shares)]
        nour.consents = [_contact_consent(nour, withdrawn=not newcomer_shares)]
        tandem = Tandem(
            local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id, status="proposed",
            score=0.8, reasons=PROPOSAL_REASONS, decided_at=START,
        )  # fmt: skip
        session.add(tandem)
        session.flush()
        proposals.propose(session, tandem, settings=settings, now=START)
        return Tandem3(tandem.id, lena.id, nour.id)  # type: ignore[arg-type]


PROPOSAL_LINK = re.compile(r"/answer/([A-Za-z0-9_-]+)")


def proposal_links(engine: Engine, kind: str = "proposal") -> tuple[str, str]:
    """The answer tokens e-mailed to Lena and Nour of ``proposed_tandem`` (Kassel)."""
    with db(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        sent = {row.to_address: row.body_text for row in rows}

    def token(body: str) -> str:
        found = PROPOSAL_LINK.search(body)
        assert found, body
        return found.group(1)

    return token(sent["lena@kassel.example"]), token(sent["nour@kassel.example"])


def running_tandem(engine: Engine, *, status: str = "active", scheduled: bool = True) -> Tandem3:
    """Lena (local, German) and Nour (newcomer, Arabic) in Kassel: a tandem in ``status``
    since START; with ``scheduled`` the fit check is due four weeks later."""
    from web.tandems import lifecycle

    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena = make_participant(
            session, kassel, role="local", first_name="Lena", email="lena@kassel.example",
            locale="de", capacity=2, open_tandems=1,
        )  # fmt: skip
        nour = make_participant(
            session, kassel, first_name="Nour", email="nour@kassel.example", locale="ar",
            open_tandems=1,
        )  # fmt: skip
        tandem = Tandem(
            local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id, status=status,
            started_at=START, decided_at=START - timedelta(days=8),
        )  # fmt: skip
        session.add(tandem)
        session.flush()
        if scheduled:
            lifecycle.started(session, tandem, now=START)  # fit check due in four weeks
        return Tandem3(tandem.id, lena.id, nour.id)  # type: ignore[arg-type]


# --- a row behind every route ----------------------------------------------------------------

WEIGHT_FIELDS = [
    f"weight_{name}"
    for name in ("interests", "offers_needs", "availability", "nearness", "language", "waiting")
]


@dataclass
class EveryRoute:
    """Ids and link tokens that exist, for path parameters and form values."""

    path_values: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    field_values: dict[str, list[str]] = field(default_factory=dict)
    profile_token: str = ""

    def values_for(self, path: str, name: str) -> list[Any]:
        """The existing values for the path parameter ``name`` of ``path``."""
        exact = self.path_values.get((path, name))
        if exact is not None:
            return exact
        for (prefix, param), found in self.path_values.items():
            if param == name and prefix and path.startswith(prefix):
                return found
        return self.path_values.get(("", name), [])


def _links(engine: Engine, kind: str, pattern: str) -> list[str]:
    with db(engine) as session:
        bodies = session.scalars(
            select(OutboxMessage.body_text).where(OutboxMessage.kind == kind)
        ).all()
    return [m.group(1) for body in bodies for m in re.finditer(pattern, body)]


def every_route(engine: Engine, settings: Settings) -> EveryRoute:
    """Kassel with an admin (Ada), people in every state, a suggestion, a proposal waiting for
    answers, an active tandem with a due check-in and a problem report, and an invitation."""
    from web.accounts import accounts
    from web.checkins import checkins
    from web.core import links
    from web.proposals import proposals
    from web.suggestions import suggestions
    from web.tandems import lifecycle

    now = utcnow()
    started = now - timedelta(days=29)  # the fit check (day 28) is due
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        ada = make_coordinator(session, "ada@example.org", role="admin")

        def local(name: str, **values: Any):  # type: ignore[no-untyped-def]
            return make_participant(
                session, kassel, role="local", first_name=name, capacity=2,
                languages={"de": "native", "en": "C1"}, interests=["football"], **values,
            )  # fmt: skip

        def newcomer(name: str, **values: Any):  # type: ignore[no-untyped-def]
            return make_participant(
                session, kassel, first_name=name, languages={"ar": "native", "en": "B2"},
                learning=["de"], **values,
            )  # fmt: skip

        lena, nour = local("Lena", open_tandems=1), newcomer("Nour", open_tandems=1)
        jonas, olena = local("Jonas"), newcomer("Olena")
        anke, omar = local("Anke"), newcomer("Omar")
        pending = newcomer("Rama", status="pending")
        unverified = newcomer("Ali", status="unverified")
        active = Tandem(
            local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id, status="active",
            started_at=started, decided_at=started - timedelta(days=8),
        )  # fmt: skip
        session.add(active)
        session.flush()
        lifecycle.started(session, active, now=started)
        checkins.send_due_checkins(session, settings=settings, now=now)
        report = ProblemReport(
            tandem_id=active.id, reporter_role="newcomer", kind="not_ok", note="Schwierig"
        )
        session.add(report)
        suggestion = make_suggestion(session, kassel, jonas, olena)
        proposal = make_suggestion(session, kassel, anke, omar)
        suggestions.confirm(session, proposal, ada, now=now)
        proposals.propose(session, proposal, settings=settings, now=now)
        verify_token = links.issue(
            session, unverified, "verify", now=now, lifetime=timedelta(days=1)
        )
        profile_token = links.issue(session, nour, "profile", now=now, lifetime=timedelta(days=1))
        invitation = accounts.invite(
            session, email="new@example.org", role="coordinator", regions=[kassel],
            invited_by=ada, now=now,
        )  # fmt: skip
        session.flush()
        people = [p.public_id for p in (lena, nour, jonas, olena, anke, omar, pending)]
        tandem_ids = [t.public_id for t in (active, suggestion, proposal)]
        report_id, checkin_ids = report.id, [1, 2]
        slug = kassel.slug
    checkin_tokens = _links(engine, "checkin", r"/check-in/([A-Za-z0-9_-]+)")
    answer_tokens = _links(engine, "proposal", r"/answer/([A-Za-z0-9_-]+)")
    assert checkin_tokens and answer_tokens, "the seeded world lacks links"
    with db(engine) as session:
        message_ids = list(session.scalars(select(OutboxMessage.id)).all())
    return EveryRoute(
        path_values={
            ("/signup/{role}", "role"): ["newcomer", "local"],
            ("/verify/{token}", "token"): [verify_token],
            ("/me/open/{token}", "token"): [profile_token],
            ("/invite/{token}", "token"): [invitation],
            ("/answer/{token}", "token"): answer_tokens,
            ("/check-in/{token}", "token"): checkin_tokens,
            ("", "slug"): [slug],
            ("", "action"): ["pin", "forbid", "unpin", "unforbid", "new"],
            ("", "checkin_id"): checkin_ids,
            ("", "report_id"): [report_id],
            ("", "run_id"): [1, 2],
            ("", "message_id"): message_ids,
            ("/coordinator/review/", "public_id"): [people[-1]],
            ("/coordinator/participants/", "public_id"): people,
            ("/coordinator/suggestions/", "public_id"): tandem_ids[1:],
            ("/coordinator/tandems/", "public_id"): tandem_ids,
            ("/me/tandem/", "public_id"): tandem_ids[:1],
        },
        field_values={
            "local": people[0:6:2],
            "newcomer": people[1:6:2],
            "tandem": tandem_ids,
            "region": [slug],
            "regions": [slug, "1"],
            "role": ["coordinator", "admin"],
            "reason": [*END_REASONS, *REJECT_REASONS],
            "kind": list(PROBLEM_KINDS),
            "meetings": list(MEETING_FREQUENCIES),
            "mood": ["1", "3", "5"],
            "choice": ["accepted", "declined"],
            "confirm": ["1"],
            "accept_broken": ["1"],
            "seen_original": ["1"],
            "certificate_date": ["2025-01-31", "31.01.2025"],
            "ended_on": [str(now.date()), str(started.date())],
            "min_level": ["A1", "B1"],
            "max_distance_km": ["10", "200.5"],
            **{name: ["0.5", "1", "0"] for name in WEIGHT_FIELDS},
            "password": [PASSWORD],
            "password_again": [PASSWORD],
            "_switch_lang": ["de", "ar"],
            "back": ["place=x&sort=score&page=2"],
        },
        profile_token=profile_token,
    )


# --- an audit trail of every action ----------------------------------------------------------


def every_audit_action(session: Session, *, at: datetime) -> list[str]:
    """One audit row of each action the code can write (a minute apart, the first newest),
    about each kind of record in turn; returns the actions in that order."""
    actions = sorted(writable_actions())
    subjects = sorted(writable_subject_types())
    session.add_all(
        AuditLog(
            at=at - timedelta(minutes=number),
            actor_type=("coordinator", "participant", "system")[number % 3],
            actor_id=None if number % 3 == 2 else number + 1,
            action=action,
            subject_type=subjects[number % len(subjects)],
            subject_id=str(number + 1),
        )
        for number, action in enumerate(actions)
    )
    session.flush()
    return actions


# --- people to export (issue 15 §8) ----------------------------------------------------------

FORMULA_NAMES = ('=HYPERLINK("http://evil.example","Klick")', "+49 1", "-2+3", "@SUM(A1)", "\tTab")


@dataclass
class Exportable:
    """Kassel (Alice) and Göttingen (Bob); ids by name."""

    kassel_id: int
    goettingen_id: int
    ids: dict[str, int]


def exportable_people(engine: Engine) -> Exportable:
    """Kassel: Lena (local, shares her contact: e-mail and phone), Nour (newcomer, gave the
    consent and withdrew it), Jörg (local, never consented), five newcomers whose first names
    are spreadsheet formulas (``FORMULA_NAMES``), and an active tandem Lena–Nour; Göttingen:
    Olena (newcomer, shares her contact) — nobody in Kassel may see her."""
    with db(engine) as session:
        world = two_regions(session)
        lena = make_local(
            session, world.kassel, first_name="Lena", last_name="Schäfer",
            email="lena@kassel.example", phone="+495611234567", gender="female",
            birth_year=1961, open_tandems=1,
        )  # fmt: skip
        lena.consents = [_contact_consent(lena)]
        nour = make_newcomer(
            session, world.kassel, first_name="Nour", last_name="Haddad",
            email="nour@kassel.example", phone="+4915112345678", open_tandems=1,
        )  # fmt: skip
        nour.consents = [_contact_consent(nour, withdrawn=True)]
        joerg = make_local(
            session, world.kassel, first_name="Jörg", email="joerg@kassel.example",
            phone="+495617654321",
        )  # fmt: skip
        tricky = [
            make_newcomer(session, world.kassel, first_name=name, email=f"f{n}@kassel.example")
            for n, name in enumerate(FORMULA_NAMES)
        ]
        for person in tricky:
            person.consents = [_contact_consent(person)]
        olena = make_newcomer(
            session, world.goettingen, first_name="Olena", email="olena@goettingen.example"
        )
        olena.consents = [_contact_consent(olena)]
        tandem = Tandem(
            local_id=lena.id, newcomer_id=nour.id, region_id=world.kassel.id, status="active",
            proposed_at=START - timedelta(days=5), started_at=START,
        )  # fmt: skip
        session.add(tandem)
        session.flush()
        ids = {"lena": lena.id, "nour": nour.id, "joerg": joerg.id, "olena": olena.id}
        ids["tandem"] = tandem.id
        return Exportable(world.kassel.id, world.goettingen.id, ids)  # type: ignore[arg-type]


# --- a month of proposals and sign-ups for the funder report (issue 15 §9) ---------------------


def at_noon(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@dataclass
class FunderMonth:
    """Kassel's March 2026, driven through the real proposal code; ids by name."""

    kassel_id: int
    ids: dict[str, int]


def funder_month(engine: Engine, settings: Settings) -> FunderMonth:
    """Kassel (Alice; towns "kassel-town" and Vellmar) and Göttingen (Bob).

    Sign-ups (``events.record_person`` at each person's ``created_at``): in January Lale
    (local) and Nadia (newcomer, 26 Jan); in February Nabil (1 Feb), Nuri (11 Feb), Naz
    (21 Feb), all newcomers in kassel-town; in March Nele (newcomer, born 2010, kassel-town,
    Arabic and German, 1 Mar), Lutz (local, born 1950, kassel-town, German, 1 Mar), Lisa
    (local, born 1990, Vellmar, German and English, 2 Mar), Lars (local, born 2000, Vellmar,
    German and Turkish, 2 Mar); Göttingen: Gabi (newcomer, March).

    Proposals (``proposals.propose``, answers by ``answer_for``, expiry by ``follow_up``):
    T0 Lale–Nadia proposed 25 Feb, both accept 2 Mar; T1 Lutz–Nabil proposed 3 Mar, both
    accept 5 Mar; T2 Lisa–Nuri proposed 3 Mar, Nuri declines 4 Mar; T3 Lars–Naz proposed
    3 Mar, Lars accepts 4 Mar, Naz never answers (expired 11 Mar); T4 Lale–Nele proposed
    20 Mar, Lale declines 21 Mar; Göttingen: one proposal in March, both accept.
    """
    from web.core import events
    from web.proposals import proposals

    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen
        village = Place(geonameid=990002, name="Vellmar", lat=51.35, lon=9.47, region_id=kassel.id)
        session.add(village)
        session.flush()

        def person(name: str, region: Region, role: str, day: str, **values: Any) -> Participant:
            made = make_participant(
                session, region, role=role, first_name=name, created_at=at_noon(day),
                email=f"{name.lower()}@funder.example", capacity=2 if role == "local" else 1,
                **values,
            )  # fmt: skip
            session.refresh(made)
            events.record_person(session, "signed_up", made, at=made.created_at)
            return made

        lale = person("Lale", kassel, "local", "2026-01-10", languages={"de": "native"})
        nadia = person("Nadia", kassel, "newcomer", "2026-01-26")
        nabil = person("Nabil", kassel, "newcomer", "2026-02-01")
        nuri = person("Nuri", kassel, "newcomer", "2026-02-11")
        naz = person("Naz", kassel, "newcomer", "2026-02-21")
        nele = person(
            "Nele", kassel, "newcomer", "2026-03-01", birth_year=2010,
            languages={"ar": "native", "de": "A1"},
        )  # fmt: skip
        lutz = person(
            "Lutz", kassel, "local", "2026-03-01", birth_year=1950, languages={"de": "native"}
        )
        lisa = person(
            "Lisa", kassel, "local", "2026-03-02", birth_year=1990, place_id=village.id,
            languages={"de": "native", "en": "C1"},
        )  # fmt: skip
        lars = person(
            "Lars", kassel, "local", "2026-03-02", birth_year=2000, place_id=village.id,
            languages={"de": "native", "tr": "native"},
        )  # fmt: skip
        gabi = person("Gabi", goettingen, "newcomer", "2026-03-05")
        gerd = person("Gerd", goettingen, "local", "2026-01-05")

        def propose(local: Participant, newcomer: Participant, day: str) -> Tandem:
            tandem = Tandem(
                local_id=local.id, newcomer_id=newcomer.id, region_id=local.place.region_id,
                status="proposed", decided_at=at_noon(day),
            )  # fmt: skip
            session.add(tandem)
            session.flush()
            proposals.propose(session, tandem, settings=settings, now=at_noon(day))
            return tandem

        def answer(tandem: Tandem, who: Participant, choice: str, day: str) -> None:
            session.refresh(tandem)
            proposals.answer_for(
                session, tandem, who, choice, coordinator=world.ada, how="phone",
                now=at_noon(day),
            )  # fmt: skip

        t0 = propose(lale, nadia, "2026-02-25")
        answer(t0, lale, "accept", "2026-03-01")
        answer(t0, nadia, "accept", "2026-03-02")
        t1 = propose(lutz, nabil, "2026-03-03")
        answer(t1, lutz, "accept", "2026-03-04")
        answer(t1, nabil, "accept", "2026-03-05")
        t2 = propose(lisa, nuri, "2026-03-03")
        answer(t2, nuri, "decline", "2026-03-04")
        t3 = propose(lars, naz, "2026-03-03")
        answer(t3, lars, "accept", "2026-03-04")
        proposals.follow_up(session, now=at_noon("2026-03-11"), settings=settings)
        t4 = propose(lale, nele, "2026-03-20")
        answer(t4, lale, "decline", "2026-03-21")
        tg = propose(gerd, gabi, "2026-03-10")
        answer(tg, gerd, "accept", "2026-03-11")
        answer(tg, gabi, "accept", "2026-03-12")
        ids = {p.first_name.lower(): p.id for p in (lale, nadia, nabil, nuri, naz, nele, lutz)}
        ids |= {"lisa": lisa.id, "lars": lars.id, "t0": t0.id, "t1": t1.id}
        return FunderMonth(kassel.id, ids)  # type: ignore[arg-type]
