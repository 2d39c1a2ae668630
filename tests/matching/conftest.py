"""Builders for engine tests: small JSON-shaped people around Kassel."""

import pytest

TODAY = "2026-05-01"


def make_local(pid="L1", **overrides):
    person = {
        "id": pid,
        "languages": {"de": "native", "en": "B2"},
        "interests": ["football"],
        "offers": ["paperwork"],
        "slots": ["tue_evening"],
        "lat": 51.3127,
        "lon": 9.4797,
        "capacity": 1,
        "vetted": False,
    }
    person.update(overrides)
    return person


def make_newcomer(pid="N1", **overrides):
    person = {
        "id": pid,
        "languages": {"ar": "native", "en": "B1"},
        "learning": ["de"],
        "interests": ["football"],
        "needs": ["paperwork"],
        "slots": ["tue_evening"],
        "lat": 51.3127,
        "lon": 9.4797,
    }
    person.update(overrides)
    return person


def make_instance(locals_=None, newcomers=None, **overrides):
    instance = {
        "today": TODAY,
        "locals": [make_local()] if locals_ is None else locals_,
        "newcomers": [make_newcomer()] if newcomers is None else newcomers,
    }
    instance.update(overrides)
    return instance


@pytest.fixture
def instance():
    return make_instance()
