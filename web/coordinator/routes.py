"""The coordinator's area: the dashboard (first page after login), the participant
list and a participant's page. Every route here needs a logged-in coordinator and
finds records through ``web.core.access`` (404 for another region's ids)."""

from __future__ import annotations

from datetime import datetime

from litestar import Request, Router, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from web.coordinator import people, search, standing
from web.coordinator.dashboard import LIMIT, build, today_of
from web.core import audit, i18n, reach
from web.core.access import visible_regions
from web.core.auth import coordinator_required
from web.core.dates import local_date
from web.core.deps import AppSettings, CurrentCoordinator, DbSession
from web.core.forms import clean_text
from web.core.i18n import N_
from web.core.models import Consent, Coordinator, utcnow
from web.core.vocabulary import HELP_TOPICS, LANGUAGES, LEVEL_LABELS, WORRYING_CHECKIN_RULE
from web.tandems import notes

SEARCH_MAX = 100  # characters of a search
VETTABLE_STATUSES = ("pending", "active", "paused")  # as web.review.review.VETTING_STATUSES
NOTES_FLASH = {"noted": N_("Your note is saved.")}
DASHBOARD_FLASH = {
    "handled": N_("The report is marked as handled."),
    "already_handled": N_("Someone had already marked this report as handled."),
    "in_touch": N_("Marked as done: the partners are in touch."),
}


@get("/", name="dashboard", sync_to_thread=True)
def dashboard(
    db: DbSession, coordinator: CurrentCoordinator, done: FromQuery[str] = ""
) -> Template:
    now = utcnow()
    return Template(
        template_name="coordinator/dashboard.html",
        context={
            "coordinator": coordinator,
            "board": build(db, coordinator, now=now),
            "limit": LIMIT,
            "contact_tasks": reach.open_tasks(db, coordinator),  # issue 16
            "worrying_rule": WORRYING_CHECKIN_RULE,
            "flash": DASHBOARD_FLASH.get(done),
        },
    )


# --- the participant list ----------------------------------------------------------------------


@get("/participants", name="participants_list", sync_to_thread=True)
def participants_list(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    page: FromQuery[str] = "",
) -> Template:
    regions = visible_regions(db, coordinator)
    places = people.places_of(db, regions)
    filters = people.ListQuery.parse(dict(request.query_params), regions=regions, places=places)
    today = today_of(utcnow())
    participants, shown = people.participant_rows(
        db,
        coordinator,
        filters,
        page=page,
        page_size=filters.page_size(settings.page_size),
        today=today,
    )
    locale = i18n.negotiate(request)
    return Template(
        template_name="coordinator/participants/list.html",
        # A value that is none of the choices (a hand-made URL): named above the list,
        # which shows what the other filters find.
        status_code=HTTP_400_BAD_REQUEST if filters.errors else HTTP_200_OK,
        context={
            "coordinator": coordinator,
            "participants": participants,
            "total": shown.total,
            "page": shown,
            "filters": filters,
            "query_string": filters.query_string(),
            "regions": regions,
            "places": places,
            "standings": standing.STANDINGS,
            "standing_of": standing.of_people(db, participants, today=today),
            "sorts": people.SORTS,
            "page_sizes": people.PAGE_SIZES,
            "default_size": settings.page_size,
            "languages": sorted(
                LANGUAGES.items(), key=lambda item: i18n.translations(locale).gettext(item[1])
            ),
            "help_topics": HELP_TOPICS,
            "levels": LEVEL_LABELS,
            "day": lambda moment: local_date(moment, locale=locale),
        },
    )


# --- find anyone --------------------------------------------------------------------------------


@get("/search", name="search_people", sync_to_thread=True)
def search_people(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, q: FromQuery[str] = ""
) -> Template:
    query = clean_text(q, max_length=SEARCH_MAX)
    found = search.find(db, coordinator, query)
    locale = i18n.negotiate(request)
    return Template(
        template_name="coordinator/search.html",
        context={
            "coordinator": coordinator,
            "q": query,
            "people": found,
            "limit": search.LIMIT,
            "standings": standing.STANDINGS,
            "standing_of": standing.of_people(db, found, today=today_of(utcnow())),
            "day": lambda moment: local_date(moment, locale=locale),
        },
    )


# --- one participant ---------------------------------------------------------------------


@get(
    "/participants/{public_id:str}",
    name="participant_detail",
    sync_to_thread=True,
    opt={"writes": True},  # every view is audited
)
def participant_detail(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    person = people.person_with_details(db, coordinator, public_id)
    now = utcnow()
    # Who looked at whose profile is audited (ids only): the one GET that writes.
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action="participant.viewed",
        subject_type="participant",
        subject_id=person.id,
    )
    locale = i18n.negotiate(request)
    vetted_by = None
    if person.vetting is not None and person.vetting.seen_by_id is not None:
        vetted_by = db.get(Coordinator, person.vetting.seen_by_id)
    return Template(
        template_name="coordinator/participants/detail.html",
        context={
            "coordinator": coordinator,
            "person": person,
            "consents": sorted(person.consents, key=_consent_order),
            "vetted_by": vetted_by.display_name if vetted_by is not None else None,
            "tandems": people.tandems_of(db, person),
            "flash": NOTES_FLASH.get(done or ""),
            "today": today_of(now),
            "when": lambda moment: local_date(moment, locale=locale),
            "vettable": VETTABLE_STATUSES,
            **notes.partial_context(db, locale=locale, participant=person),
        },
    )


def _consent_order(consent: Consent) -> tuple[str, datetime]:
    return (consent.purpose, consent.given_at)


router = Router(
    path="/coordinator",
    route_handlers=[dashboard, participants_list, search_people, participant_detail],
    guards=[coordinator_required],
)
