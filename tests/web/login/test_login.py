from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from tests.builders import PASSWORD, db, html, login, make_coordinator, make_region
from web.core.models import AuditLog, Coordinator

HOST = "testserver.local"  # the Litestar test client's host; cookies are stored for it


def alice(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])


def test_it_logs_in_and_lands_on_the_dashboard(client, engine):
    alice(engine)
    response = login(client, "alice@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/coordinator"
    page = client.get("/coordinator/")
    assert page.status_code == 200
    assert "Alice" in html(page).find("nav", class_="account").get_text()
    with db(engine) as session:
        coordinator = session.scalars(select(Coordinator)).one()
        assert coordinator.last_login_at is not None
        logins = session.scalars(select(AuditLog).where(AuditLog.action == "login")).all()
        assert [(entry.actor_id, entry.subject_id) for entry in logins] == [
            (coordinator.id, str(coordinator.id))
        ]


def test_it_refuses_a_wrong_password_with_the_email_kept(client, engine):
    alice(engine)
    response = login(client, "alice@example.org", password="wrong password")
    assert response.status_code == 400
    page = html(response)
    assert page.find(attrs={"role": "alert"}) is not None
    assert page.find("input", attrs={"name": "email"})["value"] == "alice@example.org"
    assert client.get("/coordinator/", follow_redirects=False).status_code == 303


def test_it_answers_an_unknown_email_exactly_like_a_wrong_password(client, engine):
    alice(engine)
    wrong = login(client, "alice@example.org", password="wrong password")
    unknown = login(client, "nobody@example.org", password="wrong password")
    assert unknown.status_code == wrong.status_code == 400
    assert (
        html(unknown).find(attrs={"role": "alert"}).get_text()
        == html(wrong).find(attrs={"role": "alert"}).get_text()
    )


def test_it_refuses_a_deactivated_account(client, engine):
    with db(engine) as session:
        make_coordinator(session, "gone@example.org", is_active=False)
    assert login(client, "gone@example.org").status_code == 400


def test_it_issues_a_new_session_id_at_login(client, engine):
    alice(engine)
    planted = "attacker-chosen-session-id"
    client.cookies.set("tandem_session", planted, domain=HOST)
    response = login(client, "alice@example.org")
    assert response.status_code == 303
    issued = client.cookies.get("tandem_session", domain=HOST)
    assert issued and issued != planted
    # The planted id does not authenticate anyone.
    client.cookies.set("tandem_session", planted, domain=HOST)
    assert client.get("/coordinator/", follow_redirects=False).status_code == 303


def test_it_logs_out_and_the_old_session_is_dead(client, engine):
    alice(engine)
    login(client, "alice@example.org")
    session_id = client.cookies.get("tandem_session", domain=HOST)
    form = html(client.get("/coordinator/")).find("form", attrs={"action": "/logout"})
    token = form.find("input", attrs={"name": "_csrf_token"})["value"]
    assert (
        client.post("/logout", data={"_csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    client.cookies.set("tandem_session", session_id, domain=HOST)
    assert client.get("/coordinator/", follow_redirects=False).status_code == 303


def test_a_post_without_csrf_token_is_refused(client, engine):
    alice(engine)
    client.get("/login")
    response = client.post(
        "/login", data={"email": "alice@example.org", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "tandem_session" not in response.headers.get("set-cookie", "")


def test_it_never_redirects_to_another_host_after_login(client, engine):
    alice(engine)
    response = login(client, "alice@example.org", next="//evil.example/steal")
    assert response.headers["location"] == "/coordinator"


def test_a_session_ends_after_30_idle_minutes(client, engine):
    import time_machine

    from web.core.models import utcnow

    alice(engine)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "alice@example.org")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/coordinator/", follow_redirects=False).status_code == 200
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/coordinator/", follow_redirects=False).status_code == 200
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        assert client.get("/coordinator/", follow_redirects=False).status_code == 303


def test_a_session_ends_after_12_hours_even_when_busy(client, engine):
    import time_machine

    from web.core.models import utcnow

    alice(engine)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "alice@example.org")
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/coordinator/", follow_redirects=False).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get("/coordinator/", follow_redirects=False).status_code == 303


def test_repeated_failures_slow_an_account_down_without_locking_it_out(client, engine):
    import time_machine

    from web.core.models import utcnow

    alice(engine)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert login(client, "alice@example.org", password="guess").status_code == 400
        assert login(client, "alice@example.org", password="guess").status_code == 400
        # Now even the right password waits: the delay has begun.
        blocked = login(client, "alice@example.org")
        assert blocked.status_code == 429
        assert html(blocked).find(attrs={"role": "alert"}) is not None
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        assert login(client, "alice@example.org").status_code == 303


def test_unknown_accounts_are_slowed_down_the_same_way(client, engine):
    import time_machine

    from web.core.models import utcnow

    alice(engine)
    with time_machine.travel(utcnow(), tick=False):  # a slow machine must not let the delay lapse
        for _ in range(6):
            login(client, "nobody@example.org", password="guess")
        assert login(client, "nobody@example.org", password="guess").status_code == 429
        assert login(client, "alice@example.org").status_code == 303  # others are not affected


def test_the_login_form_is_rate_limited_per_address(client, engine):
    import time_machine

    from web.core.models import utcnow

    alice(engine)
    with time_machine.travel(utcnow(), tick=False):  # all within the limiter's minute
        statuses = [
            login(client, f"user{n}@example.org", password="guess").status_code for n in range(31)
        ]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429


def test_passwords_are_hashed_with_argon2id_above_the_asvs_minimum():
    from argon2 import Type

    from web.core.auth import PASSWORD_HASHER

    assert PASSWORD_HASHER.type is Type.ID
    assert PASSWORD_HASHER.time_cost >= 3 and PASSWORD_HASHER.memory_cost >= 64 * 1024
    assert PASSWORD_HASHER.hash("x" * 12).startswith("$argon2id$v=19$m=65536,t=3")


def test_a_weaker_old_hash_is_upgraded_at_login(client, engine):
    from argon2 import PasswordHasher

    from tests.builders import PASSWORD
    from web.core import auth

    with db(engine) as session:
        old = make_coordinator(session, "old@example.org")
        old.password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)
    strong = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    auth._hasher = strong  # the fixture restores the test hasher afterwards
    assert login(client, "old@example.org").status_code == 303
    with db(engine) as session:
        upgraded = session.scalars(select(Coordinator)).one().password_hash
    assert "m=2048,t=2" in upgraded


def test_an_unchanged_session_is_not_written_on_every_request(client, engine):
    import time_machine
    from sqlalchemy import event

    from web.core.models import utcnow

    alice(engine)
    writes: list[str] = []

    def note_writes(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if "store_entry" in statement and statement.lstrip().upper().startswith(
            ("INSERT", "UPDATE")
        ):
            writes.append(statement)

    event.listen(client.app.state.engine, "before_cursor_execute", note_writes)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "alice@example.org")
        logged_in = len(writes)
        assert logged_in >= 1
        for _ in range(3):
            assert client.get("/coordinator/", follow_redirects=False).status_code == 200
        assert len(writes) == logged_in  # the same session: nothing to store
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert client.get("/coordinator/", follow_redirects=False).status_code == 200
        assert len(writes) == logged_in + 1  # the last-seen time moved on: stored once


def test_reading_a_session_takes_no_write_lock(client, engine):
    # Every logged-in request reads its session; if that read took SQLite's write lock
    # (or waited for writers on PostgreSQL), pages would queue behind any writer.
    from sqlalchemy import text  # noqa: PLC0415

    alice(engine)
    login(client, "alice@example.org")
    with engine.connect() as writer:
        writer.begin()  # on SQLite this is BEGIN IMMEDIATE (web/core/db.py): the write lock
        if engine.dialect.name == "postgresql":
            writer.execute(text("LOCK TABLE store_entry IN EXCLUSIVE MODE"))
        started = time.monotonic()
        response = client.get("/coordinator/", follow_redirects=False)
        waited = time.monotonic() - started
        writer.rollback()
    assert response.status_code == 200
    assert waited < 2  # the busy timeout is 5 s: it did not wait for the writer
