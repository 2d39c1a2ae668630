"""Events near a person on their profile page, in their language, while they wait.

Zahra (newcomer, Persian) waits in Kassel; events there and in Göttingen exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import Session

from tests.builders import csrf_token, db, html, make_participant, make_region
from web.core import links
from web.core.models import MeetingPlace, Occasion, Participant, utcnow

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def open_profile(client, engine, person_id: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        person = session.get(Participant, person_id)
        raw = links.issue(session, person, "profile", now=utcnow(), lifetime=timedelta(days=30))  # type: ignore[arg-type]
    token = csrf_token(client, f"/me/open/{raw}")
    response = client.post(f"/me/open/{raw}", data={"_csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/me"


def add_event(session, region, title: str, *, days: int, km_north: float = 0.0, **extra) -> int:  # type: ignore[no-untyped-def]
    session.refresh(region)
    town = region.places[0]
    place = MeetingPlace(region_id=region.id, name=f"Ort {title}", kind="cafe", street="Markt 1",
                         town_id=town.id, lat=town.lat + km_north / 111.0, lon=town.lon,
                         slots=["thu_evening"], descriptions={"de": "x"})  # fmt: skip
    session.add(place)
    session.flush()
    start = NOW + timedelta(days=days)
    occasion = Occasion(region_id=region.id, meeting_place_id=place.id,
                        titles={"de": title, "fa": f"{title} (fa)"}, starts_at=start,
                        ends_at=start + timedelta(hours=2), **extra)  # fmt: skip
    session.add(occasion)
    session.flush()
    return occasion.id  # type: ignore[return-value]


@time_machine.travel(NOW, tick=False)
def test_a_waiting_newcomer_sees_events_near_them_in_their_language(client, engine) -> None:
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        zahra = make_participant(session, kassel, first_name="Zahra", locale="fa",
                                 languages={"fa": "native", "de": "A2"})  # fmt: skip
        far = add_event(session, kassel, "Weit", days=3, km_north=20, languages=["fa"])
        near = add_event(session, kassel, "Nah", days=5, km_north=1, languages=["de"])
        foreign = add_event(session, kassel, "Fremd", days=2, km_north=0, languages=["tr"])
        too_far = add_event(session, kassel, "Zu weit", days=2, km_north=45, languages=["fa"])
        other_region = add_event(session, goettingen, "Göttingen", days=2, languages=["fa"])
        for_locals = add_event(session, kassel, "Nur Einheimische", days=2, audience="locals")
        later = add_event(session, kassel, "Später", days=90, languages=["fa"])
        cancelled = add_event(session, kassel, "Abgesagt", days=2, languages=["fa"],
                              cancelled_at=NOW)  # fmt: skip
        zahra_id = zahra.id
    open_profile(client, engine, zahra_id)  # type: ignore[arg-type]
    page = html(client.get("/me?lang=fa"))
    shown = [int(li["data-event"]) for li in page.select("#events-near li[data-event]")]
    # Where Zahra speaks a language first (nearest first), then the rest.
    assert shown == [near, far, foreign]
    hidden = {too_far, other_region, for_locals, later, cancelled}
    assert not hidden & set(shown)
    first = page.select_one(f"#events-near li[data-event='{near}']").get_text(" ", strip=True)
    assert "Nah (fa)" in first and "دسامبر" in first  # her language, a date in Persian
    assert "1 کیلومتر" in first or "1 km" in first
