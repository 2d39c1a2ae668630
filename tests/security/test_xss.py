"""Stored XSS (SECURITY.md XSS-1, XSS-4): payloads typed into every free-text field, through
the real forms, come out escaped on every page a coordinator or a participant can open, and
in the e-mails.

The world: Ada (admin) invites Carla, whose name is a payload; ten people sign up with
payloads as names and "about me"; Carla runs matching, confirms, rejects (with a note) and
leaves one suggestion open; one tandem starts, gets a worrying check-in answer, a problem
report and notes. Then the app's own route table is walked as Ada (an admin sees every
region), so a new page cannot be forgotten.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from jinja2 import meta
from litestar import Litestar
from litestar.params import QueryParameter
from litestar.testing import TestClient
from markupsafe import escape
from sqlalchemy import select, update

from tests.builders import (
    PASSWORD,
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_occasion,
    make_region,
)
from tests.security.xss_payloads import (
    MARKUP,
    PAYLOADS,
    blob,
    escaped,
    live_markup,
    shows_escaped,
)
from web.app import create_app
from web.checkins import checkins
from web.core import mail
from web.core.calendar import berlin
from web.core.forms import ABOUT_MAX
from web.core.models import (
    MatchingRun,
    OutboxMessage,
    Participant,
    ProblemReport,
    Region,
    Tandem,
    utcnow,
)
from web.core.signature import Signature
from web.tandems.notes import BODY_MAX

KASSEL = "kassel"
PLACE = "kassel-town"
ADA, CARLA = "ada@example.org", "carla@example.org"
HOSTILE_EMAIL = '"><svg onload=alert(1)>@example.org'
CARLA_NAME = PAYLOADS[1]
LONG = blob(1000)  # check-in answers and problem reports take 1000 characters
# Every GET route a coordinator or participant reaches must be filled in below (see
# test_every_page_is_known_to_this_walk). Of the public pages only those behind e-mail links
# show stored data (a partner's name); the world checks them as it opens them.
AREAS = re.compile(r"^/(coordinator|me|dev)(/|$)")


@dataclass
class Person:
    role: str
    email: str
    first_name: str  # as typed
    last_name: str
    slots: list[str] = field(default_factory=lambda: ["tue_evening"])
    public_id: str = ""


@dataclass
class World:
    app: Litestar
    ada: TestClient  # the admin, who walks the pages
    me: TestClient  # a participant's session: the reporter, a partner in the active tandem
    people: dict[str, Person]
    active: str = ""  # tandems' public ids
    proposed: str = ""
    reporter: str = ""  # key of the person whose session ``me`` is
    run_id: int = 0
    message_ids: list[int] = field(default_factory=list)
    event_date: str = ""  # the page of the event's date (people signed up, a walk-in)
    problem_id: int = 0  # the reporter's problem report


def _post(client: TestClient, path: str, data: dict[str, Any], *, form: str | None = None):  # type: ignore[no-untyped-def]
    """POST a form as a browser does: with the CSRF token of the page that shows it."""
    token = csrf_token(client, form or path)
    response = client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)
    assert response.status_code in (200, 303), (path, response.status_code, response.text[:500])
    return response


def _link(engine, to: str, path: str) -> str:  # type: ignore[no-untyped-def]
    """The token of the newest e-mail to ``to`` with a ``path`` link (what the person clicks)."""
    with db(engine) as session:
        for body in session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == to)
            .order_by(OutboxMessage.id.desc())
        ):
            match = re.search(rf"{path}/(\S+)", body)
            if match:
                return match.group(1)
    raise AssertionError(f"no {path} link in the e-mails to {to}")


def _signup_form(person: Person, about_me: str) -> dict[str, Any]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "birth_year": "1990",
        "place": PLACE,
        "language_1": "de",
        "level_1": "native" if person.role == "local" else "B2",
        "interests": ["cooking"],
        "help_topics": ["language_practice"],
        "slots": person.slots,
        "online_ok": "1",
        "partner_wish": "any",
        "capacity": "1",
        "about_me": about_me,
        "consent_matching": "1",
        "consent_contact": "1",
    }


def _open_session(client: TestClient, engine, person: Person) -> None:  # type: ignore[no-untyped-def]
    """Log a participant in the way they do: ask for a link, open it."""
    _post(client, "/me/new-link", {"email": person.email})
    token = _link(engine, person.email, "/me/open")
    _post(client, f"/me/open/{token}", {})


def _people() -> dict[str, Person]:
    """Four locals and four newcomers who all fit, one newcomer nobody fits (Sunday only),
    one local left in the review queue. Names cycle through the payloads."""
    assert len(MARKUP) >= 10  # a distinct first name each
    roles = ["local"] * 4 + ["newcomer"] * 5 + ["local"]
    keys = [*(f"l{i}" for i in range(1, 5)), *(f"n{i}" for i in range(1, 6)), "pending"]
    found = {}
    for index, (key, role) in enumerate(zip(keys, roles, strict=True)):
        found[key] = Person(
            role=role,
            email=f"{key}@example.org",
            first_name=MARKUP[index % len(MARKUP)],  # first names are on most pages
            last_name=PAYLOADS[(index + 3) % len(PAYLOADS)],
            slots=["sun_morning"] if key == "n5" else ["tue_evening"],
        )
    return found


def _sign_up_everyone(client: TestClient, engine, people: dict[str, Person]) -> None:  # type: ignore[no-untyped-def]
    for person in people.values():
        _post(client, f"/signup/{person.role}", _signup_form(person, blob(ABOUT_MAX)))
        token = _link(engine, person.email, "/verify")
        _post(client, f"/verify/{token}", {})
    with db(engine) as session:
        for person in people.values():
            person.public_id = session.scalars(
                select(Participant.public_id).where(Participant.email == person.email)
            ).one()


def _suggestions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(
            session.scalars(
                select(Tandem.public_id).where(Tandem.status == "suggested").order_by(Tandem.id)
            )
        )


def _partners(engine, public_id: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        tandem = session.scalars(select(Tandem).where(Tandem.public_id == public_id)).one()
        return tandem.local.email, tandem.newcomer.email  # type: ignore[union-attr]


def _shows_names_safely(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.url
    assert live_markup(response.text) == [] and shows_escaped(response.text), response.url


def _run_status(engine, run_id: int, *, timeout: float = 20.0) -> str:  # type: ignore[no-untyped-def]
    """The run's status once the engine (a background task after the redirect) is done."""
    deadline = time.monotonic() + timeout
    while True:
        with db(engine) as session:
            status = session.get(MatchingRun, run_id).status  # type: ignore[union-attr]
        if status != "running" or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


@pytest.fixture
def world(settings, engine) -> Iterator[World]:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"signup_limit_per_hour": 1000})
    with db(engine) as session:
        make_coordinator(session, ADA, role="admin", regions=[make_region(session, KASSEL)])
    # One app per client: two clients running one app's lifespan leak a stream.
    with (
        TestClient(create_app(settings)) as ada,
        TestClient(create_app(settings)) as carla,
        TestClient(create_app(settings)) as me,
    ):
        people = _people()
        world = World(app=ada.app, ada=ada, me=me, people=people)
        assert login(ada, ADA).status_code == 303

        # Invitations: one to a hostile address, one to Carla,
        # who chooses a payload as her name.
        invite = {"role": "coordinator", "regions": [KASSEL]}
        token = csrf_token(ada, "/coordinator/invitations")
        hostile = ada.post(
            "/coordinator/invitations",
            data={**invite, "email": HOSTILE_EMAIL, "_csrf_token": token},
            follow_redirects=False,
        )
        # Refused (the mailer could not write to it), and shown back escaped in the form.
        assert hostile.status_code == 400, hostile.status_code
        assert live_markup(hostile.text) == [] and escaped(HOSTILE_EMAIL) in hostile.text
        _post(ada, "/coordinator/invitations", {**invite, "email": CARLA})
        token = _link(engine, CARLA, "/invite")
        joined = {"name": CARLA_NAME, "password": PASSWORD, "password_again": PASSWORD}
        _post(carla, f"/invite/{token}", joined)
        assert login(carla, CARLA).status_code == 303

        # Sign-ups, approval (one stays in the queue), a profile edit.
        _sign_up_everyone(me, engine, people)
        for key, person in people.items():
            if key != "pending":
                _post(
                    carla,
                    f"/coordinator/review/{person.public_id}/approve",
                    {},
                    form="/coordinator/review",
                )
        n1 = people["n1"]
        _open_session(me, engine, n1)
        n1.last_name = PAYLOADS[7]  # the attribute breaker, into a value="..." on /me/edit
        _post(me, "/me/edit", _signup_form(n1, "\n".join(reversed(PAYLOADS))))

        # Carla runs matching and decides: two confirmed, one rejected with a note, one open.
        ran = _post(carla, f"/coordinator/regions/{KASSEL}/match", {}, form="/coordinator/regions")
        world.run_id = int(ran.headers["location"].rsplit("/", 1)[1])
        assert _run_status(engine, world.run_id) == "done"
        suggested = _suggestions(engine)
        assert len(suggested) == 4, suggested
        page = f"/coordinator/regions/{KASSEL}/suggestions"
        world.active, world.proposed, rejected, _open = suggested
        for public_id in (world.active, world.proposed):
            _post(carla, f"/coordinator/suggestions/{public_id}/confirm", {}, form=page)
        # The reject note is stored (to teach the weights) but shown on no page today.
        reject = {"reason": "other", "note": blob(500)}
        _post(carla, f"/coordinator/suggestions/{rejected}/reject", reject, form=page)

        # Both partners of one tandem say yes through their answer links.
        # The pages behind e-mail links (no login) name the partner: escaped too.
        for email in _partners(engine, world.active):
            token = _link(engine, email, "/answer")
            _shows_names_safely(me.get(f"/answer/{token}"))
            _post(me, f"/answer/{token}", {"choice": "accept"})
            _shows_names_safely(me.get(f"/answer/{token}"))

        # Its first check-in is due (the scheduled job sends it; no page does), and the
        # local answers that something is wrong, in many words.
        with db(engine) as session:
            session.execute(
                update(Tandem)
                .where(Tandem.public_id == world.active)
                .values(next_checkin_at=utcnow() - timedelta(minutes=1))
            )
        with db(engine) as session:
            assert checkins.send_due_checkins(session, settings=settings, now=utcnow()) == 2
        local_email, newcomer_email = _partners(engine, world.active)
        token = _link(engine, local_email, "/check-in")
        _shows_names_safely(me.get(f"/check-in/{token}"))
        _post(me, f"/check-in/{token}", {"meetings": "rarely", "mood": "1", "note": LONG})

        # The newcomer reports a problem from their profile.
        world.reporter = next(k for k, p in people.items() if p.email == newcomer_email)
        _open_session(me, engine, people[world.reporter])
        _post(
            me,
            f"/me/tandem/{world.active}/report",
            {"kind": "not_ok", "note": LONG},
            form=f"/me/tandem/{world.active}",
        )

        # Carla's notes on a person and on the tandem, and a certificate she has seen.
        notes = {"body": blob(BODY_MAX)}
        for person in people.values():
            _post(
                carla,
                f"/coordinator/participants/{person.public_id}/notes",
                notes,
                form=f"/coordinator/participants/{person.public_id}",
            )
        _post(
            carla,
            f"/coordinator/tandems/{world.active}/notes",
            notes,
            form=f"/coordinator/tandems/{world.active}",
        )
        vetted = people["l1"].public_id
        _post(
            carla,
            f"/coordinator/participants/{vetted}/vetting",
            {"certificate_date": utcnow().date().isoformat(), "seen_original": "1"},
        )
        # Issue 15: the region's contact person (signs the e-mails), named by a payload.
        _post(
            carla,
            f"/coordinator/regions/{KASSEL}/contact",
            {"contact_name": PAYLOADS[7], "contact_email": "kontakt@kassel.example"},
        )
        # Issue 17: an event whose title and place are payloads; Carla signs two people up
        # on their behalf and writes down a walk-in at the door, named by a payload.
        with db(engine) as session:
            region = session.scalars(select(Region).where(Region.slug == KASSEL)).one()
            occasion = make_occasion(
                session,
                region,
                starts_at=utcnow() + timedelta(days=7),
                title=PAYLOADS[0],
                place_name=PAYLOADS[2],
                capacity=1,
            )
            day = berlin(occasion.starts_at).date().isoformat()
            world.event_date = f"/coordinator/events/{occasion.id}/dates/{day}"
        for key in ("l2", "n2"):
            _post(
                carla,
                f"{world.event_date}/sign-up",
                {"person": people[key].public_id},
                form=world.event_date,
            )
        door = f"{world.event_date}/door"
        _post(carla, f"{door}/walk-ins", {"name": PAYLOADS[4][:80]}, form=door)
        with db(engine) as session:
            world.problem_id = session.scalars(select(ProblemReport.id)).one()
            world.message_ids = list(session.scalars(select(OutboxMessage.id)))
        yield world


# --- the walk ------------------------------------------------------------------------------


def get_routes(app: Litestar) -> list[tuple[str, Any]]:
    """(path template, handler) of every GET route in the coordinators', participants' and
    development areas."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods and AREAS.match(route.path):
                found.append((route.path, handler))
    return sorted(found, key=lambda pair: pair[0])


def query_parameters(handler: Any) -> list[str]:
    """The handler's query parameters that take text (numbers and flags refuse a payload
    before any page is drawn)."""
    names = []
    for name, parameter in handler.parsed_fn_signature.parameters.items():
        if isinstance(parameter.kwarg_definition, QueryParameter) and parameter.annotation in (
            str,
            str | None,
        ):
            names.append(name)
    return names


def _ids(world: World, roles: tuple[str, ...] = ("local", "newcomer")) -> list[str]:
    return [p.public_id for p in world.people.values() if p.role in roles]


PAIRS_FOUND = f"/coordinator/regions/{KASSEL}/pairs/new?local_q=example.org&newcomer_q=example.org"
# Path template → the concrete paths of the world. A new GET route fails the walk until it
# is added here.
FILL: dict[str, Callable[[World], list[str]]] = {
    "/coordinator": lambda w: ["/coordinator/"],
    "/coordinator/account/second-factor": lambda w: ["/coordinator/account/second-factor"],
    "/coordinator/audit": lambda w: ["/coordinator/audit/"],
    "/coordinator/invitations": lambda w: ["/coordinator/invitations"],
    "/coordinator/jobs/failed": lambda w: ["/coordinator/jobs/failed"],
    "/coordinator/participants": lambda w: ["/coordinator/participants"],
    # The search echoes what was typed and lists the people found: both must stay text.
    "/coordinator/search": lambda w: ["/coordinator/search?q=%3C", "/coordinator/search?q=script"],
    "/coordinator/participants/{public_id:str}": lambda w: [
        f"/coordinator/participants/{i}" for i in _ids(w)
    ],
    "/coordinator/participants/{public_id:str}/vetting": lambda w: [
        f"/coordinator/participants/{i}/vetting" for i in _ids(w, ("local",))
    ],
    "/coordinator/proposals": lambda w: ["/coordinator/proposals/"],
    "/coordinator/regions": lambda w: ["/coordinator/regions"],
    # Meeting places and events (issue 17): the world has none; the lists and empty forms.
    "/coordinator/places": lambda w: ["/coordinator/places"],
    "/coordinator/places/{place_id:int}": lambda w: [
        f"/coordinator/regions/{KASSEL}/places/new"  # the same template; the world has no place
    ],
    "/coordinator/regions/{slug:str}/places/new": lambda w: [
        f"/coordinator/regions/{KASSEL}/places/new"
    ],
    "/coordinator/events": lambda w: ["/coordinator/events"],
    "/coordinator/events/{occasion_id:int}": lambda w: [
        f"/coordinator/regions/{KASSEL}/events/new"  # the same template; the world has no event
    ],
    "/coordinator/regions/{slug:str}/events/new": lambda w: [
        f"/coordinator/regions/{KASSEL}/events/new"
    ],
    "/calendar/{name:str}": lambda w: [f"/calendar/{KASSEL}.ics"],
    "/coordinator/regions/{slug:str}/gaps": lambda w: [f"/coordinator/regions/{KASSEL}/gaps"],
    # Pair by typing: the people found by what was typed (their e-mail addresses here).
    "/coordinator/regions/{slug:str}/pairs/new": lambda w: [
        f"/coordinator/regions/{KASSEL}/pairs/new",
        PAIRS_FOUND,
    ],
    "/coordinator/regions/{slug:str}/suggestions": lambda w: [
        f"/coordinator/regions/{KASSEL}/suggestions"
    ],
    "/coordinator/regions/{slug:str}/unmatched": lambda w: [
        f"/coordinator/regions/{KASSEL}/unmatched"
    ],
    "/coordinator/regions/{slug:str}/weights": lambda w: [f"/coordinator/regions/{KASSEL}/weights"],
    "/coordinator/reports": lambda w: ["/coordinator/reports"],
    "/coordinator/reports.csv": lambda w: ["/coordinator/reports.csv"],
    "/coordinator/review": lambda w: ["/coordinator/review"],
    "/coordinator/runs/{run_id:int}": lambda w: [f"/coordinator/runs/{w.run_id}"],
    # The confirmation pages the run's what-if offers (they name the people concerned); in
    # this world no relaxation helps (n5 fits nobody's time), so the run page stands in.
    "/coordinator/runs/{run_id:int}/relax/{relaxation:str}": lambda w: (
        [
            a["href"]
            for a in BeautifulSoup(
                w.ada.get(f"/coordinator/runs/{w.run_id}").text, "html.parser"
            ).select("#whatif a[href*='/relax/']")
        ]
        or [f"/coordinator/runs/{w.run_id}"]
    ),
    "/coordinator/tandems": lambda w: ["/coordinator/tandems", "/coordinator/tandems?status=all"],
    "/coordinator/tandems/{public_id:str}": lambda w: [
        f"/coordinator/tandems/{w.active}",
        f"/coordinator/tandems/{w.proposed}",
    ],
    # Issue 16: people without e-mail.
    "/coordinator/register/{role:str}": lambda w: [
        "/coordinator/register/newcomer",
        "/coordinator/register/local",
    ],
    "/coordinator/proposals/{public_id:str}/{side:str}": lambda w: [
        f"/coordinator/proposals/{w.proposed}/{side}" for side in ("local", "newcomer")
    ],
    "/coordinator/proposals/{public_id:str}/{side:str}/letter": lambda w: [
        f"/coordinator/proposals/{w.proposed}/{side}/letter" for side in ("local", "newcomer")
    ],
    "/coordinator/check-ins/{public_id:str}/{side:str}": lambda w: [
        f"/coordinator/check-ins/{w.active}/{side}" for side in ("local", "newcomer")
    ],
    "/coordinator/participants/{public_id:str}/on-request": lambda w: [
        f"/coordinator/participants/{i}/on-request" for i in _ids(w)
    ],
    "/coordinator/participants/{public_id:str}/on-request/correct": lambda w: [
        f"/coordinator/participants/{i}/on-request/correct" for i in _ids(w)
    ],
    "/dev/mail": lambda w: ["/dev/mail/"],
    "/dev/mail/{message_id:int}": lambda w: [f"/dev/mail/{i}" for i in w.message_ids],
    # Participants' pages, in the reporter's session (``World.me``).
    # Today's merges: an event's date and its door list (the world's event), the exports,
    # the region's contact person, the form that marks a problem report handled.
    "/coordinator/events/{occasion_id:int}/dates/{day:str}": lambda w: [
        w.event_date,
        f"{w.event_date}?q=%3C",
        f"{w.event_date}?q=script",
    ],
    "/coordinator/events/{occasion_id:int}/dates/{day:str}/door": lambda w: [
        f"{w.event_date}/door"
    ],
    "/coordinator/exports/participants": lambda w: [
        "/coordinator/exports/participants",
        "/coordinator/exports/participants?file=xlsx",
    ],
    "/coordinator/exports/tandems": lambda w: [
        "/coordinator/exports/tandems",
        "/coordinator/exports/tandems?file=xlsx",
    ],
    "/coordinator/regions/{slug:str}/contact": lambda w: [f"/coordinator/regions/{KASSEL}/contact"],
    "/coordinator/reports.xlsx": lambda w: ["/coordinator/reports.xlsx"],
    "/coordinator/tandems/{public_id:str}/problems/{report_id:int}/handle": lambda w: [
        f"/coordinator/tandems/{w.active}/problems/{w.problem_id}/handle",
        f"/coordinator/tandems/{w.active}/problems/{w.problem_id}/handle?back=dashboard",
    ],
    "/me": lambda w: ["/me"],
    "/me/edit": lambda w: ["/me/edit"],
    "/me/export": lambda w: ["/me/export"],
    "/me/erased": lambda w: ["/me/erased"],
    "/me/new-link": lambda w: ["/me/new-link"],
    "/me/open/{token:str}": lambda w: ["/me/open/sample"],
    "/me/tandem/{public_id:str}": lambda w: [f"/me/tandem/{w.active}"],
}


def test_every_page_is_known_to_this_walk(settings):
    unknown = [path for path, _ in get_routes(create_app(settings)) if path not in FILL]
    assert unknown == [], "fill these routes in tests/security/test_xss.py FILL"


def _check(response, shown: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    path = str(response.url)
    assert response.status_code == 200, (path, response.status_code)
    body = response.text
    if not response.headers["content-type"].startswith("text/html"):
        # Raw data (the JSON export, the CSV report) is a download, never shown as a page.
        assert response.headers["content-disposition"].startswith("attachment"), path
        assert response.headers["x-content-type-options"] == "nosniff", path
        return
    assert live_markup(body) == [], path
    found = shows_escaped(body)
    if found:
        shown[path.split("://", 1)[1].split("/", 1)[1]] = found


def test_every_page_shows_the_stored_payloads_escaped(world):
    shown: dict[str, list[str]] = {}
    for template, _handler in get_routes(world.app):
        client = world.me if template.startswith("/me") else world.ada
        for path in FILL[template](world):
            _check(client.get(path), shown)

    def on(path: str) -> list[str]:
        return shown.get(path.lstrip("/"), [])

    # The pages that show people's words really show them (escaped), or this test would
    # pass on a page that lost the data.
    for person in world.people.values():
        page = on(f"/coordinator/participants/{person.public_id}")
        for name in (person.first_name, person.last_name):
            assert name in page or name not in MARKUP, (name, page)
        assert set(page) >= {p for p in MARKUP if p in blob(ABOUT_MAX)}, page  # about me, notes
    for path in (
        "/coordinator/",  # the worrying check-in and the problem report
        "/coordinator/review",
        "/coordinator/participants",
        "/coordinator/tandems",
        f"/coordinator/tandems/{world.proposed}",
        "/coordinator/proposals/",
        f"/coordinator/regions/{KASSEL}/suggestions",
        f"/coordinator/regions/{KASSEL}/unmatched",
        PAIRS_FOUND,
        f"/coordinator/runs/{world.run_id}",  # started by Carla
        "/dev/mail/",
        f"/coordinator/regions/{KASSEL}/contact",
        "/coordinator/events",
        world.event_date,
        f"{world.event_date}/door",
        f"/coordinator/tandems/{world.active}/problems/{world.problem_id}/handle",
        "/me",
        "/me/edit",
        f"/me/tandem/{world.active}",
    ):
        assert on(path), f"{path} shows none of the payloads"
    # Every line of the long texts: the check-in answer, the problem report and the notes.
    assert set(on(f"/coordinator/tandems/{world.active}")) >= {p for p in MARKUP if p in LONG}
    assert len(shown) >= 30, sorted(shown)
    # The template expression stays text where a name shows it.
    template_person = next(p for p in world.people.values() if p.last_name == "{{7*7}}")
    page = world.ada.get(f"/coordinator/participants/{template_person.public_id}").text
    assert "{{7*7}}" in page


def reflected(payload: str) -> str:
    """A variant of the payload that no stored field holds, to tell reflection apart."""
    return payload.replace("1", "2")


def test_reflected_query_parameters_are_escaped(world):
    """Every text query parameter of every page, set to each payload in turn."""
    echoed: set[str] = set()
    variants = [reflected(payload) for payload in PAYLOADS]
    for template, handler in get_routes(world.app):
        client = world.me if template.startswith("/me") else world.ada
        path = FILL[template](world)[0]
        for name in query_parameters(handler):
            for payload in variants:
                response = client.get(path, params={name: payload})
                assert response.status_code < 500, (path, name, payload)
                assert live_markup(response.text) == [], (path, name, payload)
                if str(escape(payload)) in response.text and payload != str(escape(payload)):
                    echoed.add(f"{template}?{name}")
    # The search forms keep what was typed: the audit log's filters, the report's start.
    assert {
        "/coordinator/audit?action",
        "/coordinator/audit?subject_type",
        "/coordinator/audit?subject_id",
        "/coordinator/reports?start",
    } <= echoed, echoed


def test_the_e_mails_escape_names_in_their_html(world, engine):
    with db(engine) as session:
        messages = session.scalars(select(OutboxMessage)).all()
        kinds = set()
        for message in messages:
            assert live_markup(message.body_html or "") == [], (message.kind, message.body_html)
            if shows_escaped(message.body_html or ""):
                kinds.add(message.kind)
    # Every e-mail that names someone shows the name as text.
    assert {
        "verify_address",
        "profile_link",
        "proposal",
        "tandem_started",
        "checkin",
    } <= kinds, kinds


NUMBERS = {"days": 30}  # e-mail values that are numbers, not text


def _structured(payload: str) -> dict[str, Any]:
    """The e-mail values the partials take as structures, every text in them a payload:
    the events near the reader (``web.events.nearby.for_mail``) and the signature."""
    event = {
        "title": payload,
        "when": payload,
        "more_dates": [payload, payload],
        "and_more": True,
        "place": payload,
        "km": payload,
        "online": False,
        "step_free": True,
    }
    return {
        "events": [event, {**event, "online": True, "km": ""}],
        "signature": Signature(name=payload, region=payload, email=payload, phone=payload),
    }


def _variables(environment: Any, part: str, seen: set[str]) -> set[str]:
    """The values ``part`` uses, with those of the partials it includes or extends (a
    guardian's copy, the events, the meeting, the signature)."""
    source = environment.loader.get_source(environment, part)[0]
    tree = environment.parse(source)
    used = set(meta.find_undeclared_variables(tree))
    for child in meta.find_referenced_templates(tree):
        if child is not None and child not in seen:
            seen.add(child)
            used |= _variables(environment, child, seen)
    return used


@pytest.mark.parametrize("payload", MARKUP)
def test_every_html_e_mail_escapes_what_it_is_given(payload):
    """Each e-mail rendered with every value it and its partials use set to a payload (also
    the e-mails the world above does not send: reminders, endings, the retention warning,
    the guardian's copies, the events)."""
    names = sorted(path.name.removesuffix(".html") for path in mail.TEMPLATES_DIR.glob("*.html"))
    environment = mail._environment("de")
    structured = _structured(payload)
    rendered = 0
    for name in names:
        if name.startswith("_"):
            continue
        used: set[str] = set()
        for part in (f"{name}.subject.txt", f"{name}.txt", f"{name}.html"):
            used |= _variables(environment, part, set())
        context = {
            key: structured.get(key, NUMBERS.get(key, payload)) for key in used - {"ui_locale", "_"}
        }
        html = mail.render(name, "de", context).html
        assert live_markup(html) == [], (name, html)
        assert not used or escaped(payload) in html, name
        if "signature" in used:  # every e-mail in the layout signs with the payloads
            assert "data-signature" in html, name
        rendered += 1
    assert rendered >= 10


@pytest.mark.parametrize("template", ["proposal", "proposal_reminder", "checkin"])
def test_a_guardians_copy_without_a_guardians_name_still_renders(template):
    """The copy greets the guardian by name when it has one, and plainly when it has none."""
    used: set[str] = set()
    environment = mail._environment("de")
    for part in (f"{template}.subject.txt", f"{template}.txt", f"{template}.html"):
        used |= _variables(environment, part, set())
    context = {key: NUMBERS.get(key, "x") for key in used - {"ui_locale", "_", "guardian_name"}}
    context |= _structured("x")
    rendered = mail.render(template, "en", context)
    assert "Hello," in rendered.text and "Hello," in rendered.html


@pytest.mark.parametrize(
    "address", [HOSTILE_EMAIL, "<script>@example.org", '"x"@example.org', "a,b@example.org"]
)
def test_markup_in_the_sign_up_address_is_refused_and_shown_escaped(client, engine, address):
    """Such an address once passed the form and then failed as the e-mail was written (500)."""
    with db(engine) as session:
        make_region(session, KASSEL)
    person = Person(role="newcomer", email=address, first_name=PAYLOADS[0], last_name="")
    data = {**_signup_form(person, ""), "_csrf_token": csrf_token(client, "/signup/newcomer")}
    response = client.post("/signup/newcomer", data=data)
    assert response.status_code == 400
    assert live_markup(response.text) == []
    field = html(response).find("input", attrs={"name": "email"})
    assert field is not None and field["value"] == address  # kept, as typed, in the field
