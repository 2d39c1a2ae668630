"""The suggestions page and the coordinator's decisions about pairs.

Handlers parse the form, find the records through the access helpers (404 for
another region's ids) and make one call into ``web.suggestions.suggestions``; a conflict
becomes a friendly "already taken" page (409), bad input a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from sqlmodel import Session

from web.core import i18n
from web.core.access import get_participant_for, get_region_for, get_tandem_for
from web.core.auth import coordinator_required
from web.core.deps import AppSettings, CurrentCoordinator, DbSession
from web.core.forms import FormData, clean_text, single, values
from web.core.i18n import N_
from web.core.models import (
    Coordinator,
    Participant,
    Region,
    Tandem,
    utcnow,
)
from web.core.reasons import describe, rule_label
from web.core.settings import Settings
from web.core.vocabulary import LANGUAGES, REJECT_REASONS
from web.proposals import proposals
from web.suggestions import cards
from web.suggestions.suggestions import (
    PAIRABLE_SHOWN,
    AlreadyTaken,
    DecisionError,
    InvalidDecision,
    PairCheck,
    RuledOut,
    check_pair,
    confirm,
    find_pairable,
    forbid,
    lock_people,
    manual_pair,
    pin,
    reject,
    unforbid,
    unpin,
)

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
SEARCH_MAX = 100  # characters typed to find a person
RULE_ACTIONS = {
    "pin": (pin, "pinned"),
    "forbid": (forbid, "forbidden"),
    "unpin": (unpin, "unpinned"),
    "unforbid": (unforbid, "unforbidden"),
}


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
    filters = cards.Filters.parse(
        {"place": place, "min_score": min_score, "language": language, "sort": sort, "page": page}
    )
    locale = i18n.negotiate(request)
    shown_cards, shown = cards.page_of_cards(db, region, filters, locale=locale)
    gettext = i18n.translations(locale).gettext
    return Template(
        template_name="suggestions/index.html",
        context={
            "coordinator": coordinator,
            "region": region,
            "cards": shown_cards,
            "total": cards.suggestion_count(db, region),
            "matching": shown.total,
            "filters": filters,
            "back": filters.query_string(),
            "page": shown,
            "places": cards.places_with_suggestions(db, region),
            "languages": LANGUAGES,
            "sorts": cards.SORTS,
            "min_scores": cards.MIN_SCORES,
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
    local: Participant | None  # None: erased meanwhile
    newcomer: Participant | None
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
        regions.setdefault(tandem.region_id, _region_of(db, tandem))
        try:
            _confirm_one(db, tandem, coordinator, settings=settings)
            problem = None
        except DecisionError as error:
            problem = error.message
        results.append(BulkResult(tandem, local, newcomer, problem))
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
    typed: tuple[str, str] = ("", ""),
    chosen: tuple[str, str] = ("", ""),
    check: PairCheck | None = None,
    names: tuple[str, str] = ("", ""),
    error: str | None = None,
    banned: bool = False,
    status: int = 200,
) -> Template:
    """The pair-by-hand form: type part of a name (or e-mail, phone, town) for each side,
    "Find" lists the people who can be paired (a GET, no script needed), pick one of each."""
    return Template(
        template_name="suggestions/new_pair.html",
        context={
            "coordinator": coordinator,
            "region": region,
            "locals": find_pairable(session, region, "local", typed[0], chosen=chosen[0]),
            "newcomers": find_pairable(session, region, "newcomer", typed[1], chosen=chosen[1]),
            "local_q": typed[0],
            "newcomer_q": typed[1],
            "shown_at_most": PAIRABLE_SHOWN,
            "chosen_local": chosen[0],
            "chosen_newcomer": chosen[1],
            "check": check,
            "words": cards.score_words(check.score) if check else None,
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
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    slug: FromPath[str],
    local_q: FromQuery[str] = "",
    newcomer_q: FromQuery[str] = "",
    local: FromQuery[str] = "",
    newcomer: FromQuery[str] = "",
) -> Template:
    region = get_region_for(db, coordinator, slug)
    return _new_pair_page(
        db,
        region,
        coordinator,
        locale=i18n.negotiate(request),
        typed=(_typed(local_q), _typed(newcomer_q)),
        chosen=(_typed(local), _typed(newcomer)),
    )


def _typed(text: str) -> str:
    return clean_text(text, max_length=SEARCH_MAX)


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
    typed = (_typed(single(data, "local_q")), _typed(single(data, "newcomer_q")))
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
                typed=typed,
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
            typed=typed,
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
