import pytest
from conftest import make_instance, make_local, make_newcomer

from matching import InputError, parse_instance


def test_it_parses_defaults():
    inst = parse_instance(make_instance())
    assert inst.settings.min_level == "B1"
    assert inst.settings.max_distance_km == 25
    assert inst.settings.objective == "total_score"
    assert inst.locals[0].capacity == 1
    assert inst.newcomers[0].waiting_since is None


def _bad_level():
    return make_instance(
        newcomers=[make_newcomer(f"N{i}") for i in range(17)]
        + [make_newcomer("N17", languages={"en": "B3"})]
    )


BAD = [
    (
        _bad_level(),
        'newcomers[17] (id "N17"): languages.en: "B3" is not a level (A1 A2 B1 B2 C1 C2 native)',
    ),
    (
        make_instance(locals_=[make_local(slots=["tue_night"])]),
        'locals[0] (id "L1"): slots[0]: "tue_night" is not one of (mon_morning',
    ),
    (make_instance(colour="red"), "colour: unknown key"),
    (make_instance(locals_=[make_local(hobbies=[])]), 'locals[0] (id "L1"): hobbies: unknown key'),
    (
        make_instance(newcomers=[make_newcomer(offers=[])]),
        'newcomers[0] (id "N1"): offers: unknown',
    ),
    (make_instance(settings={"speed": 1}), "settings: speed: unknown key"),
    (make_instance(settings={"weights": {"beauty": 1}}), "settings: weights.beauty: unknown"),
    (make_instance(settings={"min_level": "B3"}), 'settings: min_level: "B3" is not a level'),
    (make_instance(settings={"objective": "max"}), 'settings: objective: "max" is not one of'),
    (
        make_instance(locals_=[make_local("L1"), make_local("L1")]),
        'locals[1] (id "L1"): id: duplicate of locals[0]',
    ),
    (make_instance(pinned=[["L9", "N1"]]), 'pinned[0]: local "L9" does not exist'),
    (make_instance(forbidden=[["L1", "N9"]]), 'forbidden[0]: newcomer "N9" does not exist'),
    (make_instance(pinned=[["L1"]]), 'pinned[0]: ["L1"] is not a pair'),
    (
        make_instance(
            newcomers=[make_newcomer("N1"), make_newcomer("N2")],
            pinned=[["L1", "N1"], ["L1", "N2"]],
        ),
        'locals[0] (id "L1"): capacity: 1 but 2 pinned pairs (pinned[0], pinned[1])',
    ),
    (
        make_instance(
            locals_=[make_local("L1"), make_local("L2")], pinned=[["L1", "N1"], ["L2", "N1"]]
        ),
        'newcomers[0] (id "N1"): pinned more than once (pinned[0], pinned[1])',
    ),
    (
        make_instance(locals_=[make_local(capacity=0)], pinned=[["L1", "N1"]]),
        'locals[0] (id "L1"): capacity: 0 but 1 pinned pairs',
    ),
    (make_instance(locals_=[make_local(capacity=-1)]), "capacity: -1 is not between 0"),
    (make_instance(locals_=[make_local(capacity=1.5)]), "capacity: 1.5 is not a whole number"),
    (make_instance(locals_=[make_local(lat=91)]), "lat: 91 is not between -90 and 90"),
    (make_instance(locals_=[make_local(lon="9.4")]), 'lon: "9.4" is not a number'),
    (make_instance(locals_=[make_local(gender="man")]), 'gender: "man" is not one of'),
    (make_instance(locals_=[make_local(partner_genders=["men"])]), "partner_genders[0]"),
    (make_instance(locals_=[make_local(online="yes")]), 'online: "yes" is not true or false'),
    (make_instance(newcomers=[make_newcomer(waiting_since="1.3.2026")]), "waiting_since"),
    (make_instance(newcomers=[make_newcomer(languages={"EN": "B2"})]), 'languages.EN: "EN"'),
    (make_instance(newcomers=[make_newcomer(learning=["deu"])]), 'learning[0]: "deu"'),
    (make_instance(newcomers=[{"languages": {}}]), "newcomers[0]: id: missing"),
    (make_instance(newcomers=[make_newcomer(slots=None)]), "slots: null is not a list"),
    (make_instance(today="tomorrow"), 'today: "tomorrow" is not a date'),
    ({"locals": []}, "today: missing"),
    ([], "instance: [] is not an object"),
    (
        make_instance(
            settings={
                "weights": dict.fromkeys(
                    [
                        "interests",
                        "offers_needs",
                        "availability",
                        "nearness",
                        "language",
                        "waiting",
                    ],
                    0,
                )
            }
        ),
        "at least one weight",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD)
def test_it_rejects_bad_input_with_one_line(raw, message):
    with pytest.raises(InputError) as caught:
        parse_instance(raw)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_it_names_person_and_field_exactly():
    with pytest.raises(InputError) as caught:
        parse_instance(_bad_level())
    assert str(caught.value) == (
        'newcomers[17] (id "N17"): languages.en: "B3" is not a level (A1 A2 B1 B2 C1 C2 native)'
    )


def test_it_accepts_a_local_with_capacity_zero():
    inst = parse_instance(make_instance(locals_=[make_local(capacity=0)]))
    assert inst.locals[0].capacity == 0


def test_it_accepts_locks_up_to_capacity():
    inst = parse_instance(
        make_instance(
            locals_=[make_local(capacity=2)],
            newcomers=[make_newcomer("N1"), make_newcomer("N2")],
            pinned=[["L1", "N1"], ["L1", "N2"]],
        )
    )
    assert len(inst.pinned) == 2
