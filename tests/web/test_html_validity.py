"""Every public and participant page, in every language, is valid HTML (the Nu Html Checker).

The pages are rendered through the test client, written to a folder and checked by
one run of ``vnu`` (the W3C validator; a Java program, so one JVM start for all of
them). ``vnu`` comes from the npm package ``vnu-jar``, installed by ``.ci/run`` into
``.cache/vnu``; Java from Debian's ``default-jre-headless``. Without them the test
skips, unless ``CI=true`` (or ``TANDEM_REQUIRE_VNU=1``): then it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.builders import csrf_token, db, login, make_occasion, make_participant, open_profile
from tests.worlds import three_suggestions as kassel_with_three
from web.checkins import checkins
from web.core.calendar import berlin
from web.core.models import OutboxMessage, Participant, Region, Tandem, WalkIn, utcnow
from web.core.settings import ROOT
from web.events import signups
from web.proposals import proposals
from web.tandems import lifecycle

LOCALES = ("de", "en", "ar", "fa", "uk", "ru", "tr")
VNU_JAR = Path(
    os.environ.get("TANDEM_VNU_JAR", ROOT / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar")
)
# A page the checker must reject: the field macro's old fault, an attribute run together.
BROKEN_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body><main>'
    '<label for="e">E-mail</label><input id="e" type="email" requiredaria-describedby="h">'
    "</main></body></html>"
)


def vnu_required() -> bool:
    return (
        os.environ.get("CI", "").lower() in ("true", "1")
        or os.environ.get("TANDEM_REQUIRE_VNU") == "1"
    )


def no_vnu(reason: str) -> NoReturn:
    if vnu_required():
        pytest.fail(f"the HTML check needs vnu and cannot run it: {reason}")
    pytest.skip(reason)


def vnu_command() -> list[str]:
    """How to start vnu (checked before any page is rendered)."""
    java = shutil.which("java")
    if java is None:
        no_vnu("no java (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        no_vnu(f"no {VNU_JAR} (npm install --prefix .cache/vnu vnu-jar)")
    return [java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--errors-only"]


def run_vnu(command: list[str], folder: Path) -> dict[str, list[str]]:
    """The errors vnu finds in every ``*.html`` file of ``folder``, by file name."""
    files = sorted(str(path) for path in folder.glob("*.html"))
    done = subprocess.run(
        [*command, *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # vnu writes its JSON report to stderr (after anything Java itself prints there, such
    # as "Picked up JAVA_TOOL_OPTIONS") and exits 1 when it found errors.
    output = done.stderr + done.stdout
    reports = [
        line for line in output.splitlines() if line.startswith("{") and '"messages"' in line
    ]
    assert reports, f"vnu gave no report (exit {done.returncode}):\n{output[-2000:]}"
    report = json.loads(reports[-1])
    found: dict[str, list[str]] = {Path(name).name: [] for name in files}
    for message in report["messages"]:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        name = Path(message.get("url", "").removeprefix("file:")).name
        found.setdefault(name, []).append(
            f"line {message.get('lastLine')}: {message['message']} | {message.get('extract', '')!r}"
        )
    return found


def _link(engine, kind: str, pattern: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        bodies = session.scalars(
            select(OutboxMessage.body_text).where(OutboxMessage.kind == kind)
        ).all()
    return [re.search(pattern, body).group(1) for body in bodies]  # type: ignore[union-attr]


def build_world(engine, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Kassel with suggestions (Alice coordinates it), a proposal waiting for answers and
    a tandem whose fit check is due."""
    ids = kassel_with_three(engine)
    now = utcnow()
    with db(engine) as session:
        nour = session.scalars(select(Participant).where(Participant.first_name == "Nour")).one()
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        lena, sami = (
            make_participant(session, kassel, role="local", first_name=name, locale="de")
            for name in ("Lena", "Sami")
        )
        hana, omid = (
            make_participant(session, kassel, first_name=name, locale="fa")
            for name in ("Hana", "Omid")
        )
        proposed = Tandem(
            local_id=lena.id, newcomer_id=hana.id, region_id=kassel.id, status="proposed",
            score=0.8, reasons=[{"code": "distance_km", "value": 4}], decided_at=now,
        )  # fmt: skip
        started = now - timedelta(days=29)
        running = Tandem(
            local_id=sami.id, newcomer_id=omid.id, region_id=kassel.id, status="active",
            started_at=started, decided_at=started - timedelta(days=8),
        )  # fmt: skip
        session.add_all([proposed, running])
        session.flush()
        proposals.propose(session, proposed, settings=settings, now=now)
        lifecycle.started(session, running, now=started)
        checkins.send_due_checkins(session, settings=settings, now=now)
        # Issue 17: a Stammtisch next week, Omid has its place, Nour waits, a walk-in came.
        stammtisch = make_occasion(session, kassel, starts_at=now + timedelta(days=7),
                                   capacity=1, languages=["de", "fa"])  # fmt: skip
        day = berlin(stammtisch.starts_at).date()
        for person in (omid, nour):
            signups.sign_up(session, stammtisch, day, person, now=now)
        session.add(WalkIn(occasion_id=stammtisch.id, occurs_on=day, name="Herr Schmidt"))
        ids.update(
            nour_id=str(nour.id), omid_id=str(omid.id), nour=nour.public_id,
            tandem=running.public_id,
            event_date=f"/coordinator/events/{stammtisch.id}/dates/{day.isoformat()}",
        )  # fmt: skip
    ids["answer"] = _link(engine, "proposal", r"/answer/([A-Za-z0-9_-]+)")[0]
    ids["checkin"] = _link(engine, "checkin", r"/check-in/([A-Za-z0-9_-]+)")[0]
    return ids


def public_pages(client, ids: dict[str, str], locale: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """name → HTML of every page a participant or a visitor can see, in ``locale``."""
    q = f"?lang={locale}"
    pages = {}
    for path, name in (
        ("/", "landing"),
        ("/signup", "signup-start"),
        ("/signup/local", "signup-local"),
        ("/signup/newcomer", "signup-newcomer"),
        ("/signup/sent", "signup-sent"),
        ("/privacy", "privacy"),
        ("/verify/not-a-real-token", "verify"),
        ("/me/new-link", "new-link"),
        ("/me/open/not-a-real-token", "open-profile"),
        ("/login", "login"),
        (f"/answer/{ids['answer']}", "proposal-answer"),
        ("/answer/not-a-real-token", "proposal-problem"),
        (f"/check-in/{ids['checkin']}", "checkin"),
        ("/check-in/not-a-real-token", "checkin-problem"),
        ("/check-in/thanks", "checkin-thanks"),
        ("/me/erased", "erased"),
        ("/no-such-page", "not-found"),
    ):
        pages[name] = client.get(path + q).text
    client.cookies.set("tandem_lang", locale)
    for role in ("local", "newcomer"):
        token = csrf_token(client, f"/signup/{role}{q}")
        pages[f"signup-{role}-errors"] = client.post(
            f"/signup/{role}", data={"_csrf_token": token, "place": "Atlantis"}
        ).text
    token = csrf_token(client, f"/me/new-link{q}")
    pages["new-link-sent"] = client.post(
        "/me/new-link", data={"_csrf_token": token, "email": "nobody@example.org"}
    ).text
    token = csrf_token(client, f"/me/open/not-a-real-token{q}")
    pages["link-problem"] = client.post(
        "/me/open/not-a-real-token", data={"_csrf_token": token}
    ).text
    token = csrf_token(client, f"/login{q}")
    pages["login-failed"] = client.post(
        "/login", data={"_csrf_token": token, "email": "x@example.org", "password": "wrong"}
    ).text
    token = csrf_token(client, f"/check-in/{ids['checkin']}{q}")
    pages["checkin-errors"] = client.post(
        f"/check-in/{ids['checkin']}", data={"_csrf_token": token}
    ).text
    return pages


def participant_pages(client, engine, ids: dict[str, str], locale: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    open_profile(client, engine, int(ids["nour_id"]))
    q = f"?lang={locale}"
    pages = {"me": client.get("/me" + q).text, "me-edit": client.get("/me/edit" + q).text}
    token = csrf_token(client, "/me/edit" + q)
    pages["me-edit-errors"] = client.post(
        "/me/edit", data={"_csrf_token": token, "place": "Atlantis", "birth_year": "20"}
    ).text
    client.cookies.clear()
    # Omid is in a running tandem: his profile shows it, and the tandem has its own page.
    open_profile(client, engine, int(ids["omid_id"]))
    pages["me-in-tandem"] = client.get("/me" + q).text
    pages["my-tandem"] = client.get(f"/me/tandem/{ids['tandem']}{q}").text
    client.cookies.clear()
    return pages


def coordinator_pages(client, ids: dict[str, str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert login(client, "alice@example.org").status_code == 303
    return {
        name: client.get(path).text
        for name, path in (
            ("dashboard", "/coordinator/"),
            ("participants", "/coordinator/participants"),
            ("participant", f"/coordinator/participants/{ids['nour']}"),
            ("suggestions", "/coordinator/regions/kassel/suggestions"),
            ("tandem", f"/coordinator/tandems/{ids['tandem']}"),
            ("events", "/coordinator/events"),
            ("event-date", f"{ids['event_date']}?q=omid"),
            ("event-door", f"{ids['event_date']}/door"),
        )
    }


def test_every_page_is_valid_html(client, engine, settings, tmp_path):  # type: ignore[no-untyped-def]
    vnu = vnu_command()
    ids = build_world(engine, settings)
    pages: dict[str, str] = {}
    for locale in LOCALES:
        client.cookies.clear()
        for name, text in public_pages(client, ids, locale).items():
            pages[f"{locale}-{name}"] = text
        for name, text in participant_pages(client, engine, ids, locale).items():
            pages[f"{locale}-{name}"] = text
    for name, text in coordinator_pages(client, ids).items():
        pages[f"coordinator-{name}"] = text
    for name, text in pages.items():
        page = BeautifulSoup(text, "html.parser")
        assert page.find("html") and page.find("main"), f"{name} is not a Tandem page"
        (tmp_path / f"{name}.html").write_text(text, encoding="utf-8")
    (tmp_path / "broken.html").write_text(BROKEN_PAGE, encoding="utf-8")

    found = run_vnu(vnu, tmp_path)

    assert found.pop("broken.html"), "vnu did not find the fault it must find"
    errors = {name: messages for name, messages in found.items() if messages}
    report = "\n".join(
        f"{name}: {m}" for name, messages in sorted(errors.items()) for m in messages
    )
    assert not errors, f"{sum(map(len, errors.values()))} vnu errors\n{report}"
    assert len(found) == len(pages)
