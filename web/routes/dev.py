"""Development only: the outbox, to read the e-mails the app wrote without a mail server.

Mounted by the app factory only when ``TANDEM_ENV=development``; it has no login.
"""

from __future__ import annotations

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlalchemy import select

from web.deps import DbSession, RowId
from web.models import OutboxMessage

OUTBOX_PAGE = 200


@get("/", name="dev_mail_outbox", sync_to_thread=True)
def mail_outbox(db: DbSession) -> Template:
    messages = db.scalars(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(OUTBOX_PAGE)
    ).all()
    return Template(template_name="dev/mail_outbox.html", context={"messages": messages})


@get("/{message_id:int}", name="dev_mail_message", sync_to_thread=True)
def mail_message(db: DbSession, message_id: RowId) -> Template:
    message = db.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundException
    return Template(template_name="dev/mail_message.html", context={"message": message})


router = Router(path="/dev/mail", route_handlers=[mail_outbox, mail_message])
