"""The development outbox page: lists the e-mails written and shows one, never runs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient

from tests.builders import db, html
from web import mail
from web.app import create_app

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
