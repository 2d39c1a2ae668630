"""The suggestions page and the coordinator's decisions about pairs.

Handlers parse the form, find the records through the access helpers (404 for
another region's ids) and make one call into ``web.suggestions.suggestions``; a conflict
becomes a friendly "already taken" page (409), bad input a 400.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)
from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import aliased
from sqlmodel import Session

from web.core import i18n, paging, params
from web.core.access import get_participant_for, get_region_for, get_tandem_for
from web.core.auth import coordinator_required
from web.core.deps import AppSettings, CurrentCoordinator, DbSession, FormData
from web.core.forms import single, values
from web.core.i18n import N_
from web.core.models import (
    Coordinator,
    PairRule,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Tandem,
    utcnow,
)
from web.core.reasons import describe, rule_label
from web.core.settings import Settings
from web.core.vocabulary import LANGUAGES, REJECT_REASONS
from web.proposals import proposals
from web.suggestions.suggestions import (
    AlreadyTaken,
    DecisionError,
    InvalidDecision,
    PairCheck,
    RuledOut,
    check_pair,
    confirm,
    forbid,
    lock_people,
    manual_pair,
    pairable_people,
    pin,
    reject,
    unforbid,
    unpin,
)

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
FLASH = {
    "confirmed": N_("Confirmed. Both partners get an e-mail and are asked whether they agree."),
    "rejected": N_("Rejected. This pair will not be suggested again."),
    "pinned": N_("Pinned. The next matching run keeps this pair."),
    "forbidden": N_("Ruled out. The next matching run will not suggest this pair."),
    "unpinned": N_("The pin was removed."),
    "unforbidden": N_("The pair may be suggested again."),
    "paired": N_("Pair created. Confirm it below to send the proposal to both."),
    "none_selected": N_("Please tick at least one suggestion first."),
}
FILTER_KEYS = ("place", "min_score", "language", "sort", "page")
RULE_ACTIONS = {
    "pin": (pin, "pinned"),
    "forbid": (forbid, "forbidden"),
    "unpin": (unpin, "unpinned"),
    "unforbid": (unforbid, "unforbidden"),
}


def score_words(score: float | None) -> str:
    """The score as a word a coordinator reads at a glance (a message id)."""
    score = score or 0.0
    if score >= 0.75:
        # Translators: how well a suggested pair fits, as a word beside the score.
        return N_("very good")
    if score >= 0.5:
        return N_("good")
    return N_("fair")


# --- the page ------------------------------------------------------------------------------------


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


def _suggestion_query(region: Region, filters: Filters):  # type: ignore[no-untyped-def]
    """The region's suggestions with both people, filtered; the columns a card needs."""
    query = (
        select(
            Tandem.public_id,
            Tandem.score,
            Tandem.components,
            Tandem.reasons,
            Tandem.manual,
            LOCAL.id,
            LOCAL.public_id,
            LOCAL.first_name,
            LOCAL_PLACE.name,
            LOCAL.waiting_since,
            NEWCOMER.id,
            NEWCOMER.public_id,
            NEWCOMER.first_name,
            NEWCOMER_PLACE.name,
            NEWCOMER.waiting_since,
        )  # fmt: skip
        .join(LOCAL, LOCAL.id == Tandem.local_id)
        .join(LOCAL_PLACE, LOCAL_PLACE.id == LOCAL.place_id)
        .join(NEWCOMER, NEWCOMER.id == Tandem.newcomer_id)
        .join(NEWCOMER_PLACE, NEWCOMER_PLACE.id == NEWCOMER.place_id)
        .where(
            Tandem.region_id == region.id,  # type: ignore[arg-type]
            Tandem.status == "suggested",  # type: ignore[arg-type]
        )
    )
    if filters.min_score:
        query = query.where(Tandem.score >= float(filters.min_score))  # type: ignore[operator]
    if filters.place:
        query = query.where(
            or_(LOCAL.place_id == filters.place, NEWCOMER.place_id == filters.place)
        )
    if filters.language:
        speakers = select(ParticipantLanguage.participant_id).where(
            ParticipantLanguage.language == filters.language
        )
        query = query.where(or_(LOCAL.id.in_(speakers), NEWCOMER.id.in_(speakers)))  # type: ignore[union-attr]
    return query


def _ordered(query, filters: Filters):  # type: ignore[no-untyped-def]
    if filters.sort == "waiting":
        query = query.order_by(NEWCOMER.waiting_since.asc().nulls_last())  # type: ignore[union-attr]
    return query.order_by(Tandem.score.desc(), Tandem.id)  # type: ignore[union-attr]


def _places_with_suggestions(session: Session, region: Region) -> list[Place]:
    suggested = (Tandem.region_id == region.id) & (Tandem.status == "suggested")  # type: ignore[arg-type]
    people = union(
        select(Tandem.local_id).where(suggested), select(Tandem.newcomer_id).where(suggested)
    )
    return list(
        session.scalars(
            select(Place)
            .where(Place.id.in_(select(Participant.place_id).where(Participant.id.in_(people))))  # type: ignore[union-attr]
            .order_by(Place.name)
        )
    )


def _cards(
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

    def person(id_: int, public_id: str, name: str, place: str, since: date | None) -> Person:
        if id_ not in people:
            days = _days_since(since, today)
            waiting = (
                ""
                if days is None
                else catalogue.ngettext("waiting %(num)d day", "waiting %(num)d days", days)
                % {"num": days}
            )
            people[id_] = Person(id_, public_id, name, place, waiting)
        return people[id_]

    pairs = [(row, person(*row[5:10]), person(*row[10:15])) for row in rows]
    if people:
        first_language = _("First language")
        for participant_id, language, level in session.execute(
            select(
                ParticipantLanguage.participant_id,
                ParticipantLanguage.language,
                ParticipantLanguage.level,
            )
            .where(ParticipantLanguage.participant_id.in_(list(people)))  # type: ignore[attr-defined]
            .order_by(ParticipantLanguage.participant_id, ParticipantLanguage.language)
        ):
            name = _(LANGUAGES.get(language, language))
            shown = first_language if level == "native" else level
            people[participant_id].languages.append(f"{name} {shown}")
    rules = {
        (local_id, newcomer_id): kind
        for local_id, newcomer_id, kind in session.execute(
            select(PairRule.local_id, PairRule.newcomer_id, PairRule.kind).where(
                PairRule.region_id == region.id  # type: ignore[arg-type]
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


@get("/regions/{slug:str}/suggestions", name="suggestions", sync_to_thread=True)
def suggestions(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    slug: FromPath[str],
    place: FromQuery[str] = "",
    min_score: FromQuery[str] = "",
    language: FromQuery[str] = "",
    sort: FromQuery[str] = "score",
    page: FromQuery[str] = "",
    flash: FromQuery[str] = "",
) -> Template:
    region = get_region_for(db, coordinator, slug)
    filters = Filters.parse(
        {"place": place, "min_score": min_score, "language": language, "sort": sort, "page": page}
    )
    locale = i18n.negotiate(request)
    cards, shown = _cards(db, region, filters, locale=locale)
    gettext = i18n.translations(locale).gettext
    total = db.scalar(
        select(func.count(Tandem.id)).where(  # type: ignore[arg-type]
            Tandem.region_id == region.id,  # type: ignore[arg-type]
            Tandem.status == "suggested",  # type: ignore[arg-type]
        )
    )
    return Template(
        template_name="suggestions/index.html",
        context={
            "coordinator": coordinator,
            "region": region,
            "cards": cards,
            "total": total or 0,
            "matching": shown.total,
            "filters": filters,
            "back": filters.query_string(),
            "page": shown,
            "places": _places_with_suggestions(db, region),
            "languages": LANGUAGES,
            "sorts": SORTS,
            "min_scores": MIN_SCORES,
            "flash": FLASH.get(flash),
            # Translated once here rather than once per card in the template.
            "reject_reasons": [(key, gettext(label)) for key, label in REJECT_REASONS.items()],
        },
    )


# --- answers to the POSTs ------------------------------------------------------------------------


def _back_to(slug: str, data: dict[str, Any], *, flash: str, anchor: str = "") -> Redirect:
    """Back to the suggestions page with the filters the coordinator had (known keys only)."""
    kept = {
        key: value[:40]
        for key, value in parse_qsl(single(data, "back"))
        if key in FILTER_KEYS and value
    }
    query = urlencode({**kept, "flash": flash})
    path = f"/coordinator/regions/{slug}/suggestions?{query}{anchor}"
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _problem(coordinator: Coordinator, message: str, *, status: int, back: str | None) -> Template:
    return Template(
        template_name="suggestions/problem.html",
        context={"coordinator": coordinator, "message": message, "back": back},
        status_code=status,
    )


def _problem_for(coordinator: Coordinator, error: DecisionError, *, back: str | None) -> Template:
    return _problem(coordinator, error.message, status=_status_of(error), back=back)


def _status_of(error: DecisionError) -> int:
    """409 when the state of things stands in the way, 400 for bad input."""
    conflict = isinstance(error, AlreadyTaken | RuledOut)
    return HTTP_409_CONFLICT if conflict else HTTP_400_BAD_REQUEST


GONE = N_(
    "This suggestion is no longer there: it was decided already or replaced by a new matching run."
)


def _visible(session: Session, coordinator: Coordinator, public_id: str) -> Tandem | None:
    """The tandem, or None: a missing and a foreign id look alike (both answer 404)."""
    try:
        return get_tandem_for(session, coordinator, public_id)
    except NotFoundException:
        return None


def _gone(coordinator: Coordinator) -> Template:
    return _problem(coordinator, GONE, status=HTTP_404_NOT_FOUND, back="/coordinator/regions")


def _region_of(session: Session, tandem: Tandem) -> Region:
    region = session.get(Region, tandem.region_id)
    assert region is not None  # a foreign key
    return region


def _confirm_one(
    session: Session, tandem: Tandem, coordinator: Coordinator, *, settings: Settings
) -> None:

    now = utcnow()
    confirm(session, tandem, coordinator, now=now)
    proposals.propose(session, tandem, settings=settings, now=now)


@post("/suggestions/{public_id:str}/confirm", name="confirm_suggestion", sync_to_thread=True)
def confirm_suggestion(
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    tandem = _visible(db, coordinator, public_id)
    if tandem is None:
        return _gone(coordinator)
    slug = _region_of(db, tandem).slug
    back = f"/coordinator/regions/{slug}/suggestions"
    try:
        _confirm_one(db, tandem, coordinator, settings=settings)
    except DecisionError as error:
        return _problem_for(coordinator, error, back=back)
    return _back_to(slug, data, flash="confirmed")


@post("/suggestions/{public_id:str}/reject", name="reject_suggestion", sync_to_thread=True)
def reject_suggestion(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str], data: FormData
) -> Template | Redirect:
    tandem = _visible(db, coordinator, public_id)
    if tandem is None:
        return _gone(coordinator)
    slug = _region_of(db, tandem).slug
    try:
        reject(
            db,
            tandem,
            coordinator,
            reason=single(data, "reason"),
            note=single(data, "note"),
            now=utcnow(),
        )
    except DecisionError as error:
        return _problem_for(coordinator, error, back=f"/coordinator/regions/{slug}/suggestions")
    return _back_to(slug, data, flash="rejected")


@dataclass
class BulkResult:
    tandem: Tandem
    local_name: str
    newcomer_name: str
    problem: str | None  # None: confirmed


@post("/suggestions/confirm", name="confirm_suggestions", sync_to_thread=True)
def confirm_suggestions(
    db: DbSession, coordinator: CurrentCoordinator, settings: AppSettings, data: FormData
) -> Template | Redirect:
    """Confirm several suggestions, each on its own: one conflict does not stop the others.

    Ids the coordinator may not see (or that are gone) are reported like a conflict, so that
    a missing and a foreign id look alike; when none is visible the answer is a 404.
    """
    wanted = list(dict.fromkeys(values(data, "tandem")))[:500]
    if not wanted:  # nothing ticked: back to the page it came from
        region = get_region_for(db, coordinator, single(data, "region"))
        return _back_to(region.slug, data, flash="none_selected")
    found = [(public_id, _visible(db, coordinator, public_id)) for public_id in wanted]
    if not any(tandem for _, tandem in found):
        raise NotFoundException()
    # Everyone first, in one global order: two requests with overlapping ticks in opposite
    # orders would otherwise each hold a person the other waits for (a deadlock, a 500).
    lock_people(db, [tandem for _, tandem in found if tandem is not None])
    results: list[BulkResult] = []
    regions: dict[int, Region] = {}
    for _public_id, tandem in found:
        if tandem is None:
            continue
        local, newcomer = tandem.local, tandem.newcomer
        names = (local.first_name if local else "–", newcomer.first_name if newcomer else "–")
        regions.setdefault(tandem.region_id, _region_of(db, tandem))
        try:
            _confirm_one(db, tandem, coordinator, settings=settings)
            problem = None
        except DecisionError as error:
            problem = error.message
        results.append(BulkResult(tandem, names[0], names[1], problem))
    missing = sum(1 for _, tandem in found if tandem is None)
    confirmed = sum(1 for result in results if result.problem is None)
    return Template(
        template_name="suggestions/confirmed.html",
        context={
            "coordinator": coordinator,
            "results": results,
            "missing": missing,
            "confirmed": confirmed,
            "regions": sorted(regions.values(), key=lambda region: region.name),
        },
        status_code=200 if confirmed else HTTP_409_CONFLICT,
    )


# --- pins, bans and pairs made by hand -----------------------------------------------------------


def _pair_of(
    session: Session, coordinator: Coordinator, data: dict[str, Any]
) -> tuple[Participant, Participant]:
    local_id, newcomer_id = single(data, "local"), single(data, "newcomer")
    if not local_id or not newcomer_id:
        raise InvalidDecision(N_("Please choose a local and a newcomer."))
    return (
        get_participant_for(session, coordinator, local_id),
        get_participant_for(session, coordinator, newcomer_id),
    )


@post("/regions/{slug:str}/pairs/{action:str}", name="pair_rule", sync_to_thread=True)
def pair_rule(
    db: DbSession,
    coordinator: CurrentCoordinator,
    slug: FromPath[str],
    action: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    if action not in RULE_ACTIONS:
        raise NotFoundException()
    region = get_region_for(db, coordinator, slug)
    decide, flash = RULE_ACTIONS[action]
    try:
        local, newcomer = _pair_of(db, coordinator, data)
        decide(db, region, local, newcomer, coordinator)
    except DecisionError as error:
        return _problem_for(coordinator, error, back=f"/coordinator/regions/{slug}/suggestions")
    return _back_to(slug, data, flash=flash)


def _new_pair_page(
    session: Session,
    region: Region,
    coordinator: Coordinator,
    *,
    locale: str,
    chosen: tuple[str, str] = ("", ""),
    check: PairCheck | None = None,
    names: tuple[str, str] = ("", ""),
    error: str | None = None,
    banned: bool = False,
    status: int = 200,
) -> Template:
    locals_, newcomers = pairable_people(session, region)
    return Template(
        template_name="suggestions/new_pair.html",
        context={
            "coordinator": coordinator,
            "region": region,
            "locals": locals_,
            "newcomers": newcomers,
            "chosen_local": chosen[0],
            "chosen_newcomer": chosen[1],
            "check": check,
            "words": score_words(check.score) if check else None,
            "broken": [rule_label(code, locale=locale) for code in check.broken] if check else [],
            "reasons": describe(
                [reason for reason in check.reasons if reason.get("code") != "overrides"],
                locale=locale,
                local_name=names[0],
                newcomer_name=names[1],
            )
            if check
            else [],
            "error": error,
            "banned": banned,  # the refusal offers to lift the coordinator's ban
        },
        status_code=status,
    )


@get("/regions/{slug:str}/pairs/new", name="new_pair_form", sync_to_thread=True)
def new_pair_form(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str]
) -> Template:
    region = get_region_for(db, coordinator, slug)
    return _new_pair_page(db, region, coordinator, locale=i18n.negotiate(request))


@post("/regions/{slug:str}/pairs/new", name="new_pair", sync_to_thread=True)
def new_pair(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    slug: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    region = get_region_for(db, coordinator, slug)
    locale = i18n.negotiate(request)
    chosen = (single(data, "local"), single(data, "newcomer"))
    now = utcnow()
    try:
        local, newcomer = _pair_of(db, coordinator, data)
        check = check_pair(db, region, local, newcomer, now=now)
        if check.broken and not single(data, "accept_broken"):
            # Nothing is created until the coordinator ticks that they accept the broken rules.
            return _new_pair_page(
                db,
                region,
                coordinator,
                locale=locale,
                chosen=chosen,
                check=check,
                names=(local.first_name, newcomer.first_name),
            )
        tandem, _broken = manual_pair(db, region, local, newcomer, coordinator, now=now)
    except DecisionError as error:
        return _new_pair_page(
            db,
            region,
            coordinator,
            locale=locale,
            chosen=chosen,
            error=error.message,
            banned=isinstance(error, RuledOut) and error.banned,
            status=_status_of(error),
        )
    return _back_to(slug, {}, flash="paired", anchor=f"#s-{tandem.public_id}")


router = Router(
    path="/coordinator",
    guards=[coordinator_required],
    route_handlers=[
        suggestions,
        confirm_suggestion,
        reject_suggestion,
        confirm_suggestions,
        pair_rule,
        new_pair_form,
        new_pair,
    ],
)
