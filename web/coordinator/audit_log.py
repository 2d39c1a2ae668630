"""The audit log for admins: who did what to which record, when (ids only, by design).

Coordinators who are not admins get a 404, like any record they may not see.
Filters are query parameters, validated here: a bad value is a 400 with a
message on the page, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST
from sqlalchemy import select
from sqlmodel import Session, col

from web.core import names, paging, params
from web.core.auth import coordinator_required
from web.core.dates import PROGRAMME_TIMEZONE
from web.core.deps import AppSettings, CurrentCoordinator, DbSession
from web.core.i18n import N_
from web.core.models import AuditLog
from web.core.vocabulary import ACTOR_TYPES

TEXT_MAX = 64  # the columns' width


class BadFilter(ValueError):
    """A filter value that cannot be used; the message is translatable."""


@dataclass(frozen=True)
class Filters:
    action: str = ""
    actor_type: str = ""
    actor_id: int | None = None
    subject_type: str = ""
    subject_id: str = ""
    since: date | None = None
    until: date | None = None

    def query_string(self) -> str:
        values = {
            "action": self.action,
            "actor_type": self.actor_type,
            "actor_id": "" if self.actor_id is None else str(self.actor_id),
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return urlencode({k: v for k, v in values.items() if v})


def _text(value: str, label: str) -> str:
    value = value.strip()
    if len(value) > TEXT_MAX or any(not ch.isprintable() for ch in value):
        raise BadFilter(label)
    return value


def _day(value: str, label: str) -> date | None:
    try:
        return params.optional_day(value)
    except params.BadValue:
        raise BadFilter(label) from None


def _actor_id(value: str) -> int | None:
    try:
        return params.optional_integer(value, low=1)
    except params.BadValue:
        raise BadFilter(N_("The actor id must be a whole number.")) from None


def parse_filters(
    *,
    action: str,
    actor_type: str,
    actor_id: str,
    subject_type: str,
    subject_id: str,
    since: str,
    until: str,
) -> Filters:
    """Validated filters; raises ``BadFilter`` with a message for the first bad value."""
    actor_type = actor_type.strip()
    if actor_type and actor_type not in ACTOR_TYPES:
        raise BadFilter(N_("Unknown kind of actor."))
    filters = Filters(
        action=_text(action, N_("The action is too long or contains odd characters.")),
        actor_type=actor_type,
        actor_id=_actor_id(actor_id),
        subject_type=_text(subject_type, N_("The record type is too long.")),
        subject_id=_text(subject_id, N_("The record id is too long.")),
        since=_day(since, N_("Please enter the first day as YYYY-MM-DD.")),
        until=_day(until, N_("Please enter the last day as YYYY-MM-DD.")),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise BadFilter(N_("The first day is after the last day."))
    return filters


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` in the programme's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=PROGRAMME_TIMEZONE or UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(PROGRAMME_TIMEZONE or UTC).strftime("%Y-%m-%d %H:%M:%S")


def search(
    session: Session, filters: Filters, *, page: object, page_size: int
) -> tuple[list[AuditLog], paging.Page]:
    """The rows of the asked-for page (newest first) and that page, for the filters."""
    query = select(AuditLog)
    if filters.action:
        # An action or a family of actions: "participant" finds "participant.viewed" too.
        query = query.where(
            (col(AuditLog.action) == filters.action)
            | col(AuditLog.action).startswith(filters.action + ".", autoescape=True)
        )
    if filters.actor_type:
        query = query.where(col(AuditLog.actor_type) == filters.actor_type)
    if filters.actor_id is not None:
        query = query.where(col(AuditLog.actor_id) == filters.actor_id)
    if filters.subject_type:
        query = query.where(col(AuditLog.subject_type) == filters.subject_type)
    if filters.subject_id:
        query = query.where(col(AuditLog.subject_id) == filters.subject_id)
    if filters.since:
        query = query.where(col(AuditLog.at) >= _start_of(filters.since))
    if filters.until:
        query = query.where(col(AuditLog.at) < _start_of(filters.until + timedelta(days=1)))
    shown = paging.page(page, total=paging.count(session, query), size=page_size)
    rows = session.scalars(
        shown.of(query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()))
    ).all()
    return list(rows), shown


@get("/", name="audit_log", sync_to_thread=True)
def audit_log(
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    page: FromQuery[str] = "",
    action: FromQuery[str] = "",
    actor_type: FromQuery[str] = "",
    actor_id: FromQuery[str] = "",
    subject_type: FromQuery[str] = "",
    subject_id: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
) -> Template:
    if not coordinator.is_admin:
        raise NotFoundException()
    raw = {
        "action": action,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "since": since,
        "until": until,
    }
    error = None
    rows: list[AuditLog] = []
    shown = paging.page(1, total=0, size=settings.page_size)
    query_string = ""
    try:
        filters = parse_filters(**raw)
    except BadFilter as problem:
        error = str(problem)
    else:
        rows, shown = search(db, filters, page=page, page_size=settings.page_size)
        query_string = filters.query_string()
    return Template(
        template_name="coordinator/audit/list.html",
        status_code=HTTP_400_BAD_REQUEST if error else HTTP_200_OK,
        context={
            "coordinator": coordinator,
            "rows": rows,
            "total": shown.total,
            "page": shown,
            "raw": {k: v[:TEXT_MAX] for k, v in raw.items()},
            "actor_types": ACTOR_TYPES,
            "error": error,
            "query_string": query_string,
            "stamp": _stamp,
            "people": names.by_id(
                db,
                (
                    int(row.subject_id)
                    for row in rows
                    if row.subject_type == "participant" and row.subject_id.isdigit()
                ),
            ),
        },
    )


router = Router(
    path="/coordinator/audit", route_handlers=[audit_log], guards=[coordinator_required]
)
