"""The outbox: rendering in the recipient's language, sending after commit, retries.

Delivery is tested against a real SMTP server (aiosmtpd) on a free loopback port.
"""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from bs4 import BeautifulSoup
from jinja2 import UndefinedError
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.testing import TestClient
from sqlalchemy import select, update

from tests.builders import db, make_participant, make_region
from web.cli import cmd_send_mail
from web.core import mail
from web.core.db import provide_session, transaction
from web.core.deps import DbSession
from web.core.i18n import translations
from web.core.models import OutboxMessage, utcnow
from web.core.settings import Settings
from web.jobs.worker import queue_lifespan

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SALMA = "سلمى"
CONTEXT = {"name": "Salma", "note": "Tuesdays work.", "link": "http://127.0.0.1:8000/me/x"}


# --- helpers and fixtures ------------------------------------------------------------------


def write(session, *, to="salma@example.org", locale="de", now=NOW, **context: Any):  # type: ignore[no-untyped-def]
    return mail.enqueue(
        session,
        to_address=to,
        locale=locale,
        template="test_message",
        context={**CONTEXT, **context},
        now=now,
    )


def outbox(engine) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Recorder:
    """A transport that keeps what it was given; ``fail`` makes the next sends raise."""

    mail_from = "Tandem <tandem@example.org>"

    def __init__(self, *, fail: int = 0, error: Exception | None = None, delay: float = 0.0):
        self.sent: list[Message] = []
        self.fail = fail
        self.error = error or ConnectionRefusedError(111, "Connection refused")
        self.delay = delay
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        time.sleep(self.delay)
        with self._lock:
            if self.fail:
                self.fail -= 1
                raise self.error
            self.sent.append(message)


class Inbox:
    """aiosmtpd handler: every accepted message, as bytes."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(envelope.content, policy=default_policy)  # type: ignore[misc]
            for envelope in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server) -> Settings:  # type: ignore[no-untyped-def]
    _, port = smtp_server
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )


# --- rendering -------------------------------------------------------------------------------


def test_it_renders_in_german():
    rendered = mail.render("test_message", "de", CONTEXT)
    assert rendered.subject == "Eine Testnachricht für Salma"
    assert rendered.text.startswith("Hallo Salma,\n")
    page = BeautifulSoup(rendered.html, "html.parser")
    assert page.html["lang"] == "de" and page.html["dir"] == "ltr"
    assert "Hallo Salma," in page.get_text()


def test_it_renders_arabic_right_to_left():
    rendered = mail.render("test_message", "ar", {**CONTEXT, "name": SALMA})
    catalogue = translations("ar")
    assert rendered.subject == catalogue.gettext("A test message for %(name)s") % {"name": SALMA}
    assert SALMA in rendered.text
    page = BeautifulSoup(rendered.html, "html.parser")
    assert page.html["lang"] == "ar" and page.html["dir"] == "rtl"


def test_the_html_part_escapes_values_and_the_text_part_keeps_them():
    name = '<script>alert("x")</script> & Co'
    rendered = mail.render("test_message", "en", {**CONTEXT, "name": name})
    page = BeautifulSoup(rendered.html, "html.parser")
    assert page.find("script") is None
    assert name in page.get_text()
    assert name in rendered.text
    assert rendered.subject == f"A test message for {name}"


def test_a_missing_context_value_fails_at_once():
    with pytest.raises(UndefinedError):
        mail.render("test_message", "de", {"name": "Salma"})


# --- enqueue ---------------------------------------------------------------------------------


def test_it_writes_the_message_in_the_callers_transaction(engine):
    with db(engine) as session:
        salma = make_participant(session, make_region(session, "kassel"), locale="ar")
        mail.enqueue(
            session,
            to_address=salma.email,
            locale=salma.locale,
            template="test_message",
            context={**CONTEXT, "name": SALMA},
            participant_id=salma.id,
            now=NOW,
        )
    [message] = outbox(engine)
    assert (message.kind, message.locale, message.participant_id) == (
        "test_message",
        "ar",
        salma.id,
    )
    assert message.to_address == salma.email
    assert message.created_at == message.next_attempt_at == NOW
    assert message.sent_at is None and message.attempts == 0
    assert 'dir="rtl"' in (message.body_html or "")


def test_a_rolled_back_transaction_leaves_no_message(engine):
    with pytest.raises(RuntimeError), transaction(engine) as session:
        write(session)
        raise RuntimeError("the sign-up failed later")
    assert outbox(engine) == []


@pytest.mark.parametrize(
    "address", ["", "not an address", "a@example.org\r\nBcc: b@example.org", "a@x.org, b@x.org"]
)
def test_it_refuses_anything_but_one_plain_address(engine, address):
    with pytest.raises(ValueError, match="to_address"), db(engine) as session:
        write(session, to=address)


# --- sending by SMTP ----------------------------------------------------------------------------


def test_it_delivers_through_a_real_smtp_server(engine, smtp_server, smtp_settings):
    inbox, _ = smtp_server
    with db(engine) as session:
        write(session, to="salma@example.org", locale="ar", name=SALMA)

    report = mail.deliver_pending(engine, mail.transport_for(smtp_settings), now=NOW)

    assert report == mail.DeliveryReport(sent=1, failed=0)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["salma@example.org"]
    [received] = inbox.messages()
    assert received["To"] == "salma@example.org"
    assert received["From"] == smtp_settings.mail_from
    assert (
        received["Subject"] == mail.render("test_message", "ar", {**CONTEXT, "name": SALMA}).subject
    )
    assert SALMA in received["Subject"]
    assert received["Message-ID"] and received["Date"]
    assert SALMA in received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html_part = received.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'dir="rtl"' in html_part
    [row] = outbox(engine)
    assert row.sent_at == NOW and row.claimed_until is None and row.attempts == 0
    # Nothing is sent twice.
    assert mail.deliver_pending(engine, mail.transport_for(smtp_settings), now=NOW) == (
        mail.DeliveryReport(sent=0, failed=0)
    )
    assert len(inbox.envelopes) == 1


# The test server speaks plain SMTP on loopback; AUTH without TLS is fine there.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_it_logs_in_when_a_username_is_set(engine, settings):
    inbox = Inbox()
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        with db(engine) as session:
            write(session)
        smtp = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "smtp_username": "tandem",
                "smtp_password": "s3cret",
            }
        )
        report = mail.deliver_pending(engine, mail.SmtpTransport(smtp), now=NOW)
    finally:
        controller.stop()
    assert report.sent == 1
    assert logins == [(b"tandem", b"s3cret")]
    assert len(inbox.envelopes) == 1


def test_an_unreachable_server_is_a_failure_to_retry(engine, settings):
    with db(engine) as session:
        write(session)
    nowhere = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_starttls": False}
    )
    report = mail.deliver_pending(engine, mail.SmtpTransport(nowhere, timeout=5), now=NOW)
    assert report == mail.DeliveryReport(sent=0, failed=1)
    [row] = outbox(engine)
    assert row.attempts == 1 and row.sent_at is None
    assert row.last_error and row.last_error.startswith("ConnectionRefusedError")


# --- failures and retries ---------------------------------------------------------------------


def test_a_failure_is_recorded_and_retried_later_and_sent_once(engine):
    with db(engine) as session:
        write(session)
    transport = Recorder(fail=1)

    assert mail.deliver_pending(engine, transport, now=NOW) == mail.DeliveryReport(0, 1)
    [row] = outbox(engine)
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert row.sent_at is None and row.claimed_until is None

    # Not due yet: nothing happens.
    assert mail.deliver_pending(engine, transport, now=NOW + timedelta(seconds=30)).sent == 0
    assert transport.sent == []

    later = NOW + timedelta(minutes=1)
    assert mail.deliver_pending(engine, transport, now=later) == mail.DeliveryReport(1, 0)
    assert mail.deliver_pending(engine, transport, now=later + timedelta(hours=1)).sent == 0
    assert len(transport.sent) == 1
    [row] = outbox(engine)
    assert row.sent_at == later and row.attempts == 1


def test_the_delay_grows_after_each_failure_up_to_six_hours(engine):
    assert [mail.retry_delay(n) for n in range(1, 8)] == [
        timedelta(minutes=minutes) for minutes in (1, 5, 25, 125, 360, 360, 360)
    ]
    with db(engine) as session:
        write(session)
    transport = Recorder(fail=100)
    now = NOW
    for expected in (1, 5, 25, 125, 360, 360):
        assert mail.deliver_pending(engine, transport, now=now).failed == 1
        [row] = outbox(engine)
        assert row.next_attempt_at == now + timedelta(minutes=expected)
        now = row.next_attempt_at
    assert row.attempts == 6 and row.sent_at is None  # still there, never given up


def test_the_recorded_error_names_no_address(engine):
    refused = smtplib.SMTPRecipientsRefused(
        {"salma@example.org": (550, b"5.1.1 <salma@example.org>: Recipient unknown")}
    )
    rejected = smtplib.SMTPDataError(554, b"5.7.1 <salma@example.org> rejected as spam")
    with db(engine) as session:
        write(session)
    mail.deliver_pending(engine, Recorder(fail=1, error=refused), now=NOW)
    with db(engine) as session:
        write(session, to="other@example.org")
    mail.deliver_pending(engine, Recorder(fail=1, error=rejected), now=NOW)
    errors = [row.last_error or "" for row in outbox(engine)]
    assert errors[0] == "SMTPRecipientsRefused: recipient refused (550)"
    assert errors[1] == "SMTPDataError: 554 5.7.1 <address> rejected as spam"
    assert not any("@" in error for error in errors)


def test_a_message_claimed_by_a_sender_that_died_is_sent_after_the_lease(engine):
    with db(engine) as session:
        write(session)
        session.execute(update(OutboxMessage).values(claimed_until=NOW + mail.CLAIM_LEASE))
    transport = Recorder()
    assert mail.deliver_pending(engine, transport, now=NOW).sent == 0
    assert mail.deliver_pending(engine, transport, now=NOW + mail.CLAIM_LEASE).sent == 1


def test_concurrent_senders_send_each_message_exactly_once(engine):
    with db(engine) as session:
        for n in range(20):
            write(session, to=f"person{n}@example.org")
    transport = Recorder(delay=0.005)
    senders = 4
    barrier = threading.Barrier(senders)
    reports: list[mail.DeliveryReport] = []

    def run() -> None:
        barrier.wait()
        reports.append(mail.deliver_pending(engine, transport, now=NOW, limit=50))

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    deliveries = Counter(str(message["To"]) for message in transport.sent)
    assert deliveries == Counter({f"person{n}@example.org": 1 for n in range(20)})
    assert sum(report.sent for report in reports) == 20
    assert all(row.sent_at == NOW for row in outbox(engine))


def test_a_batch_stops_between_messages_when_asked(engine):
    with db(engine) as session:
        for n in range(3):
            write(session, to=f"person{n}@example.org")
    transport = Recorder()
    report = mail.deliver_pending(engine, transport, now=NOW, stop=lambda: len(transport.sent) >= 1)
    assert report.sent == 1
    assert [row.sent_at is not None for row in outbox(engine)] == [True, False, False]
    # The two it claimed but did not send are released: the next run sends them now.
    assert mail.deliver_pending(engine, transport, now=NOW) == mail.DeliveryReport(2, 0)


# --- files -------------------------------------------------------------------------------------


def test_without_smtp_it_writes_parseable_eml_files(engine, settings, tmp_path):
    with db(engine) as session:
        write(session, locale="ar", name=SALMA)
    files = settings.model_copy(update={"mail_dir": str(tmp_path / "mail")})
    transport = mail.transport_for(files)
    assert isinstance(transport, mail.FileTransport)

    assert mail.deliver_pending(engine, transport, now=NOW).sent == 1

    [eml] = list((tmp_path / "mail").iterdir())
    assert eml.suffix == ".eml"
    raw = eml.read_bytes()
    assert raw.isascii() and b"\r\n" in raw  # 7-bit, CRLF: RFC 5322 as it would travel
    parsed = BytesParser(policy=default_policy).parsebytes(raw)
    assert parsed["To"] == "salma@example.org"
    assert SALMA in parsed["Subject"]
    assert parsed["Date"].datetime == NOW
    assert parsed.get_content_type() == "multipart/alternative"
    assert SALMA in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert 'dir="rtl"' in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_the_smtp_host_setting_picks_the_transport(settings):
    assert isinstance(mail.transport_for(settings), mail.FileTransport)
    smtp = settings.model_copy(update={"smtp_host": "mail.example.org"})
    assert isinstance(mail.transport_for(smtp), mail.SmtpTransport)


def test_the_send_mail_command_sends_everything_due_and_prints_counts(
    engine, settings, tmp_path, capsys
):
    with db(engine) as session:
        for n in range(5):
            write(session, to=f"person{n}@example.org")
    files = settings.model_copy(update={"mail_dir": str(tmp_path / "mail")})
    cmd_send_mail(files, SimpleNamespace(limit=2))
    assert capsys.readouterr().out == "sent 5, failed 0\n"
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 5


# --- in the web app ---------------------------------------------------------------------------


def test_a_commit_that_wrote_mail_calls_the_hook_once_and_not_before(engine):
    calls: list[str] = []
    mail.on_mail_committed(engine, lambda: calls.append("committed"))
    try:
        with db(engine) as session:
            write(session)
            write(session, to="second@example.org")
            assert calls == []  # not before the commit: a sender would not see the rows
        assert calls == ["committed"]
        with pytest.raises(RuntimeError), db(engine) as session:
            write(session)
            raise RuntimeError("rolled back")
        assert calls == ["committed"]  # nothing to send after a rollback
    finally:
        mail.on_mail_committed(engine, None)


@pytest.mark.sends_mail
def test_the_app_queues_the_sending_when_a_request_wrote_mail(settings, engine, tmp_path):
    """The app's queue wiring (immediate in tests: the job runs at once, in this process)."""

    @get("/write", sync_to_thread=True)
    def write_one(db: DbSession) -> str:
        write(db, to="newcomer@example.org", now=utcnow())
        return "written"

    files = settings.model_copy(update={"mail_dir": str(tmp_path / "mail")})
    app = Litestar(
        route_handlers=[write_one],
        dependencies={"db": Provide(provide_session)},
        state=State({"settings": files, "engine": engine}),
        lifespan=[queue_lifespan],
    )
    with TestClient(app) as client:
        assert client.get("/write").text == "written"
        wait_until(lambda: any((tmp_path / "mail").glob("*.eml")))
    [row] = outbox(engine)
    assert row.sent_at is not None


@pytest.mark.parametrize(
    "subject",
    [
        "Tandem: please confirm your address",
        "يُرجى تأكيد عنوان بريدك الإلكتروني لدى Tandem",
        "Bitte bestätige deine Adresse – Ünïcödé, 👋 " * 4,
    ],
)
def test_subjects_in_any_script_survive_the_encoding_in_short_lines(engine, subject):
    with db(engine) as session:
        write(session)
    [row] = outbox(engine)
    row.subject = subject
    raw = mail.build_message(row, mail_from="Tandem <t@example.org>", now=NOW).as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    parsed = message_from_bytes(raw, policy=default_policy)
    assert parsed["Subject"] == subject


def test_a_body_that_quotes_a_boundary_keeps_both_parts_whole(engine):
    with db(engine) as session:
        write(session)
    [row] = outbox(engine)
    first = mail.build_message(row, mail_from="Tandem <t@example.org>", now=NOW)
    row.body_text = row.body_text + f"\n--{first.get_boundary()}\n--{first.get_boundary()}--\n"
    row.body_html = f"<p>--{first.get_boundary()}</p>"
    again = mail.build_message(row, mail_from="Tandem <t@example.org>", now=NOW)
    assert again.get_boundary() != first.get_boundary()  # a new one for every message

    parsed = message_from_bytes(again.as_bytes(), policy=default_policy)
    parts = list(parsed.iter_parts())  # type: ignore[attr-defined]
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    text, html_ = (part.get_content().replace("\r\n", "\n").rstrip("\n") for part in parts)
    assert text == row.body_text.rstrip("\n")
    assert html_ == row.body_html
