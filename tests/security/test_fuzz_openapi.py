"""OpenAPI-driven fuzz run (issue 7 item 4, SECURITY.md VAL-1/VAL-3): schemathesis sends
generated requests to every form and page of the app, in-process, and no answer is a 5xx.

The app under test is ``create_app(settings, fuzzing=True)``: CSRF off (otherwise every POST
is a 403) and the OpenAPI schema served. The real app has neither (checked below, and
tests/security/test_route_walk.py refuses every unsafe method without a CSRF token).

Litestar's schema knows form bodies only as ``dict[str, Any]``, so before generating, the
schema is rewritten: each POST body lists the fields its form really reads (FORM_FIELDS; a
new POST route without an entry fails the run), each value a string or a list of strings,
sometimes a real value (REAL_FIELD_VALUES). Path parameters are sometimes ids that exist in
a seeded world and otherwise junk. Calls carry a logged-in admin's session (coordinator
routes) or a participant's (/me...); public routes go without one.

CI runs this file on SQLite and on PostgreSQL, which refuses NUL in text where SQLite
stores it.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from tests.builders import (
    PASSWORD,
    csrf_token,
    db,
    login,
    make_coordinator,
    make_region,
)
from tests.security.xss_payloads import NASTY
from tests.worlds import WEIGHT_FIELDS, EveryRoute, every_route
from web.app import create_app

pytestmark = [
    # The app (in schemathesis' event-loop thread) uses the global `random` while hypothesis
    # draws; hypothesis then blames the strategy. Our strategies use no randomness of their own.
    pytest.mark.filterwarnings(
        "ignore:Do not use the `random` module inside strategies"
        ":hypothesis.errors.HypothesisDeprecationWarning"
    ),
]

EXAMPLES = 25  # per operation and pass; the whole file stays well under 90 s per database
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: CI is reproducible
    database=None,
    phases=[Phase.explicit, Phase.generate],  # report the first 5xx as generated, no shrinking
    suppress_health_check=list(HealthCheck),
)

PARTICIPANT_FORM = [
    "first_name",
    "last_name",
    "email",
    "place",
    *(f"language_{index}" for index in range(1, 5)),
    *(f"level_{index}" for index in range(1, 5)),
    "learning",
    "interests",
    "help_topics",
    "slots",
    "online_ok",
    "needs_step_free",  # issue 17
    "gender",
    "partner_wish",
    "birth_year",
    "capacity",
    "about_me",
    "_switch_lang",
    # Issue 16: contact without e-mail, interpreter, guardian of a minor.
    "phone",
    "contact_channel",
    "interpreter_needed",
    "interpreter_language",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "guardian_email",
    "consent_guardian",
]
WEIGHTS = WEIGHT_FIELDS

# Every POST route (OpenAPI spelling) → the form fields its handler reads (web/*/routes.py,
# web/core/forms.py, web/checkins/, web/review/, web/weights/). Empty: no form body.
_TEXTS = ("de", "en", "ar", "fa", "uk", "ru", "tr")
PLACE_FORM = [
    "name", "kind", "street", "town", "lat", "lon", "video_url", "slots", "step_free", "costs",
    "staff_languages", *(f"description_{code}" for code in _TEXTS),
]  # fmt: skip
EVENT_FORM = [
    "place", "day", "start", "end", "repeat", "weekdays", "until", "capacity", "audience",
    "languages", "public", *(f"title_{code}" for code in _TEXTS),
    *(f"description_{code}" for code in _TEXTS),
]  # fmt: skip
FORM_FIELDS: dict[str, list[str]] = {
    "/signup/{role}": [*PARTICIPANT_FORM, "consent_matching", "consent_contact", "website"],
    "/verify/{token}": [],
    "/me/open/{token}": [],
    "/me/new-link": ["email"],
    "/me/edit": PARTICIPANT_FORM,
    "/me/pause": [],
    "/me/resume": [],
    "/me/withdraw": [],
    "/me/erase": ["confirm"],
    "/me/logout": [],
    "/me/tandem/{public_id}/report": ["kind", "note"],
    "/me/tandem/{public_id}/end": ["reason", "confirm"],
    "/login": ["email", "password", "next"],
    "/login/code": ["code"],
    "/logout": [],
    "/invite/{token}": ["name", "password", "password_again"],
    "/answer/{token}": ["choice"],
    "/check-in/{token}": ["meetings", "mood", "note", "_switch_lang"],
    "/coordinator/account/second-factor": ["code"],
    "/coordinator/invitations": ["email", "role", "regions"],
    "/coordinator/check-ins/{checkin_id}/seen": [],
    "/coordinator/regions/{slug}/match": [],
    "/coordinator/jobs/failed/{job_id}/retry": [],
    "/coordinator/review/{public_id}/approve": [],
    "/coordinator/review/{public_id}/call": [],
    "/coordinator/review/{public_id}/decline": ["reason", "note"],
    "/coordinator/review/{public_id}/undo": [],
    "/coordinator/participants/{public_id}/vetting": ["certificate_date", "seen_original"],
    "/coordinator/participants/{public_id}/notes": ["body"],
    "/coordinator/suggestions/{public_id}/confirm": ["back"],
    "/coordinator/suggestions/{public_id}/reject": ["reason", "note", "back"],
    "/coordinator/suggestions/confirm": ["tandem", "region", "back"],
    "/coordinator/regions/{slug}/pairs/{action}": ["local", "newcomer", "back"],
    "/coordinator/regions/{slug}/pairs/new": ["local", "newcomer", "accept_broken"],
    "/coordinator/regions/{slug}/weights": [*WEIGHTS, "min_level", "max_distance_km"],
    "/coordinator/regions/{slug}/weights/preview": [*WEIGHTS, "min_level", "max_distance_km"],
    "/coordinator/regions/{slug}/weights/adopt": WEIGHTS,
    "/coordinator/regions/{slug}/contact": ["contact_name", "contact_email", "contact_phone"],
    "/coordinator/tandems/{public_id}/pause": [],
    "/coordinator/tandems/{public_id}/resume": [],
    "/coordinator/tandems/{public_id}/end": ["ended_on", "reason"],
    "/coordinator/tandems/{public_id}/rematch": ["ended_on", "reason"],
    "/coordinator/tandems/{public_id}/fit-check": [],
    "/coordinator/tandems/{public_id}/notes": ["body"],
    "/coordinator/tandems/{public_id}/problems/{report_id}/handle": ["back", "handled_note"],
    "/coordinator/tandems/{public_id}/put-in-touch": ["back"],
    "/coordinator/proposals/{public_id}/withdraw": ["reason"],
    "/coordinator/proposals/{public_id}/resend": [],
    # The what-if of a run and the relaxations it offers.
    "/coordinator/runs/{run_id}/whatif": [],
    "/coordinator/runs/{run_id}/relax/{relaxation}": [],
    # Issue 16: people without e-mail.
    "/coordinator/register/{role}": [
        *PARTICIPANT_FORM,
        "consent_matching",
        "consent_contact",
        "consent_method",
        "not_a_duplicate",
        "person_locale",
    ],
    "/coordinator/proposals/{public_id}/{side}": ["choice", "how"],
    "/coordinator/tasks/{task_id}/done": [],
    "/coordinator/check-ins/{public_id}/{side}": ["meetings", "mood", "note", "how"],
    "/coordinator/participants/{public_id}/on-request": ["action", "how", "confirm"],
    "/coordinator/participants/{public_id}/on-request/correct": [
        *PARTICIPANT_FORM,
        "person_locale",
        "how",
    ],
    # Meeting places and events (issue 17).
    "/coordinator/regions/{slug}/places": PLACE_FORM,
    "/coordinator/places/{place_id}": PLACE_FORM,
    "/coordinator/places/{place_id}/archive": [],
    "/coordinator/places/{place_id}/restore": [],
    "/coordinator/tandems/{public_id}/first-meeting": ["place", "day", "time"],
    "/coordinator/regions/{slug}/events": EVENT_FORM,
    "/coordinator/events/{occasion_id}": EVENT_FORM,
    "/coordinator/events/{occasion_id}/cancel": [],
    "/coordinator/events/{occasion_id}/cancel-date": ["date"],
    "/coordinator/regions/{slug}/calendar-tag": ["calendar_tag"],
    # Sign-ups for an event's date: on a person's behalf, at the door, and their own.
    "/coordinator/events/{occasion_id}/dates/{day}/sign-up": ["person"],
    "/coordinator/events/{occasion_id}/dates/{day}/cancel/{signup_id}": [],
    "/coordinator/events/{occasion_id}/dates/{day}/door": ["came"],
    "/coordinator/events/{occasion_id}/dates/{day}/door/walk-ins": ["name"],
    "/coordinator/events/{occasion_id}/dates/{day}/door/walk-ins/{walk_in_id}/remove": [],
    "/me/events/{occasion_id}/{day}/sign-up": [],
    "/me/events/{occasion_id}/{day}/cancel": [],
    "/me/calendar/new-link": [],
    # The monthly "what's on" e-mail, switched on the profile or by the link in it.
    "/me/whats-on": ["mail"],
    "/whats-on/{token}": ["mail"],
}
# Routes that end the session they are called with: called last in their pass.
SESSION_ENDING = {"/logout", "/me/logout", "/me/erase"}
PARTICIPANT_ROUTE = re.compile(r"^/me(/|$)")
PARTICIPANT_PUBLIC = {"/me/open/{token}", "/me/new-link", "/me/erased"}


ANY_FORM_VALUE = {
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    ]
}


# What every page may read besides its own parameters (web.core.i18n, web.core.auth, Litestar's CSRF
# and session middleware, web.core.request_checks): fuzzed on every operation too.
EVERY_PAGE_READS = [
    {"name": "lang", "in": "query"},
    {"name": "Accept-Language", "in": "header"},
    {"name": "Host", "in": "header"},
    {"name": "X-Forwarded-For", "in": "header"},
    {"name": "tandem_lang", "in": "cookie"},
    {"name": "tandem_csrf", "in": "cookie"},
    {"name": "tandem_session", "in": "cookie"},
]


def rewrite(raw: dict[str, Any]) -> list[str]:
    """Give every form body its fields and every operation the query parameter, headers and
    cookies any page reads (in place); return the POST routes FORM_FIELDS lacks."""
    unknown = []
    for path, item in raw["paths"].items():
        for operation in item.values():
            declared = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
            operation.setdefault("parameters", []).extend(
                {**extra, "required": False, "schema": {"type": "string"}}
                for extra in EVERY_PAGE_READS
                if (extra["in"], extra["name"]) not in declared
            )
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    # Without the route's own bounds, so that out-of-range ids are tried too.
                    parameter["schema"] = {"type": parameter["schema"]["type"]}
        if "post" not in item:
            continue
        if path not in FORM_FIELDS:
            unknown.append(path)
        elif FORM_FIELDS[path]:
            properties = dict.fromkeys(FORM_FIELDS[path], ANY_FORM_VALUE)
            form = {"type": "object", "properties": properties, "additionalProperties": False}
            item["post"]["requestBody"] = {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": form}},
            }
    return unknown


# Every answer's status, by operation (after redirects, which requests follows).
STATUSES: defaultdict[str, Counter[int]] = defaultdict(Counter)


@dataclass
class Failure:
    label: str
    status: int
    repro: str


CHOICES = ("generated", "real", "nasty")
SESSION_COOKIE = "tandem_session"
# Numbers and days that broke handlers (issue 12 §5).
ODD_NUMBERS = ["²²²²²²", "١٢٣", "2147483648", "99999999999999999999999", "0001-01-01",
               "9999-12-31"]  # fmt: skip
# What a header or cookie can carry at all: requests refuses CR, LF and leading blanks, and
# anything beyond Latin-1.
HEADER_NASTY = [
    value for value in NASTY + ODD_NUMBERS + ["\x00\x00", "a" * 5000]
    if not re.search(r"[\r\n]|^\s|[^\x00-\xff]", value)
]  # fmt: skip
# ("[::1" is in tests/security/test_route_walk.py: requests cannot even build that URL.)
HOSTS = ["127.0.0.1:99999", "a" * 300, "127.0.0.1:", "testserver", "localhost:8000"]


def _mix_in_real_values(
    case: Any, world: EveryRoute, data: st.DataObject, *, signed_in: bool = False
) -> None:
    """Swap generated path parameters and form values, now and then, for ones that exist
    or for known-nasty text: NUL, bidi controls, huge numbers (tests/security/
    test_hostile_input.py); and query parameters, headers and cookies for nasty ones.
    An `enum` in the schema would never be drawn: schemathesis folds it into the junk."""
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        real = world.values_for(path, name)
        choice = data.draw(st.sampled_from(CHOICES if real else CHOICES[::2]))
        if choice == "real":
            case.path_parameters[name] = data.draw(st.sampled_from(real))
        elif choice == "nasty":
            case.path_parameters[name] = quote(data.draw(st.sampled_from(NASTY)), safe="")
    for where, nasty in (
        (case.query, NASTY + ODD_NUMBERS),
        (case.headers, HEADER_NASTY),
        (case.cookies, HEADER_NASTY),
    ):
        for name in list(where or {}):
            if name == "Host":
                where[name] = data.draw(st.sampled_from(HOSTS))
            elif data.draw(st.booleans()):
                where[name] = data.draw(st.sampled_from(nasty))
    if signed_in and case.cookies:
        case.cookies.pop(SESSION_COOKIE, None)  # it would end the session the pass needs
    if isinstance(case.body, dict):
        for name in FORM_FIELDS.get(path, []):
            real = world.field_values.get(name, [])
            choice = data.draw(st.sampled_from(CHOICES if real else CHOICES[::2]))
            if choice == "real":
                case.body[name] = data.draw(st.sampled_from(real))
            elif choice == "nasty":
                case.body[name] = data.draw(st.sampled_from(NASTY))


def fuzz(
    schema: Any,
    world: EveryRoute,
    paths: list[str],
    *,
    client: requests.Session | None,
    max_examples: int,
) -> list[Failure]:
    """Send up to ``max_examples`` generated requests to the GET and POST of each path;
    return the first 5xx of each operation."""
    failures: list[Failure] = []
    for path in paths:
        for method in ("GET", "POST"):
            try:
                operation = schema[path][method]
            except LookupError:
                continue

            @settings(FUZZ, max_examples=max_examples)
            @given(case=operation.as_strategy(), data=st.data())
            def check(case: Any, data: st.DataObject) -> None:
                _mix_in_real_values(case, world, data, signed_in=client is not None)
                response = case.call(session=client)
                STATUSES[case.operation.label][response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error])

            try:
                check()
            except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup
                failures.append(Failure(operation.label, 500, str(error)[:3000]))
    return failures


@pytest.fixture
def fuzz_world(settings, engine):  # type: ignore[no-untyped-def]
    quick = settings.model_copy(update={"signup_limit_per_hour": 100_000})
    world = every_route(engine, quick)
    app = create_app(quick, fuzzing=True)
    with asgi.get_client(app) as client:
        raw = client.get("/schema/openapi.json").json()
    yield app, raw, world
    asgi.shutdown_lifespans()  # on_shutdown disposes of the engine


def test_the_real_app_has_csrf_on_and_serves_no_schema(settings):
    with TestClient(app=create_app(settings)) as client:
        assert client.app.csrf_config is not None
        assert client.get("/schema/openapi.json").status_code == 404
        refused = client.post("/login", data={"email": "a@example.org", "password": "x"})
        assert refused.status_code == 403
    with TestClient(app=create_app(settings, fuzzing=True)) as client:
        assert client.app.csrf_config is None
        assert client.get("/schema/openapi.json").status_code == 200


def test_every_post_route_has_its_form_fields(fuzz_world):
    _, raw, _ = fuzz_world
    posts = {path for path, item in raw["paths"].items() if "post" in item}
    assert rewrite(raw) == [], "add these routes to FORM_FIELDS"
    assert sorted(posts) == sorted(FORM_FIELDS), "FORM_FIELDS lists routes the app has not"


@pytest.mark.fuzz  # the slow part: `pytest -m "not browser and not fuzz"` skips it locally
def test_no_request_gives_a_server_error(fuzz_world):
    app, raw, world = fuzz_world
    assert rewrite(raw) == []
    # What schemathesis.openapi.from_asgi does, with the rewritten schema.
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = app
    STATUSES.clear()
    paths = sorted(raw["paths"])
    coordinator_paths = [p for p in paths if p.startswith("/coordinator") or p == "/logout"]
    participant_paths = [
        p for p in paths if PARTICIPANT_ROUTE.match(p) and p not in PARTICIPANT_PUBLIC
    ]
    public_paths = [p for p in paths if p not in coordinator_paths + participant_paths]
    started = time.monotonic()
    failures: list[Failure] = []
    with asgi.get_client(app) as coordinator, asgi.get_client(app) as participant:
        logged_in = coordinator.post(
            "/login", data={"email": "ada@example.org", "password": PASSWORD},
            allow_redirects=False,
        )  # fmt: skip
        assert logged_in.status_code == 303, logged_in.text[:500]
        opened = participant.post(f"/me/open/{world.profile_token}", allow_redirects=False)
        assert opened.status_code == 303, opened.text[:500]
        # Public routes first, while every seeded link still works (and before the fuzzed
        # logins use up the login rate limit).
        failures += fuzz(schema, world, public_paths, client=None, max_examples=EXAMPLES)
        for client, own_paths, home in (
            (coordinator, coordinator_paths, "/coordinator/"),
            (participant, participant_paths, "/me"),
        ):
            assert client.get(home, allow_redirects=False).status_code == 200, home
            ordered = [path for path in own_paths if path not in SESSION_ENDING]
            failures += fuzz(schema, world, ordered, client=client, max_examples=EXAMPLES)
            # Still signed in: the whole pass carried the session.
            assert client.get(home, allow_redirects=False).status_code == 200, home
            ending = sorted(set(own_paths) & SESSION_ENDING)
            failures += fuzz(schema, world, ending, client=client, max_examples=5)
    elapsed = time.monotonic() - started
    report = "\n".join(f"{f.label}:\n{f.repro}" for f in failures)
    assert failures == [], f"server errors ({elapsed:.0f} s):\n{report}"
    # The run reached the handlers: most operations answered a success at least once
    # (with junk alone nearly every answer would be a 400 or 404).
    succeeded = [label for label, seen in STATUSES.items() if any(code < 300 for code in seen)]
    assert len(succeeded) > 0.75 * len(STATUSES), {k: dict(v) for k, v in STATUSES.items()}


# --- regressions the fuzz run found ----------------------------------------------------------


@pytest.mark.parametrize("row_id", ["99999999999999999999999", "-1", "0", "2147483648"])
def test_an_id_out_of_range_in_a_path_is_a_400_not_a_500(client, engine, row_id):
    """SQLite raised OverflowError for ids beyond 64 bits (web.core.deps.RowId)."""
    with db(engine) as session:
        make_coordinator(session, "ada@example.org", role="admin")
    assert login(client, "ada@example.org").status_code == 303
    token = csrf_token(client, "/coordinator/")
    answers = [
        client.get(f"/coordinator/runs/{row_id}", follow_redirects=False),
        client.get(f"/dev/mail/{row_id}", follow_redirects=False),
        client.post(
            f"/coordinator/check-ins/{row_id}/seen",
            data={"_csrf_token": token},
            follow_redirects=False,
        ),
        client.post(
            f"/coordinator/tandems/x/problems/{row_id}/handle",
            data={"_csrf_token": token},
            follow_redirects=False,
        ),
    ]
    assert [answer.status_code for answer in answers] == [400, 400, 400, 400]


def _admin_in_kassel(client, engine) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        make_coordinator(session, "ada@example.org", role="admin")
        make_region(session, "kassel")
    assert login(client, "ada@example.org").status_code == 303
    return csrf_token(client, "/coordinator/")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/coordinator/regions/%00/gaps"),
        ("GET", "/coordinator/regions/kassel%00/suggestions"),
        ("POST", "/coordinator/review/%00/approve"),
        ("POST", "/coordinator/suggestions/Nour%00/confirm"),
        ("GET", "/coordinator/participants?region=kassel%00"),
        ("GET", "/login?next=%00"),
    ],
)
def test_a_nul_in_the_url_is_a_400_not_a_500(client, engine, method, url):
    """PostgreSQL refused the NUL in a slug or id lookup (web.app._refuse_nul_in_the_url)."""
    token = _admin_in_kassel(client, engine)
    data = {"_csrf_token": token} if method == "POST" else None
    response = client.request(method, url, data=data, follow_redirects=False)
    assert response.status_code == 400


def test_a_nul_in_a_form_value_used_for_a_lookup_is_not_a_500(client, engine):
    """PostgreSQL refused "kassel\\x00" and "x\\x00" in the lookups (web.core.forms.values)."""
    token = _admin_in_kassel(client, engine)
    invited = client.post(
        "/coordinator/invitations",
        data={"email": "new@example.org", "role": "coordinator", "regions": "kassel\x00",
              "_csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert invited.status_code == 303  # the NUL is dropped: "kassel" is a real region
    confirmed = client.post(
        "/coordinator/suggestions/confirm",
        data={"tandem": "x\x00", "region": "kassel", "_csrf_token": token},
        follow_redirects=False,
    )
    assert confirmed.status_code == 404
