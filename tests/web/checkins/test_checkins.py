"""Check-ins: the fit check after four weeks, then every 60 days; answered from a link.

Lena (local, German) and Nour (newcomer, Arabic) have been a tandem in Kassel since
START; Alice coordinates Kassel.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlmodel import Session

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_region,
)
from tests.builders import tandem as run_cli
from tests.worlds import START, Tandem3, running_tandem
from web.checkins import checkins
from web.core import links as e_mail_links
from web.core.models import (
    AccessToken,
    AuditLog,
    CheckIn,
    OutboxMessage,
    Participant,
    Tandem,
    utcnow,
)
from web.tandems import lifecycle, overview

FIT_CHECK = START + timedelta(days=28)
LINK = re.compile(r"/check-in/([A-Za-z0-9_-]+)")
NOTE_CANARY = "Unsere Treffen sind schwierig geworden"


@pytest.fixture
def world(engine) -> Tandem3:  # type: ignore[no-untyped-def]
    return running_tandem(engine)


def send(engine, settings, now: datetime) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return checkins.send_due_checkins(session, settings=settings, now=now)


def mails(engine) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "checkin")
                .order_by(OutboxMessage.id)
            ).all()
        )


def links(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The newest check-in link of each person, by e-mail address."""
    found = {}
    for message in mails(engine):
        match = LINK.search(message.body_text)
        assert match, message.body_text
        found[message.to_address] = match.group(1)
    return found


def rows(engine, world: Tandem3) -> list[CheckIn]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(
            session.scalars(
                select(CheckIn).where(CheckIn.tandem_id == world.tandem_id).order_by(CheckIn.id)  # type: ignore[arg-type]
            ).all()
        )


def tandem_of(engine, world: Tandem3) -> Tandem:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.get(Tandem, world.tandem_id)  # type: ignore[return-value]


def post_answers(client, token: str, **answers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/check-in/{token}",
        data={**answers, "_csrf_token": csrf_token(client, f"/check-in/{token}")},
        follow_redirects=False,
    )


@pytest.fixture
def fit_check_sent(engine, settings, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert send(engine, settings, FIT_CHECK) == 2
    return links(engine)


# --- scheduling -------------------------------------------------------------------------------


def test_it_sends_nothing_before_day_28(engine, settings, world):
    assert send(engine, settings, START) == 0
    assert send(engine, settings, FIT_CHECK - timedelta(minutes=1)) == 0
    assert mails(engine) == [] and rows(engine, world) == []


def test_the_fit_check_goes_to_both_partners_in_their_own_language(engine, settings, world):
    assert send(engine, settings, FIT_CHECK) == 2
    sent = {message.to_address: message for message in mails(engine)}
    assert set(sent) == {"lena@kassel.example", "nour@kassel.example"}
    assert (sent["lena@kassel.example"].locale, sent["nour@kassel.example"].locale) == ("de", "ar")
    assert sent["lena@kassel.example"].body_text.startswith("Hallo Lena")
    assert "Nour" in sent["lena@kassel.example"].subject
    assert "Lena" in sent["nour@kassel.example"].subject
    for message in sent.values():
        assert f"{settings.base_url}/check-in/" in message.body_text
        assert LINK.search(message.body_html or "")
    assert 'dir="rtl"' in (sent["nour@kassel.example"].body_html or "")
    checks = rows(engine, world)
    assert {(c.role, c.kind, c.sent_at, c.answered_at) for c in checks} == {
        ("local", "fit_check", FIT_CHECK, None),
        ("newcomer", "fit_check", FIT_CHECK, None),
    }
    assert tandem_of(engine, world).next_checkin_at == FIT_CHECK + timedelta(days=60)
    with db(engine) as session:
        issued = session.scalars(select(AccessToken).where(AccessToken.purpose == "checkin")).all()
        assert {t.participant_id for t in issued} == {world.local_id, world.newcomer_id}
        assert {t.tandem_id for t in issued} == {world.tandem_id}
        assert {t.expires_at for t in issued} == {FIT_CHECK + timedelta(days=14)}
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "checkin.sent")).all()
        assert [(a.subject_type, a.subject_id) for a in audit] == [("tandem", str(world.tandem_id))]


def test_the_next_check_in_comes_60_days_later(engine, settings, world):
    assert send(engine, settings, FIT_CHECK) == 2
    assert send(engine, settings, FIT_CHECK + timedelta(days=59, hours=23)) == 0
    assert send(engine, settings, FIT_CHECK + timedelta(days=60)) == 2
    kinds = [(c.role, c.kind) for c in rows(engine, world)]
    assert kinds[2:] == [("local", "regular"), ("newcomer", "regular")]
    assert len(mails(engine)) == 4
    assert tandem_of(engine, world).next_checkin_at == FIT_CHECK + timedelta(days=120)


def test_running_twice_at_the_same_time_sends_once(engine, settings, world):
    with db(engine) as first, db(engine) as second:
        assert checkins.send_due_checkins(first, settings=settings, now=FIT_CHECK) == 2
        first.commit()
        assert checkins.send_due_checkins(second, settings=settings, now=FIT_CHECK) == 0
    assert send(engine, settings, FIT_CHECK) == 0
    assert len(mails(engine)) == 2 and len(rows(engine, world)) == 2


@pytest.mark.parametrize("status", ["paused", "ended", "proposed"])
def test_a_tandem_that_is_not_active_gets_none(engine, settings, status):
    world = running_tandem(engine, status=status)
    assert send(engine, settings, FIT_CHECK + timedelta(days=100)) == 0
    assert mails(engine) == [] and rows(engine, world) == []


def test_a_paused_tandem_is_asked_again_after_it_resumes(engine, settings, world):
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        lifecycle.pause(session, tandem, actor=None, now=START + timedelta(days=10))  # type: ignore[arg-type]
    assert send(engine, settings, FIT_CHECK) == 0
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        lifecycle.resume(session, tandem, actor=None, now=FIT_CHECK + timedelta(days=3))  # type: ignore[arg-type]
    assert send(engine, settings, FIT_CHECK + timedelta(days=3)) == 2
    assert {c.kind for c in rows(engine, world)} == {"fit_check"}


def test_without_a_schedule_the_first_check_in_is_four_weeks_after_the_start(engine, settings):
    world = running_tandem(engine, scheduled=False)
    assert tandem_of(engine, world).next_checkin_at is None
    assert send(engine, settings, FIT_CHECK - timedelta(seconds=1)) == 0
    assert send(engine, settings, FIT_CHECK) == 2
    assert tandem_of(engine, world).next_checkin_at == FIT_CHECK + timedelta(days=60)


def test_the_command_sends_the_due_check_ins_and_prints_counts(engine, database_url):
    world = running_tandem(engine, scheduled=False)
    with db(engine) as session:  # the command runs on the real clock
        tandem = session.get(Tandem, world.tandem_id)
        tandem.started_at = utcnow() - timedelta(days=30)  # type: ignore[union-attr]
    result = run_cli("check-ins", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "check-ins sent 2"
    again = run_cli("check-ins", database_url=database_url)
    assert again.stdout.strip() == "check-ins sent 0"
    assert len(mails(engine)) == 2


# --- the form behind the link -----------------------------------------------------------------


def test_opening_the_link_shows_the_form_and_uses_nothing(engine, client, world, fit_check_sent):
    with time_machine.travel(FIT_CHECK + timedelta(hours=2), tick=False):
        for _ in range(3):  # a mail scanner, a preview, the person
            page = client.get(f"/check-in/{fit_check_sent['nour@kassel.example']}")
    assert page.status_code == 200
    soup = html(page)
    assert soup.html["lang"] == "ar" and soup.html["dir"] == "rtl"
    form = soup.find("form", id="checkin-form")
    assert [r["value"] for r in form.select("input[name=meetings]")] == [
        "weekly", "fortnightly", "monthly", "rarely",
    ]  # fmt: skip
    faces = form.select("label.face")
    assert [label.find("input")["value"] for label in faces] == ["1", "2", "3", "4", "5"]
    for label in faces:  # a face for the eyes, words for a screen reader
        assert label.find(class_="face-emoji")["aria-hidden"] == "true"
        assert label.find(class_="face-label").get_text(strip=True)
    assert form.find("textarea", attrs={"name": "note"})["maxlength"] == "1000"
    assert "Lena" in soup.get_text()
    with db(engine) as session:
        assert all(t.used_at is None for t in session.scalars(select(AccessToken)).all())
    assert all(c.answered_at is None for c in rows(engine, world))


def test_a_valid_answer_is_stored_and_thanked_for(engine, client, world, fit_check_sent):
    token = fit_check_sent["lena@kassel.example"]
    when = FIT_CHECK + timedelta(days=1)
    with time_machine.travel(when, tick=False):
        response = post_answers(client, token, meetings="weekly", mood="4", note="  ")
        assert response.status_code == 303
        assert response.headers["location"] == "/check-in/thanks?lang=de"
        thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200 and html(thanks).html["lang"] == "de"
    lena_check, nour_check = rows(engine, world)
    assert (lena_check.role, lena_check.answered_at) == ("local", when)
    assert (lena_check.meetings, lena_check.mood, lena_check.note) == ("weekly", 4, None)
    assert lena_check.needs_attention is False
    assert nour_check.answered_at is None  # her own link, her own answer
    assert tandem_of(engine, world).fit_checked_at is None  # one answer is not the fit check
    with db(engine) as session:
        token_row = session.scalars(
            select(AccessToken).where(AccessToken.token_hash == e_mail_links.hash_token(token))
        ).one()
        assert token_row.used_at == when
        actions = set(session.scalars(select(AuditLog.action)).all())
        assert "checkin.answered" in actions and "tandem.fit_checked" not in actions


def test_the_second_partners_fit_check_answer_is_stored_too(engine, client, world, fit_check_sent):
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        post_answers(client, fit_check_sent["lena@kassel.example"], meetings="weekly", mood="5")
    with time_machine.travel(FIT_CHECK + timedelta(days=2), tick=False):
        response = post_answers(
            client, fit_check_sent["nour@kassel.example"], meetings="fortnightly", mood="3"
        )
        assert response.headers["location"] == "/check-in/thanks?lang=ar"
        thanks = client.get(response.headers["location"])
    assert html(thanks).html["dir"] == "rtl"
    assert [(c.meetings, c.mood) for c in rows(engine, world)] == [
        ("weekly", 5),
        ("fortnightly", 3),
    ]
    assert tandem_of(engine, world).fit_checked_at == FIT_CHECK + timedelta(days=2)  # both now


def test_the_tandem_page_says_done_only_after_both_answered(engine, client, world, fit_check_sent):
    _coordinators(engine)
    public_id = tandem_of(engine, world).public_id
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        post_answers(client, fit_check_sent["lena@kassel.example"], meetings="weekly", mood="5")
        login(client, "alice@example.org")
        page = html(client.get(f"/coordinator/tandems/{public_id}?lang=de"))
    fact = page.find(attrs={"data-field": "fit-check"}).get_text(" ", strip=True)
    assert "erledigt" not in fact and "fällig" in page.get_text()


@pytest.mark.parametrize(
    ("meetings", "mood", "note", "attention"),
    [
        ("weekly", "5", "", False),
        ("fortnightly", "3", "", False),
        ("monthly", "4", " \n ", False),  # only blanks: no note
        ("weekly", "2", "", True),
        ("weekly", "1", "", True),
        ("rarely", "5", "", True),
        ("weekly", "5", "Wir kochen zusammen!", False),  # a note alone is no worry
        ("monthly", "3", "Alles gut", False),
    ],
)
def test_worrying_answers_need_attention(  # type: ignore[no-untyped-def]
    engine, client, world, fit_check_sent, meetings, mood, note, attention
):
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        response = post_answers(
            client, fit_check_sent["nour@kassel.example"], meetings=meetings, mood=mood, note=note
        )
    assert response.status_code == 303
    stored = rows(engine, world)[1]
    assert stored.needs_attention is attention
    assert stored.note == (note.strip() or None)


def test_the_note_is_cleaned(engine, client, world, fit_check_sent):
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        post_answers(
            client, fit_check_sent["nour@kassel.example"], meetings="weekly", mood="3",
            note="  first line \r\n\u202esecond\x00 line  ",
        )  # fmt: skip
    assert rows(engine, world)[1].note == "first line\nsecond line"


def test_missing_answers_are_a_400_that_keeps_the_input(engine, client, world, fit_check_sent):
    token = fit_check_sent["nour@kassel.example"]
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        response = post_answers(client, token, meetings="daily", mood="", note="Hallo")
    assert response.status_code == 400
    soup = html(response)
    assert soup.html["dir"] == "rtl"
    assert soup.find(id="f-meetings-error") and soup.find(id="f-mood-error")
    assert soup.find(id="f-note-error") is None
    assert soup.find("textarea", attrs={"name": "note"}).get_text() == "Hallo"
    assert soup.select("input[name=meetings][checked]") == []
    assert all(c.answered_at is None for c in rows(engine, world))


def test_a_too_long_note_is_a_400_that_keeps_the_choices(engine, client, world, fit_check_sent):
    token = fit_check_sent["lena@kassel.example"]
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        response = post_answers(client, token, meetings="monthly", mood="2", note="x" * 1001)
    assert response.status_code == 400
    soup = html(response)
    assert soup.find(id="f-note-error")
    assert soup.find(id="f-meetings-error") is None and soup.find(id="f-mood-error") is None
    assert [i["value"] for i in soup.select("input[name=meetings][checked]")] == ["monthly"]
    assert [i["value"] for i in soup.select("input[name=mood][checked]")] == ["2"]
    assert len(soup.find("textarea", attrs={"name": "note"}).get_text()) == 1001
    assert all(c.answered_at is None for c in rows(engine, world))
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):  # the link still works
        assert (
            post_answers(client, token, meetings="monthly", mood="2", note="x" * 1000).status_code
            == 303
        )
    assert rows(engine, world)[0].note == "x" * 1000


def test_switching_the_language_keeps_the_answers_and_stores_nothing(
    engine, client, world, fit_check_sent
):
    token = fit_check_sent["nour@kassel.example"]
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        page = client.get(f"/check-in/{token}")
        switch = html(page).select("button[name=_switch_lang]")
        assert {b["value"] for b in switch} >= {"en", "ar", "de"}
        response = post_answers(client, token, meetings="rarely", note="Hallo", _switch_lang="en")
    assert response.status_code == 200
    soup = html(response)
    assert soup.html["lang"] == "en" and soup.find(id="f-mood-error") is None
    assert [i["value"] for i in soup.select("input[name=meetings][checked]")] == ["rarely"]
    assert soup.find("textarea", attrs={"name": "note"}).get_text() == "Hallo"
    assert all(c.answered_at is None for c in rows(engine, world))


def test_a_link_answers_once(engine, client, world, fit_check_sent):
    token = fit_check_sent["lena@kassel.example"]
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        assert post_answers(client, token, meetings="weekly", mood="5").status_code == 303
        again = client.post(
            f"/check-in/{token}",
            data={
                "meetings": "rarely",
                "mood": "1",
                "_csrf_token": client.cookies.get("tandem_csrf"),
            },
            follow_redirects=False,
        )
        page = client.get(f"/check-in/{token}")
    assert again.status_code == 400 and page.status_code == 400
    assert html(page).find(attrs={"data-problem": True})["data-problem"] == "used"
    assert html(page).html["lang"] == "de"
    assert (rows(engine, world)[0].meetings, rows(engine, world)[0].mood) == ("weekly", 5)


def test_an_expired_link_is_a_clear_400(engine, client, world, fit_check_sent):
    token = fit_check_sent["nour@kassel.example"]
    with time_machine.travel(FIT_CHECK + timedelta(days=14, minutes=1), tick=False):
        page = client.get(f"/check-in/{token}")
        response = client.post(
            f"/check-in/{token}",
            data={
                "meetings": "weekly",
                "mood": "3",
                "_csrf_token": client.cookies.get("tandem_csrf"),
            },
            follow_redirects=False,
        )
    assert page.status_code == 400 and response.status_code == 400
    soup = html(page)
    assert soup.find(attrs={"data-problem": True})["data-problem"] == "expired"
    assert soup.html["dir"] == "rtl"  # still in Nour's language
    assert rows(engine, world)[1].answered_at is None


def test_other_links_are_no_check_in_links(engine, client, world, fit_check_sent):
    with db(engine) as session:
        lena = session.get(Participant, world.local_id)
        profile = e_mail_links.issue(
            session, lena, "profile", now=utcnow(), lifetime=timedelta(days=1)
        )  # type: ignore[arg-type]
    for token in ("not-a-real-token", profile, "x" * 200):
        page = client.get(f"/check-in/{token}")
        assert page.status_code == 400
        assert html(page).find(attrs={"data-problem": True})["data-problem"] == "invalid"
    # ... and a check-in link opens no profile.
    lena_token = fit_check_sent["lena@kassel.example"]
    response = client.post(
        f"/me/open/{lena_token}", data={"_csrf_token": csrf_token(client, f"/me/open/{lena_token}")}
    )
    assert response.status_code == 400


# --- for coordinators only --------------------------------------------------------------------


def test_the_tandem_page_lists_a_tandems_check_ins_newest_first(engine, settings, world):
    send(engine, settings, FIT_CHECK)
    send(engine, settings, FIT_CHECK + timedelta(days=60))
    with db(engine) as session:
        listed = overview.checkins_of(session, session.get(Tandem, world.tandem_id))  # type: ignore[arg-type]
        assert [(c.kind, c.sent_at) for c in listed] == [
            ("regular", FIT_CHECK + timedelta(days=60)),
            ("regular", FIT_CHECK + timedelta(days=60)),
            ("fit_check", FIT_CHECK),
            ("fit_check", FIT_CHECK),
        ]


def _open_profile(client, engine, person_id: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        raw = e_mail_links.issue(
            session, session.get(Participant, person_id), "profile",  # type: ignore[arg-type]
            now=utcnow(), lifetime=timedelta(days=30),
        )  # fmt: skip
    response = client.post(
        f"/me/open/{raw}",
        data={"_csrf_token": csrf_token(client, f"/me/open/{raw}")},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_no_participant_page_shows_the_answers(engine, client, settings, world):
    now = utcnow()  # the profile pages run on the real clock
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        tandem.next_checkin_at = now - timedelta(minutes=1)  # type: ignore[union-attr]
    assert send(engine, settings, now) == 2
    sent = links(engine)
    post_answers(client, sent["nour@kassel.example"], meetings="rarely", mood="1", note=NOTE_CANARY)
    post_answers(
        client, sent["lena@kassel.example"], meetings="rarely", mood="2", note="Lena-Notiz"
    )
    assert all(c.answered_at for c in rows(engine, world))
    for person_id in (world.local_id, world.newcomer_id):  # the partner, and Nour herself
        client.cookies.clear()
        _open_profile(client, engine, person_id)
        for path in ("/me", "/me/export"):
            text = client.get(path).text
            assert NOTE_CANARY not in text and "Lena-Notiz" not in text, (person_id, path)
        page = html(client.get("/me")).get_text()
        for word in ("Very bad", "Rarely or not yet", "Sehr schlecht"):
            assert word not in page


def _coordinators(engine) -> None:  # type: ignore[no-untyped-def]
    from web.core.models import Region

    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        goettingen = make_region(session, "goettingen", lat=51.5, lon=9.9)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])


def _logout(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/logout", data={"_csrf_token": client.cookies.get("tandem_csrf")})


def test_the_coordinator_sees_the_answers_and_marks_a_worry_as_seen(
    engine, client, world, fit_check_sent
):
    _coordinators(engine)
    with time_machine.travel(FIT_CHECK + timedelta(days=1), tick=False):
        post_answers(
            client, fit_check_sent["nour@kassel.example"], meetings="rarely", mood="2",
            note=NOTE_CANARY,
        )  # fmt: skip
    flagged = rows(engine, world)[1]
    assert flagged.needs_attention is True
    public_id = tandem_of(engine, world).public_id
    seen = f"/coordinator/check-ins/{flagged.id}/seen"

    anonymous = client.post(
        seen, data={"_csrf_token": client.cookies.get("tandem_csrf")}, follow_redirects=False
    )
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    login(client, "bob@example.org")  # Göttingen: this tandem does not exist for him
    assert client.get(f"/coordinator/tandems/{public_id}").status_code == 404
    response = client.post(
        seen, data={"_csrf_token": client.cookies.get("tandem_csrf")}, follow_redirects=False
    )
    assert response.status_code == 404
    assert rows(engine, world)[1].needs_attention is True
    _logout(client)

    login(client, "alice@example.org")
    page = client.get(f"/coordinator/tandems/{public_id}")
    assert page.status_code == 200 and NOTE_CANARY in page.text
    response = client.post(
        seen, data={"_csrf_token": client.cookies.get("tandem_csrf")}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/coordinator/tandems/{public_id}#checkins"
    again = client.post(
        seen, data={"_csrf_token": client.cookies.get("tandem_csrf")}, follow_redirects=False
    )
    assert again.status_code == 303  # a second click does no harm
    stored = rows(engine, world)[1]
    assert stored.needs_attention is False and stored.note == NOTE_CANARY  # the answer stays
    with db(engine) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "checkin.seen")).all()
        assert [(a.actor_type, a.subject_id) for a in audit] == [("coordinator", str(stored.id))]
    assert (
        client.post(
            "/coordinator/check-ins/999999/seen",
            data={"_csrf_token": client.cookies.get("tandem_csrf")},
        ).status_code
        == 404
    )


def test_the_worrying_rule_is_shown_where_answers_are_flagged(engine, client, world):
    _coordinators(engine)
    login(client, "alice@example.org")
    public_id = tandem_of(engine, world).public_id
    tandem_page = html(client.get(f"/coordinator/tandems/{public_id}?lang=de"))
    with db(engine) as session:
        session.add(
            CheckIn(
                tandem_id=world.tandem_id, role="newcomer", kind="regular", sent_at=START,
                answered_at=START, meetings="rarely", mood=3, needs_attention=True,
            )
        )  # fmt: skip
    dashboard = html(client.get("/coordinator/?lang=de"))
    for page in (tandem_page, dashboard):
        rule = page.find(attrs={"data-rule": True}).get_text(" ", strip=True)
        assert "„Schlecht“" in rule or "Schlecht" in rule, rule
        assert "Selten" in rule, rule


def test_an_ended_tandem_has_no_fit_check_due(engine, client, world):
    _coordinators(engine)
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        lifecycle.end(
            session, tandem, reason="no_time", by="coordinator", actor=None,
            now=START + timedelta(days=3),
        )  # fmt: skip
    with time_machine.travel(FIT_CHECK + timedelta(days=5), tick=False):
        login(client, "alice@example.org")
        public_id = tandem_of(engine, world).public_id
        detail = html(client.get(f"/coordinator/tandems/{public_id}?lang=de"))
        listing = html(client.get("/coordinator/tandems?status=ended&lang=de"))
        dashboard = html(client.get("/coordinator/?lang=de"))
    assert detail.find(attrs={"data-field": "fit-check"}) is None
    row = listing.find("tr", attrs={"data-tandem": public_id})
    assert row is not None and row.find_all("td")[5].get_text(strip=True) == ""
    assert dashboard.find(attrs={"data-tile": "fit_checks"}).find(attrs={"data-count": "0"})
    assert dashboard.find("section", attrs={"data-section": "fit_checks"}) is None
