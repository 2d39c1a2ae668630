"""The development outbox page: lists the e-mails written and shows one, never runs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from tests.builders import db, html
from tests.conftest import REAL_IS_LOOPBACK
from web.app import create_app
from web.core import mail
from web.core.models import OutboxMessage
from web.dev import routes

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NASTY = '<script>alert("x")</script>'


@pytest.fixture
def dev_client(settings, tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    files = settings.model_copy(update={"mail_dir": str(tmp_path / "mail")})
    with TestClient(app=create_app(files)) as client:
        yield client


def write(engine, *, to: str, name: str, locale: str = "de") -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return mail.enqueue(
            session,
            to_address=to,
            locale=locale,
            template="test_message",
            context={"name": name, "note": "-", "link": "http://127.0.0.1:8000/x"},
            now=NOW,
        )


def test_it_lists_the_outbox_newest_first(dev_client, engine):
    first = write(engine, to="salma@example.org", name="Salma")
    second = write(engine, to="jonas@example.org", name="Jonas", locale="en")
    page = html(dev_client.get("/dev/mail/"))
    rows = page.select("tr[data-message]")
    assert [row["data-message"] for row in rows] == [str(second), str(first)]
    cells = [cell.get_text(strip=True) for cell in rows[1].find_all("td")]
    assert cells[1] == "salma@example.org"
    assert cells[2] == "Eine Testnachricht für Salma"
    assert rows[1].find("a")["href"] == f"/dev/mail/{first}"


def test_it_shows_a_message_as_text_and_escaped_html(dev_client, engine):
    message_id = write(engine, to="salma@example.org", name=NASTY, locale="ar")
    response = dev_client.get(f"/dev/mail/{message_id}")
    assert response.status_code == 200
    page = html(response)
    assert page.find("script") is None  # neither the e-mail's markup nor its values run
    assert NASTY in page.select_one("pre.mail-text").get_text()
    source = page.select_one("pre.mail-html").get_text()
    assert source.startswith("<!doctype html>") and 'dir="rtl"' in source
    assert page.find("h1").get_text(strip=True).endswith(NASTY)


def test_an_unknown_message_is_not_found(dev_client):
    assert dev_client.get("/dev/mail/999").status_code == 404


def test_the_outbox_page_does_not_exist_in_production(settings, tmp_path):
    production = settings.model_copy(
        update={"env": "production", "mail_dir": str(tmp_path / "mail")}
    )
    with TestClient(app=create_app(production), base_url="https://testserver.local") as client:
        assert client.get("/dev/mail/").status_code == 404


# --- only for this computer (issue 12 §9) ----------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.45.6.7", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("192.168.178.20", False),
        ("203.0.113.5", False),
        ("::ffff:203.0.113.5", False),
        ("2001:db8::1", False),
        ("testclient", False),
        ("localhost.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_only_the_loopback_address_counts_as_this_computer(host, loopback):
    assert REAL_IS_LOOPBACK(host) is loopback


async def fetch(app, path: str, *, client: tuple[str, int], headers=None):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        return await http.get(path, headers=headers or {})


@pytest.mark.parametrize("path", ["/dev/mail/", "/dev/mail/{id}"])
def test_the_outbox_answers_only_requests_from_this_computer(settings, engine, monkeypatch, path):
    monkeypatch.setattr(routes, "is_loopback", REAL_IS_LOOPBACK)  # the real rule, no test host
    message_id = write(engine, to="salma@example.org", name="Salma")
    path = path.format(id=message_id)
    app = create_app(settings)
    with TestClient(app=app) as client, client.portal() as portal:
        assert client.get(path).status_code == 404  # "testclient" is not this computer

        def get(host: str, **headers: str) -> httpx.Response:
            return portal.call(lambda: fetch(app, path, client=(host, 5000), headers=headers))

        for host in ("127.0.0.1", "::1"):
            shown = get(host)
            assert shown.status_code == 200, host
            assert "Salma" in shown.text
        for host in ("192.168.178.20", "203.0.113.5", "2001:db8::1"):
            refused = get(host)
            assert refused.status_code == 404, host
            assert "Salma" not in refused.text and "salma@" not in refused.text
        # Through a reverse proxy every request seems to come from 127.0.0.1.
        assert get("127.0.0.1", **{"X-Forwarded-For": "203.0.113.5"}).status_code == 404


def test_the_pages_say_they_are_a_development_tool(dev_client, engine):
    message_id = write(engine, to="salma@example.org", name="Salma")
    for path in ("/dev/mail/", f"/dev/mail/{message_id}"):
        english = dev_client.get(path, headers={"Accept-Language": "en"})
        notice = html(english).select_one("[data-dev-tool]")
        assert notice is not None, path
        assert "development tool" in notice.get_text()
    german = html(dev_client.get("/dev/mail/", headers={"Accept-Language": "de"}))
    assert "Entwicklungswerkzeug" in german.select_one("[data-dev-tool]").get_text()


def test_a_sent_e_mail_is_shown_from_its_file_and_cleared_rows_say_so(dev_client, engine, settings):
    sent = write(engine, to="salma@example.org", name="Salma")
    assert mail.deliver_pending(engine, mail.FileTransport(settings.mail_dir), now=NOW).sent == 1
    with db(engine) as session:
        row = session.get(OutboxMessage, sent)
        assert (row.to_address, row.subject, row.body_text, row.body_html) == ("", "", "", None)
        assert (row.kind, row.attempts, row.sent_at) == ("test_message", 0, NOW)
    # The development page reads the words from the .eml file the transport wrote.
    listed = html(dev_client.get("/dev/mail/")).select_one(f'tr[data-message="{sent}"]')
    assert "salma@example.org" in listed.get_text()
    shown = html(dev_client.get(f"/dev/mail/{sent}"))
    assert "Salma" in shown.select_one("pre.mail-text").get_text()
    # Without the file, the page says that nothing is kept (and does not fail).
    for path in Path(settings.mail_dir).glob("*.eml"):
        path.unlink()
    english = {"Accept-Language": "en"}
    listed = html(dev_client.get("/dev/mail/", headers=english))
    listed = listed.select_one(f'tr[data-message="{sent}"]')
    assert "no longer kept" in listed.get_text() and "salma" not in listed.get_text()
    page = dev_client.get(f"/dev/mail/{sent}", headers=english)
    assert page.status_code == 200 and "no longer kept" in html(page).find("h1").get_text()
