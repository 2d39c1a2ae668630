"""No stored code on any coordinator page (issue 15 §3): a seeded world — the demo people,
a matching run, tandems in every state, a worrying check-in, a problem report, consents,
notes, an audit trail with every action the code can write (issue 16: on request, by phone…)
and a contact task of every kind — is crawled from the dashboard in German, as the admin and as the
Kassel coordinator, and no page may show a status, gender, language code, consent purpose,
interest, slot, reason or audit action as it is stored.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import time_machine
from sqlalchemy import select

from tests.builders import db, html
from tests.worlds import every_audit_action
from web.core import vocabulary as v
from web.core.models import (
    AuditLog,
    CheckIn,
    Consent,
    ContactTask,
    Event,
    Note,
    Participant,
    Place,
    ProblemReport,
    Region,
    Tandem,
)
from web.ops.demo import DEMO_PASSWORD, load_demo
from web.runs import whatif
from web.runs.runs import execute_run, start_run

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
MAX_PAGES = 400

# Every stored code a person could be shown. Checked case-sensitively as whole words, so the
# German "Matching" or an English name ("Local") in a word list is no false alarm.
CODES = sorted(
    {
        *v.PARTICIPANT_STATUSES, *v.TANDEM_STATUSES, *v.GENDERS, *v.CONSENT_PURPOSES,
        *v.MEETING_FREQUENCIES, *v.PROBLEM_KINDS, *v.END_REASONS, *v.REJECT_REASONS,
        *v.INTERESTS, *v.HELP_TOPICS, *v.SLOTS, *v.LANGUAGES, *v.ROLES, *v.RUN_STATUSES,
        *v.PAIR_RULE_KINDS, *v.CHECKIN_KINDS, *v.COORDINATOR_ROLES, "native",
        *v.PROPOSAL_CLOSE_REASONS, *v.AGE_GROUPS,
    }
    - {"A1", "A2", "B1", "B2", "C1", "C2"}  # CEFR levels are what people say
    - {"es", "so"}  # German words ("es", "so"), not the codes of Spanish and Somali
)  # fmt: skip
CODE = re.compile(r"(?<![\w@./-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w@-])")
AUDIT_ACTION = re.compile(r"\b[a-z_]+\.[a-z_]+\b")  # tandem.viewed, participant.viewed …
ACTOR_ID = re.compile(r"\b(coordinator|participant) #\d+")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\bUTC\b")  # dates in the reader's format, local time
EMAIL = re.compile(r"\S+@\S+")
URL = re.compile(r"https?://\S+")  # a shown address (the calendar feed) is not a stored code


def seeded_world(engine) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        load_demo(session, today=TODAY, seed=11, locals_count=14, newcomers_count=20)
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        run = start_run(session, kassel, None, now=NOW - timedelta(days=1))
        run_id = run.id
    execute_run(engine, run_id, today=TODAY)  # type: ignore[arg-type]
    whatif.compute(engine, run_id, today=TODAY)  # type: ignore[arg-type]  # its pages as well
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        people = session.scalars(
            select(Participant)
            .join(Place, Participant.place_id == Place.id)
            .where(Place.region_id == kassel.id, Participant.status == "active")
            .order_by(Participant.id)
        ).all()
        locals_ = [p for p in people if p.role == "local"]
        newcomers = [p for p in people if p.role == "newcomer"]
        taken = {
            t.newcomer_id
            for t in session.scalars(select(Tandem).where(Tandem.region_id == kassel.id))
        }
        free = [n for n in newcomers if n.id not in taken]
        states = [
            ("proposed", {"proposed_at": NOW - timedelta(days=3),
                           "answer_due_at": NOW + timedelta(days=4), "local_answer": "accepted",
                           "local_answered_at": NOW - timedelta(days=2)}),
            ("active", {"started_at": NOW - timedelta(days=40),
                        "fit_check_due_at": NOW - timedelta(days=12)}),
            ("paused", {"started_at": NOW - timedelta(days=90),
                        "paused_at": NOW - timedelta(days=5)}),
            ("ended", {"started_at": NOW - timedelta(days=200), "ended_at": NOW - timedelta(days=9),
                       "end_reason": "drifted_apart", "ended_by": "local"}),
            ("rejected", {"reject_reason": "known_issue", "decided_at": NOW - timedelta(days=8)}),
            ("declined", {"proposed_at": NOW - timedelta(days=20), "newcomer_answer": "declined",
                          "newcomer_answered_at": NOW - timedelta(days=18)}),
            ("expired", {"proposed_at": NOW - timedelta(days=25),
                         "answer_due_at": NOW - timedelta(days=11)}),
            # Issue 15 §5: a withdrawn proposal (with its reason).
            ("withdrawn", {"proposed_at": NOW - timedelta(days=6),
                           "withdrawn_at": NOW - timedelta(days=4), "withdraw_reason": "mistake"}),
        ]  # fmt: skip
        tandems = []
        for (status, extra), local, newcomer in zip(states, locals_, free, strict=False):
            tandem = Tandem(
                local_id=local.id, newcomer_id=newcomer.id, region_id=kassel.id,
                status=status, score=0.7, **extra,
            )  # fmt: skip
            session.add(tandem)
            tandems.append(tandem)
        session.flush()
        active = tandems[1]
        session.add(
            CheckIn(
                tandem_id=active.id, role="newcomer", kind="fit_check",
                sent_at=NOW - timedelta(days=12), answered_at=NOW - timedelta(days=11),
                meetings="rarely", mood=2, needs_attention=True, note="Wir finden keinen Termin",
            )
        )  # fmt: skip
        session.add(
            ProblemReport(
                tandem_id=active.id, reporter_role="local", kind="not_ok", note="Bitte anrufen"
            )
        )
        # Issue 15 §5: an urgent report first on the dashboard, a "put them in touch" task.
        session.add(
            ProblemReport(
                tandem_id=active.id, reporter_role="newcomer", kind="unreachable", urgent=True,
                note="Ich fühle mich nicht sicher",
            )
        )  # fmt: skip
        active.put_in_touch_since = NOW - timedelta(days=1)
        for person in people[:6]:
            session.add(
                Consent(participant_id=person.id, purpose="contact_sharing", text_version="v1",
                        language=person.locale)
            )  # fmt: skip
        session.add(Note(participant_id=people[0].id, body="Ruft dienstags zurück"))
        # The funder report's proposal figures (issue 15 §9): every close reason, an age group.
        for reason in v.PROPOSAL_CLOSE_REASONS:
            kind = "declined" if reason.endswith("_declined") else "expired"
            session.add(Event(kind=kind, at=NOW, region_id=kassel.id, reason=reason))
        session.add(
            Event(kind="signed_up", at=NOW, region_id=kassel.id, role="newcomer",
                  age_group="under_18", place_id=people[0].place_id, languages=["ar"])
        )  # fmt: skip
        session.add(
            AuditLog(actor_type="coordinator", actor_id=1, action="tandem.viewed",
                     subject_type="tandem", subject_id=str(active.id))
        )  # fmt: skip
        every_audit_action(session, at=NOW - timedelta(hours=1))
        for kind in v.CONTACT_TASK_KINDS:  # what to tell people without e-mail (issue 16)
            session.add(
                ContactTask(participant_id=people[0].id, kind=kind, tandem_id=active.id,
                            created_at=NOW - timedelta(hours=2))
            )  # fmt: skip


def visible_text(page) -> str:  # type: ignore[no-untyped-def]
    for hidden in page.select("script, style, nav.languages"):
        hidden.decompose()
    texts = [page.body.get_text(" ", strip=True)]
    for element in page.select("[title], [aria-label], [placeholder], [alt]"):
        texts += [element.get(a, "") for a in ("title", "aria-label", "placeholder", "alt")]
    return URL.sub(" ", EMAIL.sub(" ", " ".join(texts)))


def problems_on(text: str) -> list[str]:
    found = [
        f"{m.group(1)} «{text[max(0, m.start() - 30) : m.end() + 30]}»" for m in CODE.finditer(text)
    ]
    found += AUDIT_ACTION.findall(text) + ACTOR_ID.findall(text) + ISO_DAY.findall(text)
    return found


def crawl_as(client, email: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    login_page = html(client.get("/login?lang=de"))
    token = login_page.find("input", attrs={"name": "_csrf_token"})["value"]
    client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": token})
    origin = urlsplit(str(client.base_url)).netloc
    queue, seen, bad = ["/coordinator/?lang=de"], {"/coordinator/?lang=de"}, {}
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code < 400, f"{response.status_code}: {url}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page = html(response)
        switch = page.select_one("nav.languages")
        if switch is not None:
            switch.decompose()  # German throughout: the language was chosen at the login
        for a in page.select("a[href]"):
            target = urljoin(str(response.url), a["href"])
            parts = urlsplit(target)
            if parts.netloc != origin or not parts.path.startswith("/coordinator"):
                continue
            address = parts._replace(fragment="", scheme="", netloc="").geturl()
            if address not in seen and len(seen) < MAX_PAGES:
                seen.add(address)
                queue.append(address)
        found = problems_on(visible_text(page))
        if found:
            bad[url] = sorted(set(found))
    assert len(seen) > 20, sorted(seen)  # the crawl did reach the pages
    return bad


@time_machine.travel(NOW, tick=False)
def test_no_coordinator_page_shows_a_stored_code(client, engine):
    seeded_world(engine)
    bad = {}
    for email in ("admin@tandem.example", "kassel@tandem.example"):
        bad.update(crawl_as(client, email))
    by_code: dict[str, list[str]] = {}
    for url, codes in bad.items():
        for code in codes:
            by_code.setdefault(code, []).append(re.sub(r"[0-9a-f]{32}", "…", url))
    report = "\n".join(f"{code}: {sorted(set(urls))[:4]}" for code, urls in sorted(by_code.items()))
    assert not bad, report
