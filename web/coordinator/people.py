"""What the coordinator's participant pages read: one page of the list, a participant
with everything their page shows, and the tandems they were part of. Only reads, through
``web.core.access`` (a participant of another region is a 404)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, Select, String, cast, exists, not_, select
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col

from web.coordinator import standing
from web.core import paging
from web.core.access import visible_participants
from web.core.i18n import N_
from web.core.models import (
    Coordinator,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Tandem,
    Vetting,
)
from web.core.sql import rel
from web.core.vocabulary import HELP_TOPICS, LANGUAGES, LEVELS, ROLES

# Tandem states that have a page of their own (suggestions live on the region's page).
TANDEM_PAGE_STATUSES = ("proposed", "active", "paused", "ended")


# Sortable columns: the key in the URL (``sort=town``, ``sort=-town`` for descending).
SORTS = ("name", "town", "waiting", "standing")
PAGE_SIZES = (25, 50, 100, 200)
MAX_WAITING_DAYS = 3650
VETTED = ("yes", "no")


@dataclass(frozen=True)
class ListQuery:
    """The participant list's filters, sort and page size, as the URL carries them (cleaned:
    a value that is not one of the choices is dropped and named in ``errors``)."""

    role: str = ""
    status: str = ""
    region: str = ""  # a region's slug
    place: str = ""  # a place's id (a town of the coordinator's regions)
    language: str = ""  # a key of vocabulary.LANGUAGES
    level: str = ""  # at least this level of ``language`` (a key of LEVELS)
    waiting: str = ""  # waiting longer than this many days
    vetted: str = ""  # "yes" / "no" (locals' police certificate seen)
    topic: str = ""  # a key of vocabulary.HELP_TOPICS (what a local offers, a newcomer needs)
    sort: str = ""  # one of SORTS, "-" in front for descending; "" the standard order
    size: str = ""  # one of PAGE_SIZES; "" the setting's
    errors: tuple[str, ...] = ()

    KEYS: ClassVar[tuple[str, ...]] = (
        "role",
        "status",
        "region",
        "place",
        "language",
        "level",
        "waiting",
        "vetted",
        "topic",
        "sort",
        "size",
    )

    @classmethod
    def parse(
        cls, raw: dict[str, str], *, regions: Sequence[Region], places: Sequence[Place]
    ) -> ListQuery:
        values = {key: (raw.get(key) or "").strip()[:40] for key in cls.KEYS}
        choices: dict[str, tuple[Collection[str], str]] = {
            "role": (ROLES, N_("Unknown role.")),
            "status": (standing.STANDINGS, N_("Unknown status.")),
            "region": ({r.slug for r in regions}, N_("Unknown region.")),
            "place": ({str(p.id) for p in places}, N_("Unknown place.")),
            "language": (LANGUAGES, N_("Unknown language.")),
            "level": (LEVELS, N_("Unknown language level.")),
            "vetted": (VETTED, N_("Unknown choice for the police certificate.")),
            "topic": (HELP_TOPICS, N_("Unknown topic.")),
            "sort": ({*SORTS, *(f"-{key}" for key in SORTS)}, N_("Unknown sort order.")),
            "size": ({str(n) for n in PAGE_SIZES}, N_("Unknown page size.")),
        }
        errors = []
        for key, (allowed, message) in choices.items():
            if values[key] and values[key] not in allowed:
                values[key] = ""
                errors.append(message)
        waiting = values["waiting"]
        if waiting and not (waiting.isdigit() and int(waiting) <= MAX_WAITING_DAYS):
            values["waiting"] = ""
            errors.append(N_("Please give the waiting days as a whole number."))
        return cls(**values, errors=tuple(errors))

    def page_size(self, default: int) -> int:
        return int(self.size) if self.size else default

    def query_string(self, **changes: str) -> str:
        """The URL's query (filters, sort and size; not the page), with ``changes``."""
        values = {key: getattr(self, key) for key in self.KEYS} | changes
        return urlencode({key: value for key, value in values.items() if value})

    def sort_link(self, key: str) -> str:
        """The query that sorts by column ``key`` (the other way round if it already does)."""
        return self.query_string(sort=f"-{key}" if self.sort == key else key)

    @property
    def filtered(self) -> bool:
        return any(getattr(self, key) for key in self.KEYS if key not in ("sort", "size"))


def participant_rows(
    session: Session,
    coordinator: Coordinator,
    filters: ListQuery,
    *,
    page: object,
    page_size: int,
    today: date,
) -> tuple[Sequence[Participant], paging.Page]:
    """One page of the participants the coordinator sees, filtered and sorted as ``filters``
    say (standard order: by role and waiting time), and that page."""
    query = participant_query(session, coordinator, filters, today=today)
    shown = paging.page(page, total=paging.count(session, query), size=page_size)
    participants = session.scalars(shown.of(in_list_order(query, filters.sort))).all()
    return participants, shown


def participant_query(
    session: Session, coordinator: Coordinator, filters: ListQuery, *, today: date
) -> Select:
    """The participants the coordinator sees that ``filters`` let through, unordered: the
    list pages it, the export (``web.exports``) writes all of it, so both show the same people."""
    query = visible_participants(session, coordinator)
    for condition in _conditions(filters, today=today):
        query = query.where(condition)
    return query


def in_list_order(query: Select, sort: str = "") -> Select:
    """``query`` in the list's order (``sort``, one of ``SORTS``, or by role and waiting
    time), with languages and town loaded."""
    if sort.lstrip("-") == "standing":
        query = standing.sorted_by_standing(query, descending=sort.startswith("-"))
    return query.options(
        selectinload(rel(Participant.languages)), selectinload(rel(Participant.place))
    ).order_by(*_order(sort))


def _conditions(filters: ListQuery, *, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.role:
        conditions.append(col(Participant.role) == filters.role)
    if filters.status:
        conditions.append(standing.condition(filters.status))
    if filters.region:
        conditions.append(
            col(Place.region_id).in_(
                select(col(Region.id)).where(col(Region.slug) == filters.region)
            )
        )
    if filters.place:
        conditions.append(col(Participant.place_id) == int(filters.place))
    if filters.language or filters.level:
        spoken = select(col(ParticipantLanguage.participant_id))
        if filters.language:
            spoken = spoken.where(col(ParticipantLanguage.language) == filters.language)
        if filters.level:
            spoken = spoken.where(
                col(ParticipantLanguage.level).in_(LEVELS[LEVELS.index(filters.level) :])
            )
        conditions.append(col(Participant.id).in_(spoken))
    if filters.waiting:
        conditions.append(standing.condition("waiting"))
        conditions.append(
            col(Participant.waiting_since) < today - timedelta(days=int(filters.waiting))
        )
    if filters.vetted:
        seen = exists().where(col(Vetting.local_id) == col(Participant.id))
        conditions.append(col(Participant.role) == "local")
        conditions.append(seen if filters.vetted == "yes" else not_(seen))
    if filters.topic:
        # A JSON list of keys: the quoted key appears in its text on SQLite and PostgreSQL.
        conditions.append(cast(col(Participant.help_topics), String).like(f'%"{filters.topic}"%'))
    return conditions


def _order(sort: str) -> list[Any]:
    key = sort.lstrip("-")
    descending = sort.startswith("-")

    def way(column: Any) -> Any:
        return column.desc() if descending else column.asc()

    if key == "name":
        columns = [way(col(Participant.first_name)), way(col(Participant.last_name))]
    elif key == "town":
        columns = [way(col(Place.name)), col(Participant.first_name)]
    elif key == "waiting":
        # Longest waiting first when ascending ("waiting since" oldest first); no date last.
        columns = [col(Participant.waiting_since).is_(None), way(col(Participant.waiting_since))]
    elif key == "standing":  # the standing itself: ``standing.sorted_by_standing``
        columns = [col(Participant.waiting_since)]
    else:
        columns = [col(Participant.role), col(Participant.waiting_since)]
    return [*columns, col(Participant.id)]


def places_of(session: Session, regions: Sequence[Region]) -> Sequence[Place]:
    """The towns of ``regions`` that have participants, by name (the list's place filter)."""
    region_ids = [region.id for region in regions]
    return session.scalars(
        select(Place)
        .where(
            col(Place.region_id).in_(region_ids),
            exists().where(col(Participant.place_id) == col(Place.id)),
        )
        .order_by(col(Place.name), col(Place.id))
    ).all()


@dataclass(frozen=True)
class TandemLine:
    public_id: str
    status: str
    partner: str  # the partner's first name, or "" if erased
    region: str
    since: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    has_page: bool


def tandems_of(session: Session, person: Participant) -> list[TandemLine]:
    """Every tandem the person was part of, newest first, with the partner's first name."""
    partner = aliased(Participant)
    partner_id = col(Tandem.newcomer_id) if person.role == "local" else col(Tandem.local_id)
    own_id = col(Tandem.local_id) if person.role == "local" else col(Tandem.newcomer_id)
    rows = session.execute(
        select(Tandem, col(partner.first_name), col(Region.name))
        .outerjoin(partner, partner_id == col(partner.id))
        .join(Region, col(Tandem.region_id) == col(Region.id))
        .where(own_id == person.id)
        .order_by(col(Tandem.created_at).desc(), col(Tandem.id).desc())
    ).all()
    return [
        TandemLine(
            public_id=tandem.public_id,
            status=tandem.status,
            partner=name or "",
            region=region,
            since=tandem.started_at or tandem.proposed_at or tandem.created_at,
            ended_at=tandem.ended_at,
            end_reason=tandem.end_reason,
            has_page=tandem.status in TANDEM_PAGE_STATUSES,
        )
        for tandem, name, region in rows
    ]


def person_with_details(session: Session, coordinator: Coordinator, public_id: str) -> Participant:
    person = session.scalars(
        visible_participants(session, coordinator)
        .where(col(Participant.public_id) == public_id)
        .options(
            selectinload(rel(Participant.languages)),
            selectinload(rel(Participant.place)).selectinload(rel(Place.region)),
            selectinload(rel(Participant.vetting)),
            selectinload(rel(Participant.consents)),
        )
    ).first()
    if person is None:
        raise NotFoundException()
    return person
