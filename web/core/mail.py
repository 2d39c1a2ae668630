"""E-mail: written to the outbox inside the caller's transaction, sent after it commits.

Writing
    ``enqueue(session, to_address=..., locale=..., template=..., context=..., now=...)``
    renders the e-mail in the *recipient's* language and adds an ``OutboxMessage``
    to the caller's transaction. It never commits: if the transaction rolls back,
    no e-mail exists.

Adding an e-mail called ``verify_address``
    1. write three templates under ``templates/email/``:
       ``verify_address.subject.txt`` (one line), ``verify_address.txt`` (plain text)
       and ``verify_address.html`` (``{% extends "_layout.html" %}``, fill
       ``{% block content %}``); ``test_message.*`` is a small example;
    2. mark every sentence with ``_()`` (newstyle gettext: ``_("Hello %(name)s", name=name)``;
       the HTML part escapes the values), then ``make translations`` and translate;
    3. call ``enqueue(..., template="verify_address", context={"name": ..., "link": ...})``.
       Templates use ``StrictUndefined``: a missing context value fails loudly, at enqueue.

Sending
    ``deliver_pending(engine, transport, now=...)`` sends the due messages. Each one is
    claimed with a compare-and-set on ``claimed_until`` in its own short transaction,
    so concurrent senders (several web processes, the ``send-mail`` command) never
    send the same message twice. A failure is recorded and retried with a growing
    delay, forever; a message is never dropped. (A process that dies between the SMTP
    hand-off and marking the row sent will send that one message again once its claim
    lapses: at-least-once is all SMTP allows.)

    Sending is a job of the queue (web/jobs/tasks.py ``send_mail``): every minute, and
    queued at once when a transaction that enqueued mail commits (``on_mail_committed``;
    handlers need not do anything). ``transport_for(settings)`` sends by SMTP when
    ``TANDEM_SMTP_HOST`` is set and writes ``.eml`` files otherwise.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import logging
import os
import re
import secrets
import smtplib
import ssl
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import ColumnElement, Engine, event, insert, or_, select, update
from sqlmodel import Session, col

from web.core.db import delete_where
from web.core.i18n import language_tag, translations, ui_locale
from web.core.models import OutboxMessage
from web.core.settings import ROOT, Settings
from web.core.sql import id_of, table

logger = logging.getLogger(__name__)

TEMPLATES_DIR = ROOT / "templates" / "email"
MAIL_POLICY = compat32.clone(linesep="\r\n")  # RFC 5322 line ends, as SMTP sends them
# Bytes per encoded-word: 36 → 48 base64 characters + 12 of markup, so that "Subject: "
# and the first word share a line (a longer first word is folded onto the next line,
# which parsers read as a leading space).
ENCODED_WORD_BYTES = 36

SUBJECT_MAX_LENGTH = 200  # the column's width
ERROR_MAX_LENGTH = 500
SMTP_TIMEOUT = 30.0  # seconds per socket operation
# How long a claimed message is left to its sender before another may take it over.
# Far longer than one SMTP exchange can take with SMTP_TIMEOUT.
CLAIM_LEASE = timedelta(minutes=15)
BATCH_DELAY = 0.2  # seconds the background sender waits after a wake-up
FIRST_RETRY = timedelta(minutes=1)
RETRY_FACTOR = 5
MAX_RETRY_DELAY = timedelta(hours=6)
# What a sent message keeps of its content (issue 12): nothing. Kind, language, status,
# times and attempts stay for the outbox's own bookkeeping.
CLEARED_AFTER_SENDING: dict[str, Any] = {
    "to_address": "",
    "subject": "",
    "body_text": "",
    "body_html": None,
    "attachment_data": None,
}
_ADDRESS = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")
_ADDRESS_IN_TEXT = re.compile(rf"<?{_ADDRESS.pattern}>?")


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A file sent along (e.g. an .ics invitation): its name, MIME type and content."""

    filename: str
    content_type: str  # "text/calendar; charset=utf-8"
    data: bytes


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@cache
def _environment(locale: str) -> Environment:
    # One environment per locale: gettext is installed per environment, and a shared
    # one would translate a concurrent render into the wrong language.
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    mail_locale = ui_locale(locale)
    environment.globals["ui_locale"] = lambda: mail_locale
    return environment


def render(template: str, locale: str, context: Mapping[str, Any]) -> RenderedMail:
    """Subject, text and HTML of ``templates/email/<template>.*`` in ``locale``."""
    environment = _environment(locale)
    subject = environment.get_template(f"{template}.subject.txt").render(context)
    return RenderedMail(
        subject=" ".join(subject.split())[:SUBJECT_MAX_LENGTH],
        text=environment.get_template(f"{template}.txt").render(context),
        html=environment.get_template(f"{template}.html").render(context),
    )


# One per sign-up: a Core statement, no ORM unit of work.
_INSERT = insert(table(OutboxMessage)).returning(col(OutboxMessage.id))


def enqueue(
    session: Session,
    *,
    to_address: str,
    locale: str,
    template: str,
    context: Mapping[str, Any],
    participant_id: int | None = None,
    now: datetime,
    attachment: Attachment | None = None,
    send_after: datetime | None = None,
) -> int:
    """Render an e-mail in the recipient's ``locale`` and add it to the session's
    transaction; returns the message's id. ``attachment``: one file sent along;
    ``send_after``: not sent before then (a decision that can still be undone)."""
    if not _ADDRESS.fullmatch(to_address):
        raise ValueError("to_address must be one plain e-mail address")
    rendered = render(template, locale, context)
    message_id = session.execute(
        _INSERT,
        {
            "participant_id": participant_id,
            "to_address": to_address,
            "locale": locale,
            "kind": template,
            "subject": rendered.subject,
            "body_text": rendered.text,
            "body_html": rendered.html,
            "created_at": now,
            "next_attempt_at": max(now, send_after) if send_after else now,
            "attempts": 0,
            "last_error": None,
            "claimed_until": None,
            "sent_at": None,
            "attachment_name": attachment.filename if attachment else None,
            "attachment_type": attachment.content_type if attachment else None,
            "attachment_data": attachment.data if attachment else None,
        },
    ).scalar_one()
    _wake_sender_after_commit(session)
    return int(message_id)


# --- transports -------------------------------------------------------------------------------


class Transport(Protocol):
    mail_from: str

    def send(self, message: Message) -> None:
        """Hand one message over, or raise."""


class SmtpTransport:
    """Sends through the configured SMTP server, one connection per message."""

    def __init__(self, settings: Settings, *, timeout: float = SMTP_TIMEOUT) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpTransport needs TANDEM_SMTP_HOST")
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.mail_from = settings.mail_from
        self.timeout = timeout

    def send(self, message: Message) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.port == smtplib.SMTP_SSL_PORT:  # 465 speaks TLS from the first byte
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.starttls and not isinstance(smtp, smtplib.SMTP_SSL):
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


class FileTransport:
    """Writes each message as an RFC 5322 ``.eml`` file (development, no SMTP server)."""

    def __init__(self, mail_dir: str | Path, *, mail_from: str = "Tandem <tandem@localhost>"):
        self.mail_dir = Path(mail_dir)
        self.mail_from = mail_from

    def send(self, message: Message) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        name = file_name(message)
        # Write, then rename: a reader never sees half a file. The Message-ID is unique
        # (and a claimed message has one sender), so its name is free.
        partial = self.mail_dir / f".{name}.tmp"
        partial.write_bytes(message.as_bytes())
        os.replace(partial, self.mail_dir / name)


def file_name(message: Message) -> str:
    """The ``.eml`` name ``FileTransport`` gives ``message``: its Message-ID, made safe."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(message["Message-ID"]).strip("<> ")) + ".eml"


def sent_copy(mail_dir: str | Path, message_id: int) -> EmailMessage | None:
    """The ``.eml`` file the file transport wrote for outbox message ``message_id`` (the
    newest, should a reset database have used the id again), or None."""
    folder = Path(mail_dir)
    if not folder.is_dir():
        return None
    # make_msgid(idstring="outbox.<id>", domain=...) → "<…outbox.<id>@domain>"
    found = sorted(folder.glob(f"*.outbox.{message_id}_*.eml"), key=lambda p: p.stat().st_mtime)
    if not found:
        return None
    return email.message_from_bytes(found[-1].read_bytes(), policy=email.policy.default)


@dataclass(frozen=True)
class FileFilter:
    """The ``.eml`` files about one person: written to one of ``to``, or written to one
    of ``to_partners`` and naming the person (``naming``), or holding an address of ``to``
    anywhere."""

    to: set[str]
    to_partners: set[str]
    naming: re.Pattern[str]

    def matches(self, message: EmailMessage) -> bool:
        recipient = str(message.get("To", "")).strip().lower()
        if recipient in {address.lower() for address in self.to}:
            return True
        text = _readable_text(message)
        if any(address.lower() in text.lower() for address in self.to):
            return True
        partners = {address.lower() for address in self.to_partners}
        return recipient in partners and self.naming.search(text) is not None


def _readable_text(message: EmailMessage) -> str:
    """The decoded subject and text parts of a message (a subject in another script is
    base64 in the file, a body quoted-printable)."""
    texts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            texts.append(part.get_content())
    return "\n".join(texts)


def forget_files(mail_dir: str | Path, which: FileFilter) -> int:
    """Delete the ``.eml`` files ``which`` matches; returns how many."""
    folder = Path(mail_dir)
    if not folder.is_dir():
        return 0
    deleted = 0
    for path in folder.glob("*.eml"):
        try:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        except OSError:
            continue  # gone meanwhile
        if which.matches(message):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def forget_files_after_commit(session: Session, mail_dir: str | Path, which: FileFilter) -> None:
    """``forget_files`` once the caller's transaction commits (not if it rolls back: then
    the person is still there, and so are their e-mails)."""

    def forget(_committed: Session) -> None:
        deleted = forget_files(mail_dir, which)
        logger.info("erasure: %d e-mail file(s) deleted from the mail folder", deleted)

    event.listen(session, "after_commit", forget, once=True)


def file_mail_dir(settings: Settings) -> Path | None:
    """The folder of ``.eml`` files when e-mails go there (no SMTP server), else None."""
    return None if settings.smtp_host else Path(settings.mail_dir)


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FileTransport(settings.mail_dir, mail_from=settings.mail_from)


def build_message(row: OutboxMessage, *, mail_from: str, now: datetime) -> Message:
    """The outbox row as a MIME message: text, with the HTML as an alternative.

    Built with the compat32 classes: the modern ``EmailMessage`` parses every header
    through its registry, three times slower per message. Header values are safe here:
    the address matched ``_ADDRESS`` at enqueue, the subject is one line, and ``From``
    comes from the settings.
    """
    name, address = parseaddr(mail_from)
    # Our own boundary: "=_" never occurs in quoted-printable text, so the generator
    # need not search both bodies for a collision (as it does for one it makes up).
    boundary = f"=_tandem_{secrets.token_hex(16)}"
    alternative = MIMEMultipart("alternative", boundary=boundary, policy=MAIL_POLICY)
    message = alternative
    if row.attachment_data is not None:  # text and HTML, then the file: multipart/mixed
        message = MIMEMultipart("mixed", boundary=f"{boundary}_m", policy=MAIL_POLICY)
        message.attach(alternative)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = row.to_address
    message["Subject"] = encoded_words(row.subject)
    message["Date"] = format_datetime(now)
    domain = address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"outbox.{row.id}", domain=domain)
    message["Content-Language"] = language_tag(row.locale)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    alternative.attach(_text_part(row.body_text, "plain"))
    if row.body_html:
        alternative.attach(_text_part(row.body_html, "html"))
    if row.attachment_data is not None:
        message.attach(_file_part(row))
    return message


def _file_part(row: OutboxMessage) -> MIMENonMultipart:
    maintype, _, subtype = (row.attachment_type or "application/octet-stream").partition("/")
    subtype, _, parameters = subtype.partition(";")
    part = MIMENonMultipart(maintype, subtype.strip(), policy=MAIL_POLICY)
    if "charset=" in parameters:
        part.set_param("charset", parameters.split("charset=", 1)[1].strip())
    part["Content-Transfer-Encoding"] = "base64"
    part.add_header("Content-Disposition", "attachment", filename=row.attachment_name or "file")
    part.set_payload(base64.encodebytes(row.attachment_data or b"").decode("ascii"))
    return part


def encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded-words, one per line (each under 78 characters),
    split between characters; plain ASCII stays as it is. The email
    package's ``Header`` does the same after trying quoted-printable character by character.
    """
    if text.isascii():
        return text
    words: list[bytes] = []
    word = b""
    for char in text:
        encoded = char.encode()
        if len(word) + len(encoded) > ENCODED_WORD_BYTES:
            words.append(word)
            word = b""
        word += encoded
    words.append(word)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8 text part in quoted-printable, which keeps every line 7-bit and short
    whatever the server supports; encoded by binascii (C), not the email package's
    per-character Python loop."""
    part = MIMENonMultipart("text", subtype, charset="utf-8", policy=MAIL_POLICY)
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(text.encode(), istext=True).decode("ascii"))
    return part


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """1, 5, 25, 125 minutes … at most 6 hours, after ``attempts`` failures."""
    exponent = min(max(attempts - 1, 0), 10)
    return min(FIRST_RETRY * RETRY_FACTOR**exponent, MAX_RETRY_DELAY)


def describe_error(exc: BaseException) -> str:
    """One line for ``last_error``: the kind of failure, without addresses."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        detail = f"recipient refused ({', '.join(map(str, codes))})"
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        detail = f"{exc.smtp_code} {text}"
    else:
        detail = str(exc)
    line = " ".join(f"{type(exc).__name__}: {detail}".split())
    return _ADDRESS_IN_TEXT.sub("<address>", line)[:ERROR_MAX_LENGTH]


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.next_attempt_at) <= now,
        or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) <= now),
    )


def _claim_due(engine: Engine, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this sender in one transaction; messages
    another sender claimed first are skipped."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        candidates = session.scalars(
            select(col(OutboxMessage.id))
            .where(*_due(now))
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
        ).all()
        if not candidates:
            return []
        claimed = session.scalars(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(candidates), *_due(now))
            .values(claimed_until=now + CLAIM_LEASE)
            .returning(col(OutboxMessage.id))
            .execution_options(synchronize_session=False)
        ).all()
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(claimed))
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            )
        )


def _record(engine: Engine, message_ids: list[int], **values: Any) -> None:
    if not message_ids:
        return
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids))
            .values(claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )


def deliver_pending(
    engine: Engine,
    transport: Transport,
    *,
    now: datetime,
    limit: int = 50,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` due messages; safe to run in several processes at once.

    The batch is claimed in one transaction and its sent messages are recorded in
    one more (a burst of sign-ups costs two transactions per batch, not three per
    e-mail). ``stop`` is asked before each message, so a shutting-down app ends the
    batch early; what it did not send is released for the next run.
    """
    rows = _claim_due(engine, now=now, limit=limit)
    sent: list[int] = []
    failed = 0
    try:
        for row in rows:
            if stop is not None and stop():
                break
            try:
                transport.send(build_message(row, mail_from=transport.mail_from, now=now))
            except Exception as exc:
                failed += 1
                error = describe_error(exc)
                logger.warning("e-mail %s (%s) not sent: %s", row.id, row.kind, error)
                _record(
                    engine,
                    [id_of(row)],
                    attempts=row.attempts + 1,
                    last_error=error,
                    next_attempt_at=now + retry_delay(row.attempts + 1),
                )
            else:
                sent.append(id_of(row))
    finally:
        # A sent e-mail keeps no words and no recipient: only that it went, and when.
        _record(engine, sent, sent_at=now, **CLEARED_AFTER_SENDING)
        _release(engine, [id_of(row) for row in rows if row.id not in sent], now=now)
    return DeliveryReport(sent=len(sent), failed=failed)


def _release(engine: Engine, message_ids: list[int], *, now: datetime) -> None:
    """Give back claimed messages that were not sent; failed ones (their next attempt is
    later) keep what ``_record`` set."""
    if not message_ids:
        return
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(message_ids),
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def purge(session: Session, *, now: datetime, retention_days: int, dry_run: bool) -> int:
    """``tandem purge``: delete outbox rows written more than ``retention_days`` ago,
    sent or not (one still unsent after that long will not get through); returns how many."""
    old = col(OutboxMessage.created_at) < now - timedelta(days=retention_days)
    return delete_where(session, table(OutboxMessage), old, dry_run=dry_run)


# --- in the web app: queue the sending when a transaction that wrote an e-mail commits ---------

_WAKE_PENDING = "tandem.mail_wake_pending"
# Per connection pool, the function that queues the sending job (one per app; set by the
# app's job-queue wiring, web/jobs/worker.py, so that core does not import the jobs). Keyed
# by the pool, because a session may be bound to a copy of the app's engine with other
# execution options (read-only requests), which shares the pool but not identity.
_wakers: weakref.WeakKeyDictionary[Any, Callable[[], None]] = weakref.WeakKeyDictionary()


def _wake_sender_after_commit(session: Session) -> None:
    if session.info.get(_WAKE_PENDING):
        return
    session.info[_WAKE_PENDING] = True
    pool = session.get_bind().engine.pool

    def wake(committed: Session) -> None:
        committed.info.pop(_WAKE_PENDING, None)
        waker = _wakers.get(pool)
        if waker is not None:
            waker()

    def forget(rolled_back: Session, _previous: Any = None) -> None:
        rolled_back.info.pop(_WAKE_PENDING, None)

    # Only after commit: before it, a sender would not see the row (or would wait
    # for the lock); after a rollback there is nothing to send.
    event.listen(session, "after_commit", wake, once=True)
    event.listen(session, "after_soft_rollback", forget, once=True)


def on_mail_committed(engine: Engine, callback: Callable[[], None] | None) -> None:
    """Call ``callback`` after each commit (on ``engine``'s pool) of a transaction that
    enqueued an e-mail; ``None`` stops it."""
    if callback is None:
        _wakers.pop(engine.pool, None)
    else:
        _wakers[engine.pool] = callback
