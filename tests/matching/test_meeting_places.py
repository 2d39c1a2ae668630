"""The first-meeting suggestion: the rules, and the ranking against a brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.instance import SLOTS
from matching.meeting_places import (
    Partner,
    Place,
    Reason,
    distance_km,
    suggest_meeting_places,
)

KASSEL = (51.3127, 9.4797)
TUE, SAT = "tue_evening", "sat_morning"


def partner(lat: float = KASSEL[0], lon: float = KASSEL[1], slots=(TUE, SAT), **kw) -> Partner:  # type: ignore[no-untyped-def]
    return Partner(lat=lat, lon=lon, slots=frozenset(slots), **kw)


def place(pid: int, lat: float = KASSEL[0], lon: float = KASSEL[1], slots=(TUE,), **kw) -> Place:  # type: ignore[no-untyped-def]
    return Place(id=pid, lat=lat, lon=lon, slots=frozenset(slots), **kw)


def ids(suggestions) -> list[int]:  # type: ignore[no-untyped-def]
    return [s.place_id for s in suggestions]


def test_it_ranks_by_least_total_distance_and_gives_reasons() -> None:
    a, b = partner(51.30, 9.45), partner(51.34, 9.55)
    on_the_way, aside, far = place(1, 51.32, 9.50), place(2, 51.36, 9.50), place(3, 51.60, 9.90)
    found = suggest_meeting_places(a, b, [far, aside, on_the_way])
    assert ids(found) == [1, 2, 3]
    first = found[0]
    assert first.slots == (TUE,)
    assert first.reasons[0] == Reason("open", {"slots": [TUE]})
    assert first.reasons[1].code == "distance"
    km_a, km_b = first.reasons[1].data["km"]  # type: ignore[misc]
    assert km_a == round(distance_km(51.30, 9.45, 51.32, 9.50), 1) and km_b > 0
    assert first.total_km == pytest.approx(sum(first.distances_km))  # type: ignore[arg-type]


def test_it_suggests_at_most_three() -> None:
    places = [place(pid, 51.31 + pid / 100) for pid in range(1, 7)]
    assert ids(suggest_meeting_places(partner(), partner(), places)) == [1, 2, 3]
    assert ids(suggest_meeting_places(partner(), partner(), places, limit=1)) == [1]


def test_a_place_must_be_open_when_both_have_time() -> None:
    a, b = partner(slots=(TUE,)), partner(slots=(SAT,))
    both_times = place(1, slots=(TUE, SAT))
    assert suggest_meeting_places(a, b, [both_times]) == []  # the partners share no slot
    a, b = partner(slots=(TUE, SAT)), partner(slots=(SAT,))
    assert ids(suggest_meeting_places(a, b, [place(1, slots=(TUE,)), place(2, slots=(SAT,))])) == [
        2
    ]


def test_step_free_where_either_partner_needs_it() -> None:
    steps, level = place(1), place(2, 51.5, 9.9, step_free=True)
    assert ids(suggest_meeting_places(partner(), partner(), [steps, level])) == [1, 2]
    needs = partner(needs_step_free=True)
    found = suggest_meeting_places(partner(), needs, [steps, level])
    assert ids(found) == [2]
    assert Reason("step_free") in found[0].reasons


def test_an_online_pair_gets_virtual_places_only() -> None:
    room = Place(id=9, virtual=True, slots=frozenset({TUE, SAT}))
    cafe = place(1)
    found = suggest_meeting_places(partner(), partner(51.9, 10.5), [cafe, room], online=True)
    assert ids(found) == [9]
    assert found[0].distances_km is None and Reason("online") in found[0].reasons
    assert found[0].slots == (TUE, SAT)  # week order
    assert ids(suggest_meeting_places(partner(), partner(), [cafe, room])) == [1]


def test_a_place_without_position_is_never_suggested_in_person() -> None:
    assert suggest_meeting_places(partner(), partner(), [Place(id=1, slots=frozenset({TUE}))]) == []


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        suggest_meeting_places(partner(), partner(), [], limit=-1)


# --- against a brute force ----------------------------------------------------------------------

slot_sets = st.frozensets(st.sampled_from(SLOTS[:6]), max_size=4)
coordinates = st.tuples(st.floats(51.0, 51.7), st.floats(9.2, 10.2))


@st.composite
def partners(draw) -> Partner:  # type: ignore[no-untyped-def]
    lat, lon = draw(coordinates)
    return Partner(lat, lon, draw(slot_sets), draw(st.booleans()))


@st.composite
def place_lists(draw) -> list[Place]:  # type: ignore[no-untyped-def]
    count = draw(st.integers(0, 6))
    places = []
    for pid in range(1, count + 1):
        virtual = draw(st.booleans())
        lat, lon = draw(coordinates)
        # Some places share a position, so that the tie-breaks are exercised.
        if places and draw(st.booleans()):
            lat, lon = places[-1].lat or lat, places[-1].lon or lon
        places.append(Place(id=pid, lat=None if virtual else lat, lon=None if virtual else lon,
                            slots=draw(slot_sets), step_free=draw(st.booleans()),
                            virtual=virtual))  # fmt: skip
    return places


def brute_force(a: Partner, b: Partner, places: list[Place], online: bool, limit: int):  # type: ignore[no-untyped-def]
    """Every ordered choice of qualifying places, the best one by the rules read literally."""
    shared = a.slots & b.slots
    need = a.needs_step_free or b.needs_step_free

    def ok(p: Place) -> bool:
        return p.virtual == online and bool(p.slots & shared) and (p.step_free or not need)

    def key(p: Place) -> tuple[float, float, int, int]:
        if p.virtual:
            ways = (0.0, 0.0)
        else:
            ways = (
                distance_km(a.lat, a.lon, p.lat, p.lon),
                distance_km(b.lat, b.lon, p.lat, p.lon),
            )  # type: ignore[arg-type]
        return (ways[0] + ways[1], max(ways), -len(p.slots & shared), p.id)

    good = [p for p in places if ok(p)]
    size = min(limit, len(good))
    best = min(itertools.permutations(good, size), key=lambda order: [key(p) for p in order])
    return [p.id for p in best]


@settings(max_examples=300, deadline=None)
@given(partners(), partners(), place_lists(), st.booleans(), st.integers(0, 4))
def test_it_ranks_like_a_brute_force(a, b, places, online, limit) -> None:  # type: ignore[no-untyped-def]
    found = suggest_meeting_places(a, b, places, online=online, limit=limit)
    assert ids(found) == brute_force(a, b, places, online, limit)
    by_id = {p.id: p for p in places}
    for suggestion in found:
        chosen = by_id[suggestion.place_id]
        assert set(suggestion.slots) == a.slots & b.slots & chosen.slots
        assert suggestion.slots  # open at a time both have
        assert chosen.step_free or not (a.needs_step_free or b.needs_step_free)
        assert chosen.virtual == online


def test_the_docstring_example_runs() -> None:
    import doctest

    import matching.meeting_places

    assert doctest.testmod(matching.meeting_places).failed == 0
