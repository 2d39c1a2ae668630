"""Nobody can lock a coordinator out (issue 12 §7): failed logins slow down the address
(or device) they come from, an account takes at most 100 failures an hour from unknown
sources (ASVS V6.1.1), the coordinator's own browser and other addresses still get in,
and the coordinator hears of the attack by e-mail once an hour at most."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.builders import db, html, login, make_coordinator, make_region
from web.core import auth, limits
from web.core.models import OutboxMessage, utcnow

DEVICE_COOKIE = "tandem_device"  # the development name (production: __Host-device)
ALICE = "alice@example.org"


class Address:
    """The client address the app sees (the test client always comes from one)."""

    def __init__(self) -> None:
        self.current = "198.51.100.1"

    def __call__(self, request) -> str:  # type: ignore[no-untyped-def]
        return self.current


@pytest.fixture
def address(monkeypatch: pytest.MonkeyPatch) -> Address:
    fake = Address()
    monkeypatch.setattr(limits, "client_of", fake)
    return fake


@pytest.fixture
def alice(engine) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, ALICE, regions=[kassel])  # "Alice"
        make_coordinator(session, "bob@example.org", regions=[kassel])


def attack(client, address: Address, tries: int, *, at: str = "203.0.113.7") -> list[int]:  # type: ignore[no-untyped-def]
    """Wrong passwords for Alice's account from one address, without her cookie."""
    client.cookies.delete(DEVICE_COOKIE)
    address.current = at
    return [login(client, ALICE, password="guess").status_code for _ in range(tries)]


def attack_mails(engine) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "login_attack"))
        )


def test_an_attacker_slows_down_only_their_own_address(client, engine, alice, address):
    with time_machine.travel(utcnow(), tick=False):
        statuses = attack(client, address, 20)
        assert statuses[:6] == [400] * 6 and set(statuses[6:]) == {429}
        # Even the right password waits at the attacker's address...
        assert login(client, ALICE).status_code == 429
        # ...but Alice at her own address gets in at once.
        address.current = "192.0.2.44"
        response = login(client, ALICE)
        assert response.status_code == 303 and response.headers["location"] == "/coordinator"


def test_alices_own_browser_gets_in_from_the_attackers_address(client, engine, alice, address):
    """A shared connection (one office, one shelter): the browser that logged in before
    is recognised by its cookie, not by its address."""
    address.current = "203.0.113.7"
    assert login(client, ALICE).status_code == 303
    her_device = client.cookies.get(DEVICE_COOKIE)
    assert her_device
    client.post("/logout", data={"_csrf_token": client.cookies.get("tandem_csrf")})
    with time_machine.travel(utcnow(), tick=False):
        assert set(attack(client, address, 15)[6:]) == {429}
        client.cookies.set(DEVICE_COOKIE, her_device)
        assert login(client, ALICE).status_code == 303


def test_a_hundred_failures_an_hour_close_the_account_to_unknown_devices_only(
    client, engine, alice, address
):
    address.current = "192.0.2.44"
    assert login(client, ALICE).status_code == 303  # Alice's browser is known from now on
    her_device = client.cookies.get(DEVICE_COOKIE)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        # A botnet: one failure from each of 100 addresses.
        for n in range(auth.ACCOUNT_FAILURES_PER_WINDOW):
            assert attack(client, address, 1, at=f"10.0.{n // 250}.{n % 250}") == [400]
        # The 101st attempt inside the hour is refused, whoever sends it from wherever...
        assert attack(client, address, 1, at="10.9.9.9") == [429]
        address.current = "192.0.2.200"  # Alice on a new phone: also refused for now
        assert login(client, ALICE).status_code == 429
        # ...except from Alice's own browser: no hard lock-out of the owner.
        client.cookies.set(DEVICE_COOKIE, her_device)
        assert login(client, ALICE).status_code == 303
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        client.cookies.delete(DEVICE_COOKIE)
        assert login(client, ALICE).status_code == 303  # the hour is over


def test_a_device_cookie_counts_only_for_its_own_account(client, engine, alice, address):
    address.current = "192.0.2.44"
    assert login(client, "bob@example.org").status_code == 303
    bobs_device = client.cookies.get(DEVICE_COOKIE)
    with time_machine.travel(utcnow(), tick=False):
        attack(client, address, 10, at="192.0.2.44")
        for cookie in (bobs_device, "forged." + "0" * 64, "x" * 5000, "\x00"):
            client.cookies.set(DEVICE_COOKIE, cookie)
            assert login(client, ALICE).status_code == 429


def test_the_device_cookie_is_long_lived_http_only_and_same_site(client, engine, alice, address):
    response = login(client, ALICE)
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(DEVICE_COOKIE + "=")
    )
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert f"max-age={int(auth.KNOWN_DEVICE_LIFETIME.total_seconds())}" in flags


def test_the_coordinator_is_told_of_an_attack_once_per_hour(client, engine, alice, address):
    start = utcnow()
    with time_machine.travel(start, tick=False):
        attack(client, address, auth.ALERT_AFTER_FAILURES - 1, at="203.0.113.7")
        assert attack_mails(engine) == []
        for n in range(40):  # the attack goes on from many addresses
            attack(client, address, 1, at=f"10.1.0.{n}")
    mails = attack_mails(engine)
    assert len(mails) == 1
    assert mails[0].to_address == ALICE
    assert "Anmeldeversuche" in mails[0].subject or "anzumelden" in mails[0].subject
    assert "Alice" in mails[0].body_text
    with time_machine.travel(start + timedelta(hours=1, minutes=1), tick=False):
        for n in range(auth.ALERT_AFTER_FAILURES):
            attack(client, address, 1, at=f"10.2.0.{n}")
    assert len(attack_mails(engine)) == 2  # a new hour, a new warning


def test_a_mistyped_password_now_and_then_sends_no_warning(client, engine, alice, address):
    with time_machine.travel(utcnow(), tick=False):
        address.current = "192.0.2.44"
        for _ in range(3):
            assert login(client, ALICE, password="typo").status_code == 400
        assert login(client, ALICE).status_code == 303
    assert attack_mails(engine) == []


def test_an_unknown_account_gets_no_warning_and_is_slowed_down_alike(
    client, engine, alice, address
):
    with time_machine.travel(utcnow(), tick=False):
        address.current = "203.0.113.7"
        client.cookies.delete(DEVICE_COOKIE)
        statuses = [
            login(client, "nobody@example.org", password="g").status_code for _ in range(12)
        ]
    assert statuses[:6] == [400] * 6 and set(statuses[6:]) == {429}
    assert attack_mails(engine) == []


def test_the_attack_warning_reads_well(client, engine, alice, address):
    with time_machine.travel(utcnow(), tick=False):
        for n in range(auth.ALERT_AFTER_FAILURES):
            attack(client, address, 1, at=f"10.3.0.{n}")
    (warning,) = attack_mails(engine)
    body = html_text(warning.body_html)
    assert "Hallo Alice" in body
    assert warning.locale == "de"


def html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(markup, "html.parser").get_text(" ", strip=True)


def test_the_blocked_page_says_why(client, engine, alice, address):
    with time_machine.travel(utcnow(), tick=False):
        attack(client, address, 6)
        blocked = login(client, ALICE, password="guess")
    assert blocked.status_code == 429
    assert html(blocked).find(attrs={"role": "alert"}) is not None


def test_purge_forgets_failed_logins_after_a_day(client, engine, alice, address, settings):
    from web.core.models import LoginThrottle
    from web.ops.retention import purge

    start = utcnow()
    with time_machine.travel(start, tick=False):
        attack(client, address, 3)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        attack(client, address, 1, at="203.0.113.99")
    with db(engine) as session:
        assert len(session.scalars(select(LoginThrottle)).all()) == 3  # two sources, one account
        report = purge(
            session, settings=settings, now=start + timedelta(days=1, minutes=1), dry_run=False
        )
    assert report.login_throttles_deleted == 1  # the first address; the rest is recent
    with db(engine) as session:
        assert len(session.scalars(select(LoginThrottle)).all()) == 2
