"""The coordinator's morning screen: what needs action today, in their regions.

Seven short lists, each with its total: sign-ups to review, newcomers waiting
longest, suggestions to decide, proposals without an answer, fit checks due,
worrying check-ins and unhandled problem reports. Every list is one query
(``count(*) OVER ()`` carries the total next to the first rows), so the number
of statements does not grow with the data; rows are plain tuples, not ORM
objects, so nothing is loaded lazily while the template renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, exists, func, select, true
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col

from web.core.access import region_ids_of
from web.core.dates import PROGRAMME_TIMEZONE
from web.core.models import (
    CheckIn,
    Coordinator,
    Participant,
    Place,
    ProblemReport,
    Region,
    Tandem,
)
from web.core.vocabulary import OPEN_TANDEM_STATUSES

LIMIT = 5


@dataclass(frozen=True)
class Item:
    """One line of a list: what to show and where it is handled."""

    href: str
    label: str  # names or a region (escaped by the template)
    detail: str = ""  # a vocabulary key (role, problem kind) or ""
    days: int | None = None
    ref: str = ""  # the tandem's public id, for a form on the item (put them in touch)


@dataclass(frozen=True)
class UrgentReport:
    """A partner's "urgent / I don't feel safe" report nobody has handled yet."""

    report_id: int
    tandem_ref: str  # the tandem's public id
    names: str
    reporter_role: str
    kind: str
    note: str
    created_at: datetime


@dataclass
class Section:
    key: str
    total: int = 0
    items: list[Item] = field(default_factory=list)
    href: str | None = None  # "see all"


@dataclass(frozen=True)
class Dashboard:
    sections: dict[str, Section]
    # Shown first, above everything (issue 15 §5), oldest first; never folded or cut.
    urgent: list[UrgentReport] = field(default_factory=list)

    def __getitem__(self, key: str) -> Section:
        return self.sections[key]

    @property
    def open_keys(self) -> list[str]:
        """The sections with something to do (the others fold into one line)."""
        return [key for key, section in self.sections.items() if section.total]


def today_of(now: datetime) -> date:
    """The programme's calendar day (waiting days are counted in local days)."""
    return now.astimezone(PROGRAMME_TIMEZONE).date() if PROGRAMME_TIMEZONE else now.date()


def _days(since: date | datetime | None, today: date) -> int | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        since = today_of(since)
    return max((today - since).days, 0)


def _pair(local: str | None, newcomer: str | None) -> str:
    return f"{local or '—'} & {newcomer or '—'}"


def _rows(
    session: Session, query: Select[*tuple[Any, ...]]
) -> tuple[int, Sequence[Row[*tuple[Any, ...]]]]:
    """The first LIMIT rows of ``query`` and the total (last column of each row)."""
    rows = session.execute(query.add_columns(func.count().over()).limit(LIMIT)).all()
    return (rows[0][-1] if rows else 0), rows


def build(session: Session, coordinator: Coordinator, *, now: datetime) -> Dashboard:
    region_ids = region_ids_of(session, coordinator)
    today = today_of(now)

    def in_regions(column: Mapped[int | None]) -> ColumnElement[bool]:
        return true() if region_ids is None else column.in_(region_ids)

    local = aliased(Participant)
    newcomer = aliased(Participant)

    def tandem_query(*columns: Mapped[Any]) -> Select[*tuple[Any, ...]]:
        return (
            select(col(Tandem.public_id), col(local.first_name), col(newcomer.first_name), *columns)
            .outerjoin(local, col(Tandem.local_id) == col(local.id))
            .outerjoin(newcomer, col(Tandem.newcomer_id) == col(newcomer.id))
        )

    sections: dict[str, Section] = {}

    # Sign-ups to review: verified, waiting for a coordinator's approval.
    total, rows = _rows(
        session,
        select(col(Participant.first_name), col(Participant.role), col(Participant.verified_at))
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(col(Participant.status) == "pending", in_regions(col(Place.region_id)))
        .order_by(col(Participant.verified_at), col(Participant.id)),
    )
    sections["signups"] = Section(
        "signups",
        total,
        [Item("/coordinator/review", name, role, _days(at, today)) for name, role, at, _ in rows],
        "/coordinator/review",
    )

    # Newcomers waiting longest: active and in no open tandem.
    in_open_tandem = exists().where(
        col(Tandem.newcomer_id) == col(Participant.id),
        col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
    )
    total, rows = _rows(
        session,
        select(
            col(Participant.public_id), col(Participant.first_name), col(Participant.waiting_since)
        )
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Participant.role) == "newcomer",
            col(Participant.status) == "active",
            in_regions(col(Place.region_id)),
            ~in_open_tandem,
        )
        .order_by(
            col(Participant.waiting_since).is_(None),
            col(Participant.waiting_since),
            col(Participant.id),
        ),
    )
    sections["waiting"] = Section(
        "waiting",
        total,
        [
            Item(f"/coordinator/participants/{pid}", name, "", _days(since, today))
            for pid, name, since, _ in rows
        ],
        "/coordinator/participants?role=newcomer&status=waiting",
    )

    # Suggestions to decide, per region (the region's suggestions page handles them).
    per_region = session.execute(
        select(
            col(Region.slug),
            col(Region.name),
            func.count(col(Tandem.id)),
            func.min(col(Tandem.created_at)),
        )
        .join(Tandem, col(Tandem.region_id) == col(Region.id))
        .where(col(Tandem.status) == "suggested", in_regions(col(Region.id)))
        .group_by(col(Region.id), col(Region.slug), col(Region.name))
        .order_by(func.count(col(Tandem.id)).desc(), col(Region.name))
    ).all()
    sections["suggestions"] = Section(
        "suggestions",
        sum(count for _, _, count, _ in per_region),
        [
            Item(f"/coordinator/regions/{slug}/suggestions", name, str(count), _days(oldest, today))
            for slug, name, count, oldest in per_region[:LIMIT]
        ],
        "/coordinator/regions",
    )

    # Proposals without an answer from both partners, oldest first.
    total, rows = _rows(
        session,
        tandem_query(col(Tandem.proposed_at))
        .where(col(Tandem.status) == "proposed", in_regions(col(Tandem.region_id)))
        .order_by(col(Tandem.proposed_at), col(Tandem.id)),
    )
    sections["proposals"] = Section(
        "proposals",
        total,
        [
            Item("/coordinator/proposals", _pair(lname, nname), "", _days(at, today))
            for _, lname, nname, at, _ in rows
        ],
        "/coordinator/proposals",
    )

    # Fit checks due: active tandems past their four-week date, not yet checked.
    total, rows = _rows(
        session,
        tandem_query(col(Tandem.fit_check_due_at))
        .where(
            col(Tandem.status) == "active",
            col(Tandem.fit_check_due_at) <= now,
            col(Tandem.fit_checked_at).is_(None),
            in_regions(col(Tandem.region_id)),
        )
        .order_by(col(Tandem.fit_check_due_at), col(Tandem.id)),
    )
    sections["fit_checks"] = Section(
        "fit_checks",
        total,
        [
            Item(f"/coordinator/tandems/{pid}", _pair(lname, nname), "", _days(due, today))
            for pid, lname, nname, due, _ in rows
        ],
        "/coordinator/tandems",
    )

    # Check-ins with a worrying answer, while the tandem is still open.
    total, rows = _rows(
        session,
        tandem_query(col(CheckIn.answered_at), col(CheckIn.role))
        .join(CheckIn, col(CheckIn.tandem_id) == col(Tandem.id))
        .where(
            col(CheckIn.needs_attention).is_(True),
            col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
            in_regions(col(Tandem.region_id)),
        )
        .order_by(col(CheckIn.answered_at), col(CheckIn.id)),
    )
    sections["checkins"] = Section(
        "checkins",
        total,
        [
            Item(
                f"/coordinator/tandems/{pid}#checkins", _pair(lname, nname), role, _days(at, today)
            )
            for pid, lname, nname, at, role, _ in rows
        ],
    )

    # Tandems whose partners did not both agree to pass on their contact details: the
    # coordinator puts them in touch by hand, until marked done.
    total, rows = _rows(
        session,
        tandem_query(col(Tandem.put_in_touch_since))
        .where(
            col(Tandem.put_in_touch_since).is_not(None),
            col(Tandem.put_in_touch_done_at).is_(None),
            col(Tandem.status).in_(("active", "paused")),
            in_regions(col(Tandem.region_id)),
        )
        .order_by(col(Tandem.put_in_touch_since), col(Tandem.id)),
    )
    sections["in_touch"] = Section(
        "in_touch",
        total,
        [
            Item(f"/coordinator/tandems/{pid}", _pair(lname, nname), "", _days(since, today), pid)
            for pid, lname, nname, since, _ in rows
        ],
        "/coordinator/tandems",
    )

    # Urgent reports ("I don't feel safe"): all of them, above everything.
    urgent_rows = session.execute(
        tandem_query(
            col(ProblemReport.id),
            col(ProblemReport.reporter_role),
            col(ProblemReport.kind),
            col(ProblemReport.note),
            col(ProblemReport.created_at),
        )
        .join(ProblemReport, col(ProblemReport.tandem_id) == col(Tandem.id))
        .where(
            col(ProblemReport.urgent).is_(True),
            col(ProblemReport.handled_at).is_(None),
            in_regions(col(Tandem.region_id)),
        )
        .order_by(col(ProblemReport.created_at), col(ProblemReport.id))
    ).all()
    urgent = [
        UrgentReport(rid, pid, _pair(lname, nname), role, kind, note or "", at)
        for pid, lname, nname, rid, role, kind, note, at in urgent_rows
    ]

    # Other problem reports nobody has handled yet, oldest first.
    total, rows = _rows(
        session,
        tandem_query(col(ProblemReport.created_at), col(ProblemReport.kind))
        .join(ProblemReport, col(ProblemReport.tandem_id) == col(Tandem.id))
        .where(
            col(ProblemReport.handled_at).is_(None),
            col(ProblemReport.urgent).is_(False),
            in_regions(col(Tandem.region_id)),
        )
        .order_by(col(ProblemReport.created_at), col(ProblemReport.id)),
    )
    sections["problems"] = Section(
        "problems",
        total,
        [
            Item(
                f"/coordinator/tandems/{pid}#problems", _pair(lname, nname), kind, _days(at, today)
            )
            for pid, lname, nname, at, kind, _ in rows
        ],
    )
    return Dashboard(sections, urgent)
