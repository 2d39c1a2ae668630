"""The German gazetteer is read from GeoNames once and kept as a small extract, which later
processes read instead of GeoNames' 80 MB world file."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.core import places

KASSEL = places.GazetteerPlace(2892518, "Kassel", 51.31667, 9.5, 194_501, ("Кассель", "كاسل"))
KASEL = places.GazetteerPlace(2892500, "Kasel", 49.76, 6.73, 1_100)


@pytest.fixture
def extract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache" / "gazetteer.json"
    monkeypatch.setattr(places, "EXTRACT", path)
    places.gazetteer.cache_clear()
    yield path
    places.gazetteer.cache_clear()


def test_the_extract_holds_exactly_what_geonames_gives(extract, monkeypatch):
    from_geonames = places.gazetteer()
    assert extract.is_file()
    assert 10_000 < len(from_geonames) < 20_000  # Germany's places of 500+ inhabitants
    kassel = places.find_place("Kassel")
    assert kassel.population > 150_000 and "Кассель" in kassel.alternate_names

    def no_geonames() -> list[places.GazetteerPlace]:
        raise AssertionError("GeoNames read again although the extract is there")

    monkeypatch.setattr(places, "_read_geonames", no_geonames)
    places.gazetteer.cache_clear()
    assert places.gazetteer() == from_geonames


def test_a_damaged_extract_is_read_from_geonames_again_and_replaced(extract, monkeypatch):
    monkeypatch.setattr(places, "_read_geonames", lambda: [KASEL, KASSEL])
    extract.parent.mkdir(parents=True)
    extract.write_text('[[1, "Nowhere"', encoding="utf-8")
    assert places.gazetteer() == (KASSEL, KASEL)  # largest first
    assert places._read_extract(extract) == [KASSEL, KASEL]


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setattr(places, "EXTRACT", blocked / "cache" / "gazetteer.json")  # no folder
    monkeypatch.setattr(places, "_read_geonames", lambda: [KASSEL])
    places.gazetteer.cache_clear()
    try:
        assert places.find_place("kassel") == KASSEL
    finally:
        places.gazetteer.cache_clear()
