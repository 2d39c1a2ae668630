"""Issue 15 §3: the partners' e-mails speak to the reader as "you" and name only the
partner, print dates in the reader's language and the programme's time zone, and are
signed by the coordinator with how to reach the programme."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.builders import db, make_coordinator, make_participant, make_region
from web.checkins import checkins
from web.core import mail
from web.core.models import OutboxMessage, Tandem
from web.core.reasons import describe
from web.proposals import proposals

# 23:30 in Kassel on 1 March (22:30 UTC): the answer is due a week later, on 8 March in
# Kassel, still 7 March in UTC.
START = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
REASONS = [
    {"code": "practice_language", "for": "newcomer", "items": ["de"]},
    {"code": "offers_needs", "items": ["paperwork"]},
    {"code": "distance_km", "value": 0.0},
    {"code": "waiting_days", "value": 121},
]
ANSWER = re.compile(r"/answer/([A-Za-z0-9_-]+)")


@pytest.fixture
def tandem_id(engine, settings) -> int:  # type: ignore[no-untyped-def]
    """Sabine (local, German) and Amal (newcomer, Arabic), both in Kassel; Alice Wagner
    confirmed their tandem; the region's contact is set. The proposal went out at START."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_participant(session, kassel)  # (loads the region's place before the edits)
        kassel.name = "Kassel"
        kassel.contact_email = "tandem@kassel.example"
        kassel.contact_phone = "+49561987654"
        kassel.places[0].name = "Kassel"
        session.add_all([kassel, kassel.places[0]])
        session.flush()
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        alice.display_name = "Alice Wagner"
        sabine = make_participant(
            session, kassel, role="local", first_name="Sabine", email="sabine@example.org",
            locale="de", open_tandems=1,
        )  # fmt: skip
        amal = make_participant(
            session, kassel, first_name="Amal", email="amal@example.org", locale="ar",
            open_tandems=1,
        )  # fmt: skip
        tandem = Tandem(local_id=sabine.id, newcomer_id=amal.id, region_id=kassel.id,
                        status="proposed", score=0.8, reasons=REASONS, decided_at=START,
                        decided_by_id=alice.id)  # fmt: skip
        session.add(tandem)
        session.flush()
        proposals.propose(session, tandem, settings=settings, now=START)
        return tandem.id  # type: ignore[return-value]


def body(engine, kind: str, to: str) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.kind == kind, OutboxMessage.to_address == to)
            .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
        ).first()  # type: ignore[return-value]


def reason_lines(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("- ")]


def test_the_proposal_speaks_to_the_reader_and_names_only_the_partner(engine, tandem_id):
    sabine = body(engine, "proposal", "sabine@example.org")
    assert reason_lines(sabine) == [
        "Amal möchte Deutsch üben – und Sie sprechen es",
        "Sie können helfen bei: Formulare und Behördentermine",
        "Beide in Kassel",
    ]
    assert "Sabine spricht" not in sabine and "0.0 km" not in sabine
    amal = reason_lines(body(engine, "proposal", "amal@example.org"))
    assert amal[0] == "تريد ممارسة الألمانية، وSabine يتحدثها"
    assert amal[1].startswith("يمكن لـSabine مساعدتك في:")
    assert amal[2] == "كلاكما في Kassel"
    assert not any("Amal" in line for line in amal)


def test_the_answer_date_is_the_day_in_kassel_in_the_readers_language(engine, tandem_id):
    sabine = body(engine, "proposal", "sabine@example.org")
    assert "bis 8. März 2026 über diesen Link" in sabine
    assert "2026-03-0" not in sabine and "7. März" not in sabine
    amal = body(engine, "proposal", "amal@example.org")
    assert "8 مارس 2026" in amal and "2026-03-0" not in amal


def test_the_proposal_is_signed_by_the_coordinator_with_the_programmes_contact(engine, tandem_id):
    sabine = body(engine, "proposal", "sabine@example.org")
    assert sabine.rstrip().endswith(
        "Viele Grüße\nAlice Wagner\nTandem Kassel\nFragen? So erreichen Sie uns:\n"
        "E-Mail: tandem@kassel.example\nTelefon: 0561 987654"
    )
    amal = body(engine, "proposal", "amal@example.org")
    assert "مع أطيب التحيات\nAlice Wagner\nتاندم Kassel" in amal
    with db(engine) as session:
        html = session.scalars(
            select(OutboxMessage.body_html).where(OutboxMessage.to_address == "amal@example.org")
        ).first()
    assert "data-signature" in html and '<bdi dir="ltr">0561 987654</bdi>' in html


def test_the_started_and_check_in_mails_are_signed_too(engine, settings, tandem_id):
    for to in ("sabine@example.org", "amal@example.org"):
        raw = ANSWER.search(body(engine, "proposal", to)).group(1)  # type: ignore[union-attr]
        with db(engine) as session:
            proposals.answer(session, raw, "accept", now=START + timedelta(hours=1))
    started = body(engine, "tandem_started", "sabine@example.org")
    assert "Alice Wagner\nTandem Kassel" in started
    with db(engine) as session:
        checkins.send_due_checkins(session, settings=settings, now=START + timedelta(days=29))
    checkin = body(engine, "checkin", "sabine@example.org")
    assert "Alice Wagner\nTandem Kassel" in checkin and "Telefon: 0561 987654" in checkin
    # The link's last day, in Kassel's calendar and each reader's language.
    # The link's last moment is 13 April 22:30 UTC: 14 April in Kassel.
    assert "Der Link gilt bis 14. April 2026." in checkin
    arabic = body(engine, "checkin", "amal@example.org")
    assert "14 أبريل 2026" in arabic and "13 " not in arabic


def test_without_a_coordinator_the_regions_contact_person_signs(engine):
    from web.core import signature

    with db(engine) as session:
        region = make_region(session, "kassel")
        region.contact_name = "Büro Tandem"
        session.add(region)
        session.flush()
        context = signature.of(session, region_id=region.id)
    text = mail.render(
        "tandem_ended", "de",
        {"first_name": "Sabine", "partner_name": "Amal", "recipient_role": "local",
         "profile_link": "https://tandem.example/me/new-link", **context},
    ).text  # fmt: skip
    assert "Viele Grüße\nBüro Tandem\nTandem Region kassel" in text
    assert "Fragen?" not in text  # no address or phone set: no empty lines for them


def test_a_coordinators_card_still_names_both_and_says_both_in_the_town():
    reasons = describe(REASONS, locale="de", local_name="Sabine", newcomer_name="Amal",
                       local_town="Kassel", newcomer_town="Kassel")  # fmt: skip
    assert reasons[0] == "Amal möchte Deutsch üben – Sabine spricht das"
    assert reasons[2] == "Beide in Kassel"
    other_towns = describe(REASONS[2:3], locale="de", local_name="S", newcomer_name="A",
                           local_town="Kassel", newcomer_town="Vellmar")  # fmt: skip
    assert other_towns == ["Beide wohnen am selben Ort"]
