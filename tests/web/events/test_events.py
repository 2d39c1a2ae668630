"""Events: coordinators add, change and cancel them; each region's public iCalendar feed.

Alice coordinates Kassel, Bob Göttingen. The feed is checked by parsing it back with
``icalendar``, rule by rule (issue 17, §4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from tests.builders import csrf_token, db, html, login, make_coordinator, make_region
from web.core.models import MeetingPlace, Occasion, Region

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
CREATE = "/coordinator/regions/kassel/events"


@pytest.fixture
def places(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        ids = {}
        for region, name in ((kassel, "Stadtteilzentrum Wesertor"), (goettingen, "Bibliothek")):
            session.refresh(region)
            town = region.places[0]
            place = MeetingPlace(region_id=region.id, name=name, kind="community_centre",
                                 street="Weserstraße 26", town_id=town.id, lat=town.lat,
                                 lon=town.lon, slots=["thu_evening"],
                                 descriptions={"de": "Offener Treff"})  # fmt: skip
            session.add(place)
            session.flush()
            ids[region.slug] = place.id
        return ids  # type: ignore[return-value]


def stammtisch(place_id: int, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title_de": "Stammtisch Begegnung",
        "title_fa": "دورهمی ماهانه",
        "description_de": "Jeden ersten Donnerstag: Reden, Spielen, Kennenlernen.",
        "place": str(place_id),
        "day": "2026-12-03",  # the first Thursday of December
        "start": "19:00",
        "end": "21:00",
        "repeat": "monthly",
        "until": "2027-06-30",
        "capacity": "12",
        "audience": "everyone",
        "languages": ["de", "fa", "ar"],
        "public": "yes",
    }
    data.update(overrides)
    return data


def post(client, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/events")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def occasions(engine) -> list[Occasion]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(session.scalars(select(Occasion).order_by(Occasion.id)))


def feed(client, slug: str = "kassel"):  # type: ignore[no-untyped-def]
    return client.get(f"/calendar/{slug}.ics")


@time_machine.travel(NOW, tick=False)
def test_it_adds_a_monthly_stammtisch(client, engine, places) -> None:
    login(client, "alice@example.org")
    response = post(client, CREATE, stammtisch(places["kassel"]))
    assert response.status_code == 303
    assert response.headers["location"] == "/coordinator/events?done=created"
    (event,) = occasions(engine)
    assert event.titles == {"de": "Stammtisch Begegnung", "fa": "دورهمی ماهانه"}
    assert event.starts_at == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    assert event.ends_at - event.starts_at == timedelta(hours=2)
    assert (event.repeat, event.until, event.capacity) == ("monthly", date(2027, 6, 30), 12)
    assert event.title_in("fa_AF") == "دورهمی ماهانه"
    assert event.title_in("uk") == "Stammtisch Begegnung"
    page = html(client.get("/coordinator/events"))
    listed = page.select_one(f"[data-event='{event.id}']")
    assert listed is not None and "Stammtisch Begegnung" in listed.get_text()
    assert "3. Dezember 2026" in listed.get_text()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title_de": ""}, "title_de"),
        ({"title_en": "x" * 121}, "title_en"),
        ({"place": ""}, "place"),
        ({"place": "GOETTINGEN"}, "place"),  # a place of another region
        ({"day": "tomorrow"}, "day"),
        ({"day": "2026-11-05"}, "day"),  # passed
        ({"start": "21:00", "end": "19:00"}, "times"),
        ({"repeat": "weekly", "weekdays": ["mon"]}, "weekdays"),  # 3 December is a Thursday
        ({"until": "2026-11-30"}, "until"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"audience": "vips"}, "audience"),
        ({"description_ar": "y" * 2001}, "description_ar"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_bad_input_is_explained_and_kept(client, engine, places, overrides, field) -> None:  # type: ignore[no-untyped-def]
    login(client, "alice@example.org")
    if overrides.get("place") == "GOETTINGEN":
        overrides = {"place": str(places["goettingen"])}
    response = post(client, CREATE, stammtisch(places["kassel"], **overrides))
    assert response.status_code == 400
    page = html(response)
    error = page.select_one(f"#f-{field}-error")
    assert error is not None and error.get_text(strip=True)
    assert page.select_one("#f-title_fa")["value"] == "دورهمی ماهانه"
    assert occasions(engine) == []


@time_machine.travel(NOW, tick=False)
def test_another_regions_coordinator_gets_404(client, engine, places) -> None:
    login(client, "alice@example.org")
    post(client, CREATE, stammtisch(places["kassel"]))
    (event,) = occasions(engine)
    client.post("/logout", data={"_csrf_token": csrf_token(client, "/coordinator/events")})
    login(client, "bob@example.org")
    assert client.get(f"/coordinator/events/{event.id}").status_code == 404
    for path in (f"/coordinator/events/{event.id}", f"/coordinator/events/{event.id}/cancel",
                 CREATE):  # fmt: skip
        assert post(client, path, stammtisch(places["kassel"], title_de="X")).status_code == 404
    assert [e.titles["de"] for e in occasions(engine)] == ["Stammtisch Begegnung"]
    assert occasions(engine)[0].cancelled_at is None


@time_machine.travel(NOW, tick=False)
def test_the_feed_follows_every_rule_integreat_needs(client, engine, places) -> None:
    login(client, "alice@example.org")
    post(client, CREATE, stammtisch(places["kassel"]))
    post(client, CREATE, stammtisch(places["kassel"], title_de="Sprachcafé", repeat="weekly",
                                    weekdays=["tue", "thu"], until=""))  # fmt: skip
    post(client, CREATE, stammtisch(places["kassel"], title_de="Weststadtfest", repeat="once",
                                    day="2027-06-12", start="14:00", end="18:00"))  # fmt: skip
    post(client, CREATE, stammtisch(places["kassel"], title_de="Intern", public=""))
    post(client, CREATE, stammtisch(places["kassel"], title_de="Abgesagt"))
    stammtisch_id, _, _, _, cancelled_id = (e.id for e in occasions(engine))
    assert post(client, f"/coordinator/events/{cancelled_id}/cancel", {}).status_code == 303
    response = post(client, f"/coordinator/events/{stammtisch_id}/cancel-date",
                    {"date": "2027-01-07"})  # fmt: skip
    assert response.status_code == 303
    assert post(client, f"/coordinator/events/{stammtisch_id}/cancel-date",
                {"date": "2027-01-08"}).status_code == 400  # not one of its dates  # fmt: skip
    with db(engine) as session:
        region = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        region.calendar_tag = "Tandem Landkreis Kassel"
    client.cookies.clear()  # the feed is public

    response = feed(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "no-store" not in response.headers["cache-control"]
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Berlin"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Stammtisch Begegnung", "Sprachcafé", "Weststadtfest"}
    for event in events.values():
        assert str(event["UID"]).endswith("@tandem")
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert event["DTEND"].params["TZID"] == "Europe/Berlin"
        assert event.decoded("DTSTAMP") and event.decoded("LAST-MODIFIED")
        assert "Stadtteilzentrum Wesertor, Weserstraße 26" in str(event["LOCATION"])
        assert event["CATEGORIES"].cats == ["Tandem Landkreis Kassel"]
        assert "Jeden ersten Donnerstag" in str(event["DESCRIPTION"])  # German text
        rule = event.get("RRULE")
        if rule is not None:
            assert rule["FREQ"] in (["WEEKLY"], ["MONTHLY"]) and "WKST" not in rule
    monthly = events["Stammtisch Begegnung"]
    assert monthly.decoded("DTSTART") == datetime(2026, 12, 3, 19, 0, tzinfo=BERLIN)
    assert monthly["RRULE"]["FREQ"] == ["MONTHLY"] and monthly["RRULE"]["BYDAY"] == ["1TH"]
    assert monthly["RRULE"]["UNTIL"][0] == datetime(2027, 6, 30, 21, 59, 59, tzinfo=UTC)
    exdates = [d.dt for d in monthly["EXDATE"].dts]
    assert exdates == [datetime(2027, 1, 7, 19, 0, tzinfo=BERLIN)]
    assert monthly["EXDATE"].params["TZID"] == "Europe/Berlin"
    weekly = events["Sprachcafé"]
    assert weekly["RRULE"]["BYDAY"] == ["TU", "TH"] and "UNTIL" not in weekly["RRULE"]
    assert "RRULE" not in events["Weststadtfest"]
    text = response.text
    assert "alice" not in text.lower() and "FREQ=DAILY" not in text


@time_machine.travel(NOW, tick=False)
def test_the_feed_is_cacheable_and_has_a_stable_uid(client, engine, places) -> None:
    login(client, "alice@example.org")
    post(client, CREATE, stammtisch(places["kassel"]))
    client.cookies.clear()
    first = feed(client)
    tag = first.headers["etag"]
    again = client.get("/calendar/kassel.ics", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert feed(client).content == first.content  # the same body: the same ETag
    uid = str(Calendar.from_ical(first.content).walk("VEVENT")[0]["UID"])
    login(client, "alice@example.org")
    (event,) = occasions(engine)
    post(client, f"/coordinator/events/{event.id}", stammtisch(places["kassel"], start="18:30"))
    client.cookies.clear()
    changed = feed(client)
    assert changed.headers["etag"] != tag
    (vevent,) = Calendar.from_ical(changed.content).walk("VEVENT")
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1
    assert vevent.decoded("DTSTART").hour == 18


def test_an_unknown_region_or_name_is_404(client, places) -> None:
    assert feed(client, "nowhere").status_code == 404
    assert client.get("/calendar/kassel.json").status_code == 404
    assert feed(client, "goettingen").status_code == 200  # a region without events: empty


@time_machine.travel(NOW, tick=False)
def test_the_region_sets_the_feeds_category(client, engine, places) -> None:
    login(client, "alice@example.org")
    post(client, CREATE, stammtisch(places["kassel"]))
    bad = post(client, "/coordinator/regions/kassel/calendar-tag", {"calendar_tag": "a,b"})
    assert bad.status_code == 400
    assert html(bad).select_one("#f-calendar_tag-kassel")["value"] == "a,b"
    assert html(bad).select_one("#f-calendar_tag-kassel-error") is not None
    response = post(client, "/coordinator/regions/kassel/calendar-tag",
                    {"calendar_tag": "Integration Kassel"})  # fmt: skip
    assert response.headers["location"] == "/coordinator/events?done=tag_saved"
    assert post(client, "/coordinator/regions/goettingen/calendar-tag",
                {"calendar_tag": "x"}).status_code == 404  # fmt: skip
    (event,) = Calendar.from_ical(feed(client).content).walk("VEVENT")
    assert event["CATEGORIES"].cats == ["Integration Kassel"]
