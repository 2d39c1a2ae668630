"""Coordinators act for people without e-mail (issue 16): register them, record their
answers to proposals, tick off what they told them by phone. Every route needs a
logged-in coordinator and sees only the coordinator's regions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from web.assisted import assisted
from web.checkins import checkins
from web.core import audit, i18n, links, mail, participants, place_names, reach
from web.core.access import get_participant_for, get_tandem_for, region_ids_of
from web.core.auth import coordinator_required
from web.core.deps import AppSettings, CurrentCoordinator, DbSession, RowId
from web.core.form_context import form_context
from web.core.forms import (
    FormData,
    ParticipantForm,
    form_from_person,
    parse_participant_form,
    single,
)
from web.core.i18n import N_
from web.core.models import Coordinator, Participant, utcnow
from web.core.vocabulary import MEETING_FREQUENCIES, REQUEST_WAYS, ROLES
from web.proposals import proposals

NOT_YOUR_REGION = N_("This town is not in one of your regions.")
ADDRESS_TAKEN = N_("Someone with this e-mail address is registered already.")
NO_ADDRESS = N_(
    "This person has no e-mail address, so no link can be sent. If they have one now, add it "
    "with “Correct their data”."
)
CHOOSE_A_LANGUAGE = N_("Please choose a language from the list.")


def _role(role: str) -> str:
    if role not in ROLES:
        raise NotFoundException()
    return role


def _page(
    db: Session,
    form: ParticipantForm,
    coordinator: Coordinator,
    *,
    person_locale: str,
    consent_method: str = "",
    found: list[Participant] | None = None,
    status_code: int = 200,
) -> Template:
    context: dict[str, Any] = form_context(form, "assisted", participants.place_suggestions(db))
    context["action"] = f"/coordinator/register/{form.role}"
    context["person_locale"] = person_locale
    context["consent_method"] = consent_method
    context["duplicates"] = found or []
    context["coordinator"] = coordinator
    return Template(
        template_name="assisted/register.html", context=context, status_code=status_code
    )


@get("/register/{role:str}", name="register_form", sync_to_thread=True)
def register_form(
    role: FromPath[str], request: Request, db: DbSession, coordinator: CurrentCoordinator
) -> Template:
    form = ParticipantForm(role=_role(role))
    return _page(db, form, coordinator, person_locale=i18n.negotiate(request))


def _person_locale(data: dict[str, Any], form: ParticipantForm) -> str:
    """The language chosen for the person (``person_locale``); an error on ``form`` if none."""
    chosen = single(data, "person_locale")
    if chosen not in i18n.LOCALES:
        form.errors["person_locale"] = CHOOSE_A_LANGUAGE
    return chosen


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
    person_locale = _person_locale(data, form)
    if switch_to:  # a language switch is not a submission: keep what was typed, no errors
        form.errors.clear()
        return _page(
            db, form, coordinator, person_locale=person_locale, consent_method=consent_method
        )
    if consent_method not in assisted.WITNESSED_METHODS:
        form.errors["consent_method"] = N_("Please choose how the person gave their consent.")
    place = participants.served_place(db, form.place) if form.place else None
    region_ids = region_ids_of(db, coordinator)
    if form.place and place is None:
        form.errors["place"] = N_("Please choose your town or village from the list.")
    elif place is not None and region_ids is not None and place.region_id not in region_ids:
        form.errors["place"] = NOT_YOUR_REGION
    if form.email and participants.find_by_email(db, form.email) is not None:
        form.errors["email"] = ADDRESS_TAKEN
    if form.errors:
        return _page(
            db,
            form,
            coordinator,
            person_locale=person_locale,
            consent_method=consent_method,
            status_code=HTTP_400_BAD_REQUEST,
        )
    assert place is not None  # noqa: S101 (no errors: the town was found)
    found = assisted.duplicates(db, form, region_id=place.region_id)
    if found and single(data, "not_a_duplicate") != "1":
        return _page(
            db,
            form,
            coordinator,
            person_locale=person_locale,
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
        locale=person_locale,
        now=now,
    )
    if person.email:  # a welcome with their profile link; no address to confirm
        assisted.welcome(db, person, settings=settings, now=now)
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
            "open": tandem.status == "proposed",
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
    except links.LinkError:
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


@get("/proposals/{public_id:str}/{side:str}/letter", name="proposal_letter", sync_to_thread=True)
def proposal_letter(
    public_id: FromPath[str],
    side: FromPath[str],
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
) -> Template:
    """The proposal on paper, in the language of the page (the link asks for the person's)."""
    tandem, person = _side_of(db, coordinator, public_id, side)
    page = _answer_page(request, tandem, person, coordinator)
    page.template_name = "assisted/letter.html"
    return page


def _checkin_page(
    tandem: Any,
    person: Participant,
    coordinator: Coordinator,
    answers: checkins.Answers,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    partner = tandem.newcomer if tandem.local_id == person.id else tandem.local
    return Template(
        template_name="assisted/checkin.html",
        status_code=status_code,
        context={
            "tandem": tandem,
            "person": person,
            "partner": partner,
            "side": "local" if tandem.local_id == person.id else "newcomer",
            "coordinator": coordinator,
            "answers": answers,
            "error": error,
            "meetings": MEETING_FREQUENCIES,
            "moods": list(checkins.MOODS.items()),
            "note_max": checkins.NOTE_MAX,
        },
    )


@get("/check-ins/{public_id:str}/{side:str}", name="checkin_for_form", sync_to_thread=True)
def checkin_for_form(
    public_id: FromPath[str], side: FromPath[str], db: DbSession, coordinator: CurrentCoordinator
) -> Template:
    tandem, person = _side_of(db, coordinator, public_id, side)
    return _checkin_page(tandem, person, coordinator, checkins.Answers())


@post("/check-ins/{public_id:str}/{side:str}", name="checkin_for", sync_to_thread=True)
def checkin_for(
    public_id: FromPath[str],
    side: FromPath[str],
    db: DbSession,
    coordinator: CurrentCoordinator,
    data: FormData,
) -> Template | Redirect:
    """A check-in answered by phone or in person, recorded by the coordinator (issue 16)."""
    tandem, person = _side_of(db, coordinator, public_id, side)
    answers = checkins.parse_answers(data)
    how = single(data, "how")
    if how not in REQUEST_WAYS:
        answers.errors["how"] = N_("Please choose the answer and how the person gave it.")
    if answers.errors:
        return _checkin_page(tandem, person, coordinator, answers, status_code=HTTP_400_BAD_REQUEST)
    try:
        checkins.answer_for(
            db, tandem, side, answers, coordinator=coordinator, how=how, now=utcnow()
        )
    except links.LinkError:
        return _checkin_page(
            tandem,
            person,
            coordinator,
            answers,
            error=N_("There is no open check-in to answer."),
            status_code=HTTP_409_CONFLICT,
        )
    return Redirect(path="/coordinator/?done=checkin", status_code=HTTP_303_SEE_OTHER)


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


# --- rights on request, for people without e-mail ---------------------------------------------

RIGHTS = ("export", "print", "pause", "resume", "erase", "send_link")


def _rights_page(
    person: Participant,
    coordinator: Coordinator,
    *,
    error: str | None = None,
    status_code: int = 200,
    exported: str | None = None,
    sent: bool = False,
) -> Template:
    return Template(
        template_name="assisted/rights.html",
        status_code=status_code,
        context={
            "person": person,
            "coordinator": coordinator,
            "error": error,
            "exported": exported,
            "sent": sent,
        },
    )


@get("/participants/{public_id:str}/on-request", name="rights_form", sync_to_thread=True)
def rights_form(
    public_id: FromPath[str], db: DbSession, coordinator: CurrentCoordinator
) -> Template:
    return _rights_page(get_participant_for(db, coordinator, public_id), coordinator)


@post("/participants/{public_id:str}/on-request", name="act_on_request", sync_to_thread=True)
def act_on_request(
    public_id: FromPath[str],
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    data: FormData,
) -> Template | Redirect | Response[bytes]:
    """Export, pause, resume or erase a person's data on their request by phone, in person or
    on paper (GDPR Art. 15-21 without e-mail), or send them their profile link again, each
    audited with how they asked. A person without an address gets no link: a message says
    so (nothing is sent, nothing audited)."""
    person = get_participant_for(db, coordinator, public_id)
    action, how = single(data, "action"), single(data, "how")
    if action not in RIGHTS or how not in REQUEST_WAYS:
        return _rights_page(
            person,
            coordinator,
            error=N_("Please choose how the person asked."),
            status_code=HTTP_400_BAD_REQUEST,
        )
    if action == "erase" and single(data, "confirm") != "1":
        return _rights_page(
            person,
            coordinator,
            error=N_("Please tick the box to confirm the erasure."),
            status_code=HTTP_400_BAD_REQUEST,
        )
    now = utcnow()
    subject_id: object = person.id
    if action == "erase":
        participants.erase(
            db,
            person,
            now=now,
            ledger=Path(settings.erasure_ledger),
            mail_dir=mail.file_mail_dir(settings),
        )
        subject_id = participants.ERASED_SUBJECT
    elif action == "pause":
        participants.pause(db, person, now=now, by=coordinator)
    elif action == "resume":
        participants.resume(db, person, now=now, by=coordinator)
    elif (
        action == "send_link" and assisted.send_link(db, person, settings=settings, now=now) is None
    ):
        return _rights_page(person, coordinator, error=NO_ADDRESS, status_code=HTTP_409_CONFLICT)
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action=f"participant.{action}.on_request.{how}",
        subject_type="participant",
        subject_id=subject_id,
    )
    if action == "erase":
        return Redirect(path="/coordinator/participants", status_code=HTTP_303_SEE_OTHER)
    if action == "send_link":
        return _rights_page(person, coordinator, sent=True)
    if action in ("export", "print"):
        body = json.dumps(participants.export(db, person), ensure_ascii=False, indent=2)
        if action == "print":
            return _rights_page(person, coordinator, exported=body)
        return Response(
            content=body.encode(),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="tandem-data.json"'},
        )
    return Redirect(
        path=f"/coordinator/participants/{person.public_id}", status_code=HTTP_303_SEE_OTHER
    )


def _correct_page(
    db: Session,
    person: Participant,
    form: ParticipantForm,
    coordinator: Coordinator,
    *,
    person_locale: str,
    how: str = "",
    status_code: int = 200,
) -> Template:
    context: dict[str, Any] = form_context(form, "edit", participants.place_suggestions(db))
    context.update(
        action=f"/coordinator/participants/{person.public_id}/on-request/correct",
        person=person,
        person_locale=person_locale,
        how=how,
        coordinator=coordinator,
    )
    return Template(template_name="assisted/correct.html", context=context, status_code=status_code)


@get(
    "/participants/{public_id:str}/on-request/correct",
    name="correct_form",
    sync_to_thread=True,
)
def correct_form(
    public_id: FromPath[str], db: DbSession, coordinator: CurrentCoordinator
) -> Template:
    """The person's own profile form, filled with their data, for a coordinator to correct."""
    person = get_participant_for(db, coordinator, public_id)
    place = db.get(participants.Place, person.place_id)
    form = form_from_person(person, place.name if place else "")
    return _correct_page(db, person, form, coordinator, person_locale=person.locale)


@post(
    "/participants/{public_id:str}/on-request/correct",
    name="correct_on_request",
    sync_to_thread=True,
)
def correct_on_request(
    public_id: FromPath[str],
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    data: FormData,
) -> Template | Redirect:
    """Correct a person's data on their request by phone, in person or on paper (GDPR
    Art. 16 without e-mail): the checks and the saving of "Edit my profile", plus their
    language, audited with how they asked."""
    person = get_participant_for(db, coordinator, public_id)
    now = utcnow()
    page_locale = i18n.negotiate(request)
    switch_to = single(data, "_switch_lang")
    if switch_to and i18n.choose(request, switch_to):
        page_locale = switch_to
    form = parse_participant_form(
        data,
        role=person.role,
        this_year=now.year,
        with_consent=False,
        locale=page_locale,
        email_required=False,  # removed: their mails become tasks for their coordinator
        min_age=settings.min_age_assisted,
    )
    person_locale = _person_locale(data, form)
    how = single(data, "how")
    if switch_to:  # a language switch is not a submission: keep what was typed, no errors
        form.errors.clear()
        return _correct_page(db, person, form, coordinator, person_locale=person_locale, how=how)
    if how not in REQUEST_WAYS:
        form.errors["how"] = N_("Please choose how the person asked.")
    place = participants.served_place(db, form.place) if form.place else None
    region_ids = region_ids_of(db, coordinator)
    if form.place and place is None and "place" not in form.errors:
        form.errors["place"] = place_names.unknown_place_message(form.place)
    elif place is not None and region_ids is not None and place.region_id not in region_ids:
        form.errors["place"] = NOT_YOUR_REGION
    if form.errors:
        return _correct_page(
            db,
            person,
            form,
            coordinator,
            person_locale=person_locale,
            how=how,
            status_code=HTTP_400_BAD_REQUEST,
        )
    if form.email and form.email != person.email:
        other = participants.find_by_email(db, form.email)
        if other is not None and other.id != person.id:
            form.errors["email"] = ADDRESS_TAKEN
    if form.errors:
        return _correct_page(
            db,
            person,
            form,
            coordinator,
            person_locale=person_locale,
            how=how,
            status_code=HTTP_409_CONFLICT,
        )
    assert place is not None  # noqa: S101 (the form requires a place: it has no errors)
    try:
        assisted.change_email(
            db,
            person,
            form.email or None,
            coordinator=coordinator,
            how=how,
            settings=settings,
            now=now,
        )
    except assisted.AddressTaken:  # taken a moment ago by another request
        form.errors["email"] = ADDRESS_TAKEN
        return _correct_page(
            db,
            person,
            form,
            coordinator,
            person_locale=person_locale,
            how=how,
            status_code=HTTP_409_CONFLICT,
        )
    participants.update_profile(db, person, form, place=place, now=now, by=coordinator)
    person.locale = person_locale
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action=f"participant.correct.on_request.{how}",
        subject_type="participant",
        subject_id=person.id,
    )
    return Redirect(
        path=f"/coordinator/participants/{person.public_id}", status_code=HTTP_303_SEE_OTHER
    )


# --- paper ----------------------------------------------------------------------------------


@get(
    "/sheet/{role:str}", name="signup_sheet", sync_to_thread=False, opt={"exclude_from_csrf": True}
)
def signup_sheet(role: FromPath[str], settings: AppSettings) -> Template:
    """A sign-up sheet to print, in the page's language (``?lang=``), for a course teacher."""
    return Template(
        template_name="assisted/sheet.html",
        context={
            "role": _role(role),
            "base_url": settings.base_url,
            "consent_version": participants.CONSENT_TEXT_VERSION,
        },
    )


router = Router(
    path="/coordinator",
    route_handlers=[
        register_form,
        register_person,
        answer_for_form,
        answer_for,
        proposal_letter,
        contact_task_done,
        rights_form,
        act_on_request,
        correct_form,
        correct_on_request,
        checkin_for_form,
        checkin_for,
    ],
    guards=[coordinator_required],
)
public_router = Router(path="/", route_handlers=[signup_sheet], opt={"skip_session": True})
routers = [router, public_router]
