"""Events in the e-mails people get while they wait (issue 17 §3 "While you wait"): the
retention warning and the "someone signed up again with your address" e-mail suggest up to
three events near the person, ranked as on their profile page (shared language, distance).

Nour (newcomer, Arabic) waits in Kassel, where four events take place in December.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from tests.builders import db, make_occasion_near, make_participant, make_region, submit
from web.core.models import OutboxMessage, Participant
from web.ops import retention

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def kassel_with_four_events(engine, **nour: object) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        for title, km, languages in (
            ("Kochabend", 8, ["ar"]),
            ("Sprachcafé", 1, ["de"]),
            ("Spieleabend", 4, ["de"]),
            ("Erzählcafé", 2, ["ar", "de"]),
        ):
            make_occasion_near(session, kassel, title, starts=NOW + timedelta(days=5), km_north=km,
                          languages=languages)  # fmt: skip
        person = make_participant(session, kassel, first_name="Nour", email="nour@example.org",
                                  languages={"ar": "native"}, **nour)  # fmt: skip
        return person.id  # type: ignore[return-value]


def last_mail(engine, kind: str) -> OutboxMessage:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).all()[-1]


def shown(text: str) -> list[str]:
    titles = ("Kochabend", "Sprachcafé", "Spieleabend", "Erzählcafé")
    return sorted((title for title in titles if title in text), key=text.index)


@time_machine.travel(NOW, tick=False)
def test_the_retention_warning_suggests_three_events_ranked_as_on_the_profile(
    engine, settings
) -> None:
    nour_id = kassel_with_four_events(engine)
    with db(engine) as session:
        nour = session.get(Participant, nour_id)
        assert nour is not None
        retention.send_warning(session, nour, settings=settings, now=NOW)
    warning = last_mail(engine, "retention_warning")
    # Arabic spoken there first (nearest first), then the nearest of the rest; not the fourth.
    assert shown(warning.body_text) == ["Erzählcafé", "Kochabend", "Sprachcafé"]
    assert shown(warning.body_html or "") == ["Erzählcafé", "Kochabend", "Sprachcafé"]
    assert "/me/open/" in warning.body_text  # where they sign up


@time_machine.travel(NOW, tick=False)
def test_signing_up_again_suggests_events_to_a_waiting_person(client, engine) -> None:
    kassel_with_four_events(engine)
    assert submit(client, email="nour@example.org").status_code == 303
    told = last_mail(engine, "signup_again")
    assert shown(told.body_text) == ["Erzählcafé", "Kochabend", "Sprachcafé"]


@time_machine.travel(NOW, tick=False)
def test_a_person_in_a_tandem_is_not_waiting_and_gets_no_suggestions(client, engine) -> None:
    kassel_with_four_events(engine, open_tandems=1)
    assert submit(client, email="nour@example.org").status_code == 303
    told = last_mail(engine, "signup_again")
    assert shown(told.body_text) == []
