"""The suggestions page's read model: filters from a link, one page of cards, the places.

A card is one suggested pair as the coordinator sees it: both people (name, place,
languages, waiting time), the score in words and per component, the reasons and the
rules the pair breaks, in the coordinator's language. Only reads; the decisions about
pairs are ``web.suggestions.suggestions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, or_, select, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from web.core import i18n, paging, params
from web.core.i18n import N_
from web.core.models import (
    PairRule,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Tandem,
    utcnow,
)
from web.core.reasons import describe
from web.core.vocabulary import LANGUAGES

COMPONENT_LABELS = {
    "interests": N_("Shared interests"),
    "offers_needs": N_("Help that fits"),
    "availability": N_("Common times"),
    "nearness": N_("Nearness"),
    "language": N_("Language practice"),
    "waiting": N_("Waiting time"),
}
SORTS = {"score": N_("Best score first"), "waiting": N_("Longest waiting first")}
MIN_SCORES = {"0.75": N_("very good"), "0.5": N_("good or better")}


def score_words(score: float | None) -> str:
    """The score as a word a coordinator reads at a glance (a message id)."""
    score = score or 0.0
    if score >= 0.75:
        # Translators: how well a suggested pair fits, as a word beside the score.
        return N_("very good")
    if score >= 0.5:
        return N_("good")
    return N_("fair")


PAGE_SIZE = 100


def _place_id(text: str) -> int | None:
    try:
        return params.optional_integer(text, low=1)
    except params.BadValue:
        return None


@dataclass
class Filters:
    place: int | None = None
    min_score: str = ""
    language: str = ""
    sort: str = "score"
    page: int = 1

    @classmethod
    def parse(cls, raw: dict[str, str]) -> Filters:
        """Lenient: an unknown value is ignored rather than refused (it came from a link)."""
        place, page = raw.get("place", ""), raw.get("page", "")
        return cls(
            place=_place_id(place),
            min_score=raw.get("min_score", "") if raw.get("min_score") in MIN_SCORES else "",
            language=raw.get("language", "") if raw.get("language") in LANGUAGES else "",
            sort=raw.get("sort", "score") if raw.get("sort") in SORTS else "score",
            page=params.page_number(page),
        )

    def query_string(self, **changes: Any) -> str:
        chosen = {
            "place": str(self.place) if self.place else "",
            "min_score": self.min_score,
            "language": self.language,
            "sort": "" if self.sort == "score" else self.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        chosen.update({key: str(value) for key, value in changes.items()})
        return urlencode({key: value for key, value in chosen.items() if value})


@dataclass
class Person:
    """What a card shows of one person: plain values, already in the reader's language
    (a page of cards needs no ORM objects, and the template no call per word)."""

    id: int
    public_id: str
    first_name: str
    place: str
    waiting: str  # "waiting 94 days", or empty
    languages: list[str] = field(default_factory=list)  # "Arabic First language", "English B2"
    last_name: str | None = None  # with the town: two Yasmins tell apart (web.core.names)


@dataclass
class Card:
    public_id: str
    score: float
    percent: int
    manual: bool
    local: Person
    newcomer: Person
    words: str
    reasons: list[str]
    components: list[tuple[str, int]]
    rule: str | None  # "pin" or "forbid" when a coordinator set one for this pair


def _days_since(day: date | None, today: date) -> int | None:
    return None if day is None else max(0, (today - day).days)


LOCAL, NEWCOMER = aliased(Participant), aliased(Participant)
LOCAL_PLACE, NEWCOMER_PLACE = aliased(Place), aliased(Place)


def _suggestion_query(region: Region, filters: Filters) -> Select[*tuple[Any, ...]]:
    """The region's suggestions with both people, filtered; the columns a card needs."""
    query = (
        select(
            col(Tandem.public_id),
            col(Tandem.score),
            col(Tandem.components),
            col(Tandem.reasons),
            col(Tandem.manual),
            col(LOCAL.id),
            col(LOCAL.public_id),
            col(LOCAL.first_name),
            col(LOCAL_PLACE.name),
            col(LOCAL.waiting_since),
            col(NEWCOMER.id),
            col(NEWCOMER.public_id),
            col(NEWCOMER.first_name),
            col(NEWCOMER_PLACE.name),
            col(NEWCOMER.waiting_since),
            col(LOCAL.last_name),
            col(NEWCOMER.last_name),
        )  # fmt: skip
        .join(LOCAL, col(LOCAL.id) == col(Tandem.local_id))
        .join(LOCAL_PLACE, col(LOCAL_PLACE.id) == col(LOCAL.place_id))
        .join(NEWCOMER, col(NEWCOMER.id) == col(Tandem.newcomer_id))
        .join(NEWCOMER_PLACE, col(NEWCOMER_PLACE.id) == col(NEWCOMER.place_id))
        .where(
            col(Tandem.region_id) == region.id,
            col(Tandem.status) == "suggested",
        )
    )
    if filters.min_score:
        query = query.where(col(Tandem.score) >= float(filters.min_score))
    if filters.place:
        query = query.where(
            or_(col(LOCAL.place_id) == filters.place, col(NEWCOMER.place_id) == filters.place)
        )
    if filters.language:
        speakers = select(col(ParticipantLanguage.participant_id)).where(
            col(ParticipantLanguage.language) == filters.language
        )
        query = query.where(or_(col(LOCAL.id).in_(speakers), col(NEWCOMER.id).in_(speakers)))
    return query


def _ordered(query: Select[*tuple[Any, ...]], filters: Filters) -> Select[*tuple[Any, ...]]:
    if filters.sort == "waiting":
        query = query.order_by(col(NEWCOMER.waiting_since).asc().nulls_last())
    return query.order_by(col(Tandem.score).desc(), col(Tandem.id))


def places_with_suggestions(session: Session, region: Region) -> list[Place]:
    suggested = (col(Tandem.region_id) == region.id) & (col(Tandem.status) == "suggested")
    people = union(
        select(col(Tandem.local_id)).where(suggested),
        select(col(Tandem.newcomer_id)).where(suggested),
    )
    return list(
        session.scalars(
            select(Place)
            .where(
                col(Place.id).in_(
                    select(col(Participant.place_id)).where(col(Participant.id).in_(people))
                )
            )
            .order_by(col(Place.name))
        )
    )


def page_of_cards(
    session: Session, region: Region, filters: Filters, *, locale: str
) -> tuple[list[Card], paging.Page]:
    """One page of cards, and that page (its total: the suggestions that pass the filters)."""
    query = _suggestion_query(region, filters)
    page = paging.page(filters.page, total=paging.count(session, query), size=PAGE_SIZE)
    filters.page = page.number  # clamped: never an empty page
    rows = session.execute(page.of(_ordered(query, filters))).all()
    today = utcnow().date()
    catalogue = i18n.translations(locale)
    _ = catalogue.gettext
    people: dict[int, Person] = {}

    def person(*values: Any, last: str | None) -> Person:
        id_, public_id, name, place, since = values
        if id_ not in people:
            days = _days_since(since, today)
            waiting = (
                ""
                if days is None
                else catalogue.ngettext("waiting %(num)d day", "waiting %(num)d days", days)
                % {"num": days}
            )
            people[id_] = Person(id_, public_id, name, place, waiting, last_name=last)
        return people[id_]

    pairs = [
        (row, person(*row[5:10], last=row[15]), person(*row[10:15], last=row[16])) for row in rows
    ]
    if people:
        first_language = _("First language")
        for participant_id, language, level in session.execute(
            select(
                col(ParticipantLanguage.participant_id),
                col(ParticipantLanguage.language),
                col(ParticipantLanguage.level),
            )
            .where(col(ParticipantLanguage.participant_id).in_(list(people)))
            .order_by(col(ParticipantLanguage.participant_id), col(ParticipantLanguage.language))
        ):
            name = _(LANGUAGES.get(language, language))
            shown = first_language if level == "native" else level
            people[participant_id].languages.append(f"{name} {shown}")
    rules = {
        (local_id, newcomer_id): kind
        for local_id, newcomer_id, kind in session.execute(
            select(col(PairRule.local_id), col(PairRule.newcomer_id), col(PairRule.kind)).where(
                col(PairRule.region_id) == region.id
            )
        )
    }
    labels = {key: _(label) for key, label in COMPONENT_LABELS.items()}
    cards = []
    for row, local, newcomer in pairs:
        public_id, score, components, reasons, manual = row[:5]
        components = components or {}
        cards.append(
            Card(
                public_id=public_id,
                score=score or 0.0,
                percent=round(100 * (score or 0.0)),
                manual=manual,
                local=local,
                newcomer=newcomer,
                words=_(score_words(score)),
                reasons=describe(
                    list(reasons or []),
                    locale=locale,
                    local_name=local.first_name,
                    newcomer_name=newcomer.first_name,
                    local_town=local.place,
                    newcomer_town=newcomer.place,
                ),
                components=[
                    (labels[key], round(100 * float(components[key])))
                    for key in COMPONENT_LABELS
                    if key in components
                ],
                rule=rules.get((local.id, newcomer.id)),
            )
        )
    return cards, page


def suggestion_count(session: Session, region: Region) -> int:
    """All suggestions of the region, whatever the filters."""
    return (
        session.scalar(
            select(func.count(col(Tandem.id))).where(
                col(Tandem.region_id) == region.id,
                col(Tandem.status) == "suggested",
            )
        )
        or 0
    )
