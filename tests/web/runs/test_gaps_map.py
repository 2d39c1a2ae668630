"""Recruiting gaps as a picture: the region's map (server-side SVG) with each town's waiting
newcomers and free local places, and the gaps grouped by language and place (issue 15 §6)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.builders import csrf_token, db, html, login
from tests.worlds import waiting_for_relaxations

SVG = "{http://www.w3.org/2000/svg}"


def gaps_page(client, engine, language="de"):  # type: ignore[no-untyped-def]
    """Kassel after a run: Amal and Sami wait in the town (Arabic), Karim in Hofgeismar and
    Pari in Hannover (Farsi); Lena and Jonas have two places left in the town."""
    with db(engine) as session:
        waiting_for_relaxations(session)
    login(client, "alice@example.org")
    token = csrf_token(client, "/coordinator/regions")
    client.post("/coordinator/regions/kassel/match", data={"_csrf_token": token})
    return client.get("/coordinator/regions/kassel/gaps", headers={"accept-language": language})


def the_map(response):  # type: ignore[no-untyped-def]
    found = re.search(r"<svg\b.*?</svg>", response.text, flags=re.DOTALL)
    assert found is not None
    return ET.fromstring(found.group(0))  # noqa: S314 (our own page) well-formed XML, or raises


def test_the_map_is_valid_svg_with_one_marker_per_town_and_its_counts(client, engine):
    svg = the_map(gaps_page(client, engine))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    labelled_by = svg.get("aria-labelledby", "").split()
    assert [svg.find(f"{SVG}title").get("id"), svg.find(f"{SVG}desc").get("id")] == labelled_by
    assert svg.find(f"{SVG}title").text.startswith("Karte von Region kassel: wartende")
    towns = {g.get("data-town"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "town"}
    counts = {
        name: (int(g.get("data-waiting")), int(g.get("data-free"))) for name, g in towns.items()
    }
    assert counts == {"kassel-town": (2, 2), "Hofgeismar": (1, 0), "Hannover": (1, 0)}
    title = towns["kassel-town"].find(f"{SVG}title").text
    assert title == "kassel-town: 2 wartende Neuzugewanderte, 2 freie Plätze"
    label = towns["kassel-town"].find(f"{SVG}text")
    assert label is not None and label.text == "kassel-town 2 · 2"
    # Hannover lies north of Hofgeismar, which lies north of the town: north is up.
    y = {name: float(g.find(f"{SVG}circle").get("cy")) for name, g in towns.items()}
    assert y["Hannover"] < y["Hofgeismar"] < y["kassel-town"]
    width, height = (float(v) for v in svg.get("viewBox").split()[2:])
    for g in towns.values():
        for circle in g.iter(f"{SVG}circle"):
            assert 0 <= float(circle.get("cx")) <= width and 0 <= float(circle.get("cy")) <= height


def test_nothing_on_the_page_comes_from_another_host(client, engine):
    response = gaps_page(client, engine)
    svg = the_map(response)
    for element in svg.iter():
        for name, value in element.attrib.items():
            assert "href" not in name and "url(" not in value and "//" not in value, name
    page = html(response)
    for tag in page.select("[src], link[href]"):
        address = tag.get("src") or tag.get("href")
        assert address.startswith("/"), address
    assert "http" not in re.sub(
        r'xmlns="http://www\.w3\.org/2000/svg"', "", response.text.split("<main")[1]
    )


def test_the_gaps_are_grouped_by_language_and_place_in_german(client, engine):
    page = html(gaps_page(client, engine))
    assert page.find("html")["lang"] == "de"
    rows = {
        row["data-language"]: [" ".join(c.text.split()) for c in row.find_all(["th", "td"])]
        for row in page.select("#gaps-by-language tr[data-language]")
    }
    assert rows == {
        "ar": ["Arabisch", "2", "kassel-town (2)"],
        "fa": ["Persisch (Farsi/Dari)", "2", "Hannover (1), Hofgeismar (1)"],
    }
    places = [row["data-area"] for row in page.select("#gaps-by-place tr[data-area]")]
    assert places == ["kassel-town", "Hannover", "Hofgeismar"]
    text = page.select_one("main").get_text(" ")
    assert not re.search(r"(?<![\w-])(ar|fa|de)(?![\w-])", text)  # names, never codes
