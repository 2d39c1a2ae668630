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
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from web.core import names
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
from web.core.names import PersonName
from web.core.vocabulary import OPEN_TANDEM_STATUSES

LIMIT = 5


@dataclass(frozen=True)
class Item:
    """One line of a list: what to show and where it is handled."""

    href: str
    label: str  # a region's name ("" for lines about people)
    detail: str = ""  # a vocabulary key (role, problem kind) or ""
    days: int | None = None
    # The people the line is about (one, or a tandem's local and newcomer; None: erased),
    # each shown by the ``person_link`` macro.
    people: tuple[PersonName | None, ...] = ()
    ref: str = ""  # the tandem's public id, for a form on the item (put them in touch)


@dataclass(frozen=True)
class UrgentReport:
    """A partner's "urgent / I don't feel safe" report nobody has handled yet."""

    report_id: int
    tandem_ref: str  # the tandem's public id
    people: tuple[PersonName | None, ...]  # the local and the newcomer (None: erased)
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


# One (person, town) alias pair per person a line names (a tandem: two). Made once: building
# an alias of a mapped class costs more than the dashboard's queries take in the database.
_ALIASES = [names.aliases(), names.aliases()]


def _rows(
    session: Session,
    query: Select[*tuple[Any, ...]],
    order: Sequence[Any],
    people: Sequence[str] = (),
    *,
    limit: int | None = LIMIT,
) -> tuple[int, list[tuple[Row[Any], tuple[PersonName | None, ...]]]]:
    """The first LIMIT rows of ``query`` in ``order``, each with the people named by the
    ``people`` columns of ``query`` (labelled participant ids), and the total.

    The total and the first rows are found on the listed tables alone; names and towns are
    joined to those few rows only (joined before the LIMIT, every row's people are read)."""
    first = (
        query.add_columns(
            func.count().over().label("total"),
            func.row_number().over(order_by=list(order)).label("position"),
        )
        .order_by(*order)
        .limit(limit)
        .subquery()
    )
    shown = [column for column in first.c if column.name not in ("total", "position")]
    outer = select(*shown)
    for person_id, (person, place) in zip(people, _ALIASES, strict=False):
        outer = outer.add_columns(*PersonName.columns(person, place))
        outer = outer.outerjoin(person, first.c[person_id] == col(person.id)).outerjoin(
            place, col(person.place_id) == col(place.id)
        )
    rows = session.execute(outer.add_columns(first.c.total).order_by(first.c.position)).all()
    count, width = len(people), len(shown)
    return (rows[0][-1] if rows else 0), [
        (row, tuple(PersonName.of(row, width + 4 * n) for n in range(count))) for row in rows
    ]


def build(session: Session, coordinator: Coordinator, *, now: datetime) -> Dashboard:
    region_ids = region_ids_of(session, coordinator)
    today = today_of(now)

    def in_regions(column: Mapped[int | None]) -> ColumnElement[bool]:
        return true() if region_ids is None else column.in_(region_ids)

    def tandem_query(*columns: Any) -> Select[*tuple[Any, ...]]:
        return select(
            col(Tandem.public_id).label("tandem"),
            col(Tandem.local_id).label("local"),
            col(Tandem.newcomer_id).label("newcomer"),
            *columns,
        )

    pair = ("local", "newcomer")
    sections: dict[str, Section] = {}

    # Sign-ups to review: verified, waiting for a coordinator's approval.
    total, rows = _rows(
        session,
        select(
            col(Participant.id).label("person"),
            col(Participant.role).label("role"),
            col(Participant.verified_at).label("at"),
        )
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(col(Participant.status) == "pending", in_regions(col(Place.region_id))),
        (col(Participant.verified_at), col(Participant.id)),
        ("person",),
    )
    sections["signups"] = Section(
        "signups",
        total,
        [
            Item("/coordinator/review", "", row.role, _days(row.at, today), people)
            for row, people in rows
        ],
        "/coordinator/review",
    )

    # Newcomers waiting longest: active and in no open tandem.
    in_open_tandem = exists().where(
        col(Tandem.newcomer_id) == col(Participant.id),
        col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
    )
    total, rows = _rows(
        session,
        select(col(Participant.id).label("person"), col(Participant.waiting_since).label("since"))
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Participant.role) == "newcomer",
            col(Participant.status) == "active",
            in_regions(col(Place.region_id)),
            ~in_open_tandem,
        ),
        (
            col(Participant.waiting_since).is_(None),
            col(Participant.waiting_since),
            col(Participant.id),
        ),
        ("person",),
    )
    sections["waiting"] = Section(
        "waiting",
        total,
        [
            Item(
                f"/coordinator/participants/{people[0].public_id}" if people[0] else "",
                "",
                "",
                _days(row.since, today),
                people,
            )
            for row, people in rows
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
        tandem_query(col(Tandem.proposed_at).label("at")).where(
            col(Tandem.status) == "proposed", in_regions(col(Tandem.region_id))
        ),
        (col(Tandem.proposed_at), col(Tandem.id)),
        pair,
    )
    sections["proposals"] = Section(
        "proposals",
        total,
        [
            Item("/coordinator/proposals", "", "", _days(row.at, today), people)
            for row, people in rows
        ],
        "/coordinator/proposals",
    )

    # Fit checks due: active tandems past their four-week date, not yet checked.
    total, rows = _rows(
        session,
        tandem_query(col(Tandem.fit_check_due_at).label("at")).where(
            col(Tandem.status) == "active",
            col(Tandem.fit_check_due_at) <= now,
            col(Tandem.fit_checked_at).is_(None),
            in_regions(col(Tandem.region_id)),
        ),
        (col(Tandem.fit_check_due_at), col(Tandem.id)),
        pair,
    )
    sections["fit_checks"] = Section(
        "fit_checks",
        total,
        [
            Item(f"/coordinator/tandems/{row.tandem}", "", "", _days(row.at, today), people)
            for row, people in rows
        ],
        "/coordinator/tandems",
    )

    # Check-ins with a worrying answer, while the tandem is still open.
    total, rows = _rows(
        session,
        tandem_query(col(CheckIn.answered_at).label("at"), col(CheckIn.role).label("role"))
        .join(CheckIn, col(CheckIn.tandem_id) == col(Tandem.id))
        .where(
            col(CheckIn.needs_attention).is_(True),
            col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
            in_regions(col(Tandem.region_id)),
        ),
        (col(CheckIn.answered_at), col(CheckIn.id)),
        pair,
    )
    sections["checkins"] = Section(
        "checkins",
        total,
        [
            Item(
                f"/coordinator/tandems/{row.tandem}#checkins",
                "",
                row.role,
                _days(row.at, today),
                people,
            )
            for row, people in rows
        ],
    )

    # Tandems whose partners did not both agree to pass on their contact details: the
    # coordinator puts them in touch by hand, until marked done.
    total, rows = _rows(
        session,
        tandem_query(col(Tandem.put_in_touch_since).label("since")).where(
            col(Tandem.put_in_touch_since).is_not(None),
            col(Tandem.put_in_touch_done_at).is_(None),
            col(Tandem.status).in_(("active", "paused")),
            in_regions(col(Tandem.region_id)),
        ),
        (col(Tandem.put_in_touch_since), col(Tandem.id)),
        pair,
    )
    sections["in_touch"] = Section(
        "in_touch",
        total,
        [
            Item(
                f"/coordinator/tandems/{row.tandem}",
                "",
                "",
                _days(row.since, today),
                people,
                ref=row.tandem,
            )  # fmt: skip
            for row, people in rows
        ],
        "/coordinator/tandems",
    )

    # Urgent reports ("I don't feel safe"): all of them, above everything.
    _total, rows = _rows(
        session,
        tandem_query(
            col(ProblemReport.id).label("report"),
            col(ProblemReport.reporter_role).label("role"),
            col(ProblemReport.kind).label("kind"),
            col(ProblemReport.note).label("note"),
            col(ProblemReport.created_at).label("at"),
        )
        .join(ProblemReport, col(ProblemReport.tandem_id) == col(Tandem.id))
        .where(
            col(ProblemReport.urgent).is_(True),
            col(ProblemReport.handled_at).is_(None),
            in_regions(col(Tandem.region_id)),
        ),
        (col(ProblemReport.created_at), col(ProblemReport.id)),
        pair,
        limit=None,
    )
    urgent = [
        UrgentReport(row.report, row.tandem, people, row.role, row.kind, row.note or "", row.at)
        for row, people in rows
    ]

    # Other problem reports nobody has handled yet, oldest first.
    total, rows = _rows(
        session,
        tandem_query(
            col(ProblemReport.created_at).label("at"), col(ProblemReport.kind).label("kind")
        )
        .join(ProblemReport, col(ProblemReport.tandem_id) == col(Tandem.id))
        .where(
            col(ProblemReport.handled_at).is_(None),
            col(ProblemReport.urgent).is_(False),
            in_regions(col(Tandem.region_id)),
        ),
        (col(ProblemReport.created_at), col(ProblemReport.id)),
        pair,
    )
    sections["problems"] = Section(
        "problems",
        total,
        [
            Item(
                f"/coordinator/tandems/{row.tandem}#problems",
                "",
                row.kind,
                _days(row.at, today),
                people,
            )
            for row, people in rows
        ],
    )
    return Dashboard(sections, urgent)
