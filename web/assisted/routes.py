"""Coordinators act for people without e-mail (issue 16): register them, record their
answers to proposals, tick off what they told them by phone. Every route needs a
logged-in coordinator and sees only the coordinator's regions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from web.assisted import assisted
from web.core import i18n, participants, reach
from web.core.access import get_tandem_for, region_ids_of
from web.core.auth import coordinator_required
from web.core.deps import AppSettings, CurrentCoordinator, DbSession, FormData, RowId
from web.core.form_context import form_context
from web.core.forms import ParticipantForm, parse_participant_form, single
from web.core.i18n import N_
from web.core.models import Coordinator, Participant, utcnow
from web.core.vocabulary import REQUEST_WAYS, ROLES
from web.proposals import proposals
from web.signup.writer import send_profile_link

NOT_YOUR_REGION = N_("This town is not in one of your regions.")


def _role(role: str) -> str:
    if role not in ROLES:
        raise NotFoundException()
    return role


def _page(
    db: Session,
    form: ParticipantForm,
    coordinator: Coordinator,
    *,
    consent_method: str = "",
    found: list[Participant] | None = None,
    status_code: int = 200,
) -> Template:
    context: dict[str, Any] = form_context(form, "assisted", participants.place_suggestions(db))
    context["action"] = f"/coordinator/register/{form.role}"
    context["consent_method"] = consent_method
    context["duplicates"] = found or []
    context["coordinator"] = coordinator
    return Template(
        template_name="assisted/register.html", context=context, status_code=status_code
    )


@get("/register/{role:str}", name="register_form", sync_to_thread=True)
def register_form(role: FromPath[str], db: DbSession, coordinator: CurrentCoordinator) -> Template:
    return _page(db, ParticipantForm(role=_role(role)), coordinator)


@post("/register/{role:str}", name="register_person", sync_to_thread=True)
def register_person(
    role: FromPath[str],
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    data: FormData,
) -> Template | Redirect:
    now = utcnow()
    locale = i18n.negotiate(request)
    switch_to = single(data, "_switch_lang")
    if switch_to and i18n.choose(request, switch_to):
        locale = switch_to
    form = parse_participant_form(
        data,
        role=_role(role),
        this_year=now.year,
        locale=locale,
        email_required=False,
        min_age=settings.min_age_assisted,
    )
    consent_method = single(data, "consent_method")
    if switch_to:  # a language switch is not a submission: keep what was typed, no errors
        form.errors.clear()
        return _page(db, form, coordinator, consent_method=consent_method)
    if consent_method not in assisted.WITNESSED_METHODS:
        form.errors["consent_method"] = N_("Please choose how the person gave their consent.")
    place = participants.served_place(db, form.place) if form.place else None
    region_ids = region_ids_of(db, coordinator)
    if form.place and place is None:
        form.errors["place"] = N_("Please choose your town or village from the list.")
    elif place is not None and region_ids is not None and place.region_id not in region_ids:
        form.errors["place"] = NOT_YOUR_REGION
    if form.email and participants.find_by_email(db, form.email) is not None:
        form.errors["email"] = N_("Someone with this e-mail address is registered already.")
    if form.errors:
        return _page(
            db, form, coordinator, consent_method=consent_method, status_code=HTTP_400_BAD_REQUEST
        )
    assert place is not None  # noqa: S101 (no errors: the town was found)
    found = assisted.duplicates(db, form, region_id=place.region_id)
    if found and single(data, "not_a_duplicate") != "1":
        return _page(
            db,
            form,
            coordinator,
            consent_method=consent_method,
            found=found,
            status_code=HTTP_409_CONFLICT,
        )
    person = assisted.register(
        db,
        form,
        place=place,
        coordinator=coordinator,
        consent_method=consent_method,
        locale=locale,
        now=now,
    )
    if person.email:  # a welcome with their profile link; no address to confirm
        send_profile_link(db, person, settings, now=now)
    return Redirect(
        path=f"/coordinator/participants/{person.public_id}", status_code=HTTP_303_SEE_OTHER
    )


# --- answers on a person's behalf ---------------------------------------------------------------


def _side_of(db: Session, coordinator: Coordinator, public_id: str, side: str) -> tuple[Any, Any]:
    tandem = get_tandem_for(db, coordinator, public_id)
    person = {"local": tandem.local, "newcomer": tandem.newcomer}.get(side)
    if person is None:
        raise NotFoundException()
    return tandem, person


def _answer_page(
    request: Request,
    tandem: Any,
    person: Participant,
    coordinator: Coordinator,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    partner = tandem.newcomer if tandem.local_id == person.id else tandem.local
    locale = i18n.negotiate(request)
    return Template(
        template_name="assisted/answer.html",
        status_code=status_code,
        context={
            "tandem": tandem,
            "person": person,
            "partner": partner,
            "side": "local" if tandem.local_id == person.id else "newcomer",
            "reasons": proposals.redacted_reasons(tandem, locale=locale),
            "due_date": proposals.due_date(tandem, locale=locale) if tandem.answer_due_at else "",
            "error": error,
            "open": tandem.status == "confirmed",
            "coordinator": coordinator,
        },
    )


@get("/proposals/{public_id:str}/{side:str}", name="answer_for_form", sync_to_thread=True)
def answer_for_form(
    public_id: FromPath[str],
    side: FromPath[str],
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
) -> Template:
    tandem, person = _side_of(db, coordinator, public_id, side)
    return _answer_page(request, tandem, person, coordinator)


@post("/proposals/{public_id:str}/{side:str}", name="answer_for", sync_to_thread=True)
def answer_for(
    public_id: FromPath[str],
    side: FromPath[str],
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    data: FormData,
) -> Template | Redirect:
    tandem, person = _side_of(db, coordinator, public_id, side)
    choice, how = single(data, "choice"), single(data, "how")
    if choice not in proposals.CHOICES or how not in REQUEST_WAYS:
        return _answer_page(
            request,
            tandem,
            person,
            coordinator,
            error=N_("Please choose the answer and how the person gave it."),
            status_code=HTTP_400_BAD_REQUEST,
        )
    try:
        proposals.answer_for(
            db, tandem, person, choice, coordinator=coordinator, how=how, now=utcnow()
        )
    except proposals.AnswerError:
        db.refresh(tandem)
        return _answer_page(
            request,
            tandem,
            person,
            coordinator,
            error=N_("This proposal cannot be answered any more."),
            status_code=HTTP_409_CONFLICT,
        )
    return Redirect(path="/coordinator/?done=answer", status_code=HTTP_303_SEE_OTHER)


@post("/tasks/{task_id:int}/done", name="contact_task_done", sync_to_thread=True)
def contact_task_done(task_id: RowId, db: DbSession, coordinator: CurrentCoordinator) -> Redirect:
    task = reach.task_for(db, coordinator, task_id)
    if task is None:
        raise NotFoundException()
    reach.done(
        db,
        participant_id=task.participant_id,
        tandem_id=task.tandem_id,
        kinds=(task.kind,),
        coordinator_id=coordinator.id,
        now=utcnow(),
    )
    return Redirect(path="/coordinator/", status_code=HTTP_303_SEE_OTHER)


router = Router(
    path="/coordinator",
    route_handlers=[register_form, register_person, answer_for_form, answer_for, contact_task_done],
    guards=[coordinator_required],
)
