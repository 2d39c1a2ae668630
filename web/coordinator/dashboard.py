"""The coordinator's morning screen: what needs action today, in their regions.

Seven short lists, each with its total: sign-ups to review, newcomers waiting
longest, suggestions to decide, proposals without an answer, fit checks due,
worrying check-ins and unhandled problem reports. Every list is one query
(``count(*) OVER ()`` carries the total next to the first rows), so the number
of statements does not grow with the data; rows are plain tuples, not ORM
objects, so nothing is loaded lazily while the template renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

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


@dataclass
class Section:
    key: str
    total: int = 0
    items: list[Item] = field(default_factory=list)
    href: str | None = None  # "see all"


@dataclass(frozen=True)
class Dashboard:
    sections: dict[str, Section]

    def __getitem__(self, key: str) -> Section:
        return self.sections[key]


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


def _rows(session: Session, query) -> tuple[int, list]:  # type: ignore[no-untyped-def]
    """The first LIMIT rows of ``query`` and the total (last column of each row)."""
    rows = session.execute(query.add_columns(func.count().over()).limit(LIMIT)).all()
    return (rows[0][-1] if rows else 0), rows


def build(session: Session, coordinator: Coordinator, *, now: datetime) -> Dashboard:
    region_ids = region_ids_of(session, coordinator)
    today = today_of(now)

    def in_regions(column):  # type: ignore[no-untyped-def]
        return True if region_ids is None else column.in_(region_ids)

    local = aliased(Participant)
    newcomer = aliased(Participant)

    def tandem_query(*columns):  # type: ignore[no-untyped-def]
        return (
            select(Tandem.public_id, local.first_name, newcomer.first_name, *columns)
            .outerjoin(local, Tandem.local_id == local.id)
            .outerjoin(newcomer, Tandem.newcomer_id == newcomer.id)
        )

    sections: dict[str, Section] = {}

    # Sign-ups to review: verified, waiting for a coordinator's approval.
    total, rows = _rows(
        session,
        select(Participant.first_name, Participant.role, Participant.verified_at)
        .join(Place, Participant.place_id == Place.id)
        .where(Participant.status == "pending", in_regions(Place.region_id))
        .order_by(Participant.verified_at, Participant.id),
    )
    sections["signups"] = Section(
        "signups",
        total,
        [Item("/coordinator/review", name, role, _days(at, today)) for name, role, at, _ in rows],
        "/coordinator/review",
    )

    # Newcomers waiting longest: active and in no open tandem.
    in_open_tandem = exists().where(
        Tandem.newcomer_id == Participant.id,
        Tandem.status.in_(OPEN_TANDEM_STATUSES),  # type: ignore[attr-defined]
    )
    total, rows = _rows(
        session,
        select(Participant.public_id, Participant.first_name, Participant.waiting_since)
        .join(Place, Participant.place_id == Place.id)
        .where(
            Participant.role == "newcomer",
            Participant.status == "active",
            in_regions(Place.region_id),
            ~in_open_tandem,
        )
        .order_by(Participant.waiting_since.is_(None), Participant.waiting_since, Participant.id),  # type: ignore[union-attr]
    )
    sections["waiting"] = Section(
        "waiting",
        total,
        [
            Item(f"/coordinator/participants/{pid}", name, "", _days(since, today))
            for pid, name, since, _ in rows
        ],
        "/coordinator/participants?role=newcomer&status=active",
    )

    # Suggestions to decide, per region (the region's suggestions page handles them).
    per_region = session.execute(
        select(Region.slug, Region.name, func.count(Tandem.id), func.min(Tandem.created_at))
        .join(Tandem, Tandem.region_id == Region.id)
        .where(Tandem.status == "suggested", in_regions(Region.id))
        .group_by(Region.id, Region.slug, Region.name)
        .order_by(func.count(Tandem.id).desc(), Region.name)
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
        tandem_query(Tandem.proposed_at)
        .where(Tandem.status == "proposed", in_regions(Tandem.region_id))
        .order_by(Tandem.proposed_at, Tandem.id),
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
        tandem_query(Tandem.fit_check_due_at)
        .where(
            Tandem.status == "active",
            Tandem.fit_check_due_at <= now,  # type: ignore[operator]
            Tandem.fit_checked_at.is_(None),  # type: ignore[union-attr]
            in_regions(Tandem.region_id),
        )
        .order_by(Tandem.fit_check_due_at, Tandem.id),
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
        tandem_query(CheckIn.answered_at, CheckIn.role)
        .join(CheckIn, CheckIn.tandem_id == Tandem.id)
        .where(
            CheckIn.needs_attention.is_(True),  # type: ignore[attr-defined]
            Tandem.status.in_(OPEN_TANDEM_STATUSES),  # type: ignore[attr-defined]
            in_regions(Tandem.region_id),
        )
        .order_by(CheckIn.answered_at, CheckIn.id),
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

    # Problem reports nobody has handled yet, oldest first.
    total, rows = _rows(
        session,
        tandem_query(ProblemReport.created_at, ProblemReport.kind)
        .join(ProblemReport, ProblemReport.tandem_id == Tandem.id)
        .where(ProblemReport.handled_at.is_(None), in_regions(Tandem.region_id))  # type: ignore[union-attr]
        .order_by(ProblemReport.created_at, ProblemReport.id),
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
    return Dashboard(sections)
