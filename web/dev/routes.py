"""Development only: the outbox, to read the e-mails the app wrote without a mail server.

Mounted by the app factory only when ``TANDEM_ENV=development``; it has no login, so it
answers only requests from this computer (the loopback address) that did not come
through a proxy: anyone else gets a 404, as if it did not exist (issue 12 §9).

A sent e-mail keeps no subject, text or recipient in the outbox (``web.core.mail``); the page
shows them from the ``.eml`` file the file transport wrote, while it is there.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from litestar import Router, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.response import Template
from sqlalchemy import select
from sqlmodel import col

from web.core import mail
from web.core.deps import AppSettings, DbSession, RowId
from web.core.models import OutboxMessage
from web.core.sql import id_of

OUTBOX_PAGE = 200
# Headers a reverse proxy adds: behind one, every request comes from the loopback address.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (also written as an IPv4-mapped IPv6 address)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def loopback_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    client = connection.client
    proxied = any(name in connection.headers for name in PROXY_HEADERS)
    if proxied or not is_loopback(client.host if client else None):
        raise NotFoundException


@dataclass(frozen=True)
class MailView:
    """An outbox row as the page shows it; a sent one's words come from its ``.eml`` file."""

    id: int
    locale: str
    kind: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    cleared: bool  # sent, and neither the row nor a file keeps what it said

    @classmethod
    def of(cls, row: OutboxMessage, mail_dir: str, *, with_body: bool) -> MailView:
        to_address, subject = row.to_address, row.subject
        body_text, body_html = row.body_text, row.body_html
        cleared = row.sent_at is not None and not row.subject
        if cleared and (copy := mail.sent_copy(mail_dir, id_of(row))) is not None:
            cleared = False
            to_address, subject = str(copy["To"]), str(copy["Subject"])
            body_text, body_html = "", None
            if with_body:
                text, html = copy.get_body(("plain",)), copy.get_body(("html",))
                body_text = text.get_content() if text is not None else ""
                body_html = html.get_content() if html is not None else None
        return cls(
            id=id_of(row),
            locale=row.locale,
            kind=row.kind,
            created_at=row.created_at,
            sent_at=row.sent_at,
            attempts=row.attempts,
            last_error=row.last_error,
            to_address=to_address,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            cleared=cleared,
        )


@get("/", name="mail_outbox", sync_to_thread=True)
def mail_outbox(db: DbSession, settings: AppSettings) -> Template:
    rows = db.scalars(
        select(OutboxMessage)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(OUTBOX_PAGE)
    ).all()
    messages = [MailView.of(row, settings.mail_dir, with_body=False) for row in rows]
    return Template(template_name="dev/mail_outbox.html", context={"messages": messages})


@get("/{message_id:int}", name="mail_message", sync_to_thread=True)
def mail_message(db: DbSession, settings: AppSettings, message_id: RowId) -> Template:
    row = db.get(OutboxMessage, message_id)
    if row is None:
        raise NotFoundException
    message = MailView.of(row, settings.mail_dir, with_body=True)
    return Template(template_name="dev/mail_message.html", context={"message": message})


router = Router(
    path="/dev/mail", guards=[loopback_only], route_handlers=[mail_outbox, mail_message]
)
