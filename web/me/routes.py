""" "My profile": self-service for participants, opened from a link in an e-mail, and
their own tandem under /me/tandem ("something is wrong", "end my tandem")."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_429_TOO_MANY_REQUESTS,
)
from sqlalchemy import Engine
from sqlmodel import Session

from web.core import i18n, limits, links, mail, participants, place_names
from web.core.auth import participant_required, start_participant_session
from web.core.dates import local_datetime
from web.core.db import transaction
from web.core.deps import AppSettings, CurrentParticipant, DbSession
from web.core.form_context import form_context
from web.core.forms import (
    EMAIL_ERROR,
    MIN_AGE,
    FormData,
    ParticipantForm,
    clean_text,
    form_from_person,
    is_email,
    parse_participant_form,
    single,
)
from web.core.i18n import N_
from web.core.links import send_profile_link
from web.core.models import Participant, utcnow
from web.core.settings import Settings
from web.core.sql import id_of
from web.core.vocabulary import END_REASONS
from web.events import nearby, signup_routes, whats_on
from web.me import tandem
from web.tandems import lifecycle

logger = logging.getLogger(__name__)


def _see(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


# --- opening a session from an e-mail link ------------------------------------------------------


@get(
    "/me/open/{token:str}",
    name="open_profile_form",
    sync_to_thread=False,
    opt={"skip_session": True},
)
def open_profile_form(token: FromPath[str]) -> Template:
    return Template(template_name="me/open.html", context={"token": token})


@post("/me/open/{token:str}", name="open_profile", sync_to_thread=True)
def open_profile(token: FromPath[str], request: Request, db: DbSession) -> Template | Redirect:
    try:
        person = links.redeem(db, token, "profile", now=utcnow(), single_use=False)
    except links.LinkError as problem:
        return Template(
            template_name="me/link_problem.html",
            status_code=HTTP_400_BAD_REQUEST,
            context={"problem": problem.code},
        )
    participants.touch(db, person, now=utcnow())
    i18n.choose(request, person.locale)
    start_participant_session(request, id_of(person))
    return _see("/me")


@get("/me/new-link", name="new_link_form", sync_to_thread=False, opt={"skip_session": True})
def new_link_form() -> Template:
    return Template(template_name="me/new_link.html", context={"email": ""})


@post("/me/new-link", name="new_link", sync_to_thread=True, opt={"skip_session": True})
def new_link(request: Request, settings: AppSettings, data: FormData) -> Template:
    """The answer is the same, and costs the same, whether or not we know the address:
    both are counted alike, and whether there is anyone to send a link to is looked up
    only after the answer has gone (``send_new_link``, a background task)."""
    now = utcnow()
    # Not cut: an address longer than any address can be is refused below, not shortened.
    email = clean_text(single(data, "email"), max_length=None).lower()
    counts = [(limits.NEW_LINK_PER_CLIENT, limits.client_of(request))]
    if is_email(email):
        counts.append((limits.NEW_LINK_PER_EMAIL, limits.email_key(email, settings.secret_key)))
    try:
        limits.count_each(request.app.state.engine, counts, now=now)
    except TooManyRequestsException as refused:
        return _new_link_page(
            email,
            status=HTTP_429_TOO_MANY_REQUESTS,
            wait_minutes=limits.minutes_to_wait(refused),
            headers=refused.headers,
        )
    if not is_email(email):
        return _new_link_page(email, error=EMAIL_ERROR, status=HTTP_400_BAD_REQUEST)
    return Template(
        template_name="me/new_link.html",
        context={"email": email, "sent": True},
        background=BackgroundTask(
            send_new_link, request.app.state.engine, settings, email, now=now
        ),
    )


def _new_link_page(email: str, *, status: int, headers: Any = None, **context: Any) -> Template:
    return Template(
        template_name="me/new_link.html",
        status_code=status,
        context={"email": email, **context},
        headers=headers,
    )


def send_new_link(engine: Engine, settings: Settings, email: str, *, now: datetime) -> None:
    """Send a link to ``email`` if someone signed up with it; nothing otherwise."""
    try:
        with transaction(engine) as db:
            person = participants.find_by_email(db, email)
            if person is not None:
                send_profile_link(db, person, settings, now=now)
    except Exception:  # after the answer: nobody to tell but the log
        logger.exception("sending a new link failed")


# --- the profile itself ---------------------------------------------------------------------------


@get("/me", name="profile", sync_to_thread=True, opt={"writes": True})
def profile(
    request: Request,
    db: DbSession,
    person: CurrentParticipant,
    settings: AppSettings,
    confirmed: FromQuery[bool] = False,
    event: FromQuery[str | None] = None,
) -> Template:
    """``writes``: the private calendar feed's address is made on the first visit."""
    locale = i18n.negotiate(request)
    return Template(
        template_name="me/profile.html",
        context={
            "person": person,
            "confirmed": confirmed,
            "my_tandems": tandem.current_tandems(db, person),
            "events_near": nearby.for_person(db, person, now=utcnow()),
            "when": lambda moment: local_datetime(moment, locale=locale, weekday=True),
            **signup_routes.profile_context(
                db, person, base_url=settings.base_url, secret_key=settings.secret_key,
                event=event,
            ),
        },
    )  # fmt: skip


@get("/me/edit", name="edit_profile_form", sync_to_thread=True)
def edit_profile_form(db: DbSession, person: CurrentParticipant) -> Template:
    place = db.get(participants.Place, person.place_id)
    form = form_from_person(person, place.name if place else "")
    return Template(
        template_name="signup/form.html",
        context=_edit_context(db, form),
    )


@post("/me/edit", name="edit_profile", sync_to_thread=True)
def edit_profile(
    request: Request,
    db: DbSession,
    person: CurrentParticipant,
    data: FormData,
    settings: AppSettings,
) -> Template | Redirect:
    now = utcnow()
    form = parse_participant_form(
        {**data, "email": person.email or ""},  # the address is the login: not changed here
        role=person.role,
        this_year=now.year,
        with_consent=False,
        locale=i18n.negotiate(request),
        email_required=bool(person.email),
        min_age=settings.min_age_assisted if person.registered_by_id else MIN_AGE,
    )
    switch_to = single(data, "_switch_lang")
    if switch_to and i18n.choose(request, switch_to):
        form.errors.clear()
        return Template(
            template_name="signup/form.html",
            context=_edit_context(db, form),
        )
    place = participants.served_place(db, form.place) if form.place else None
    if form.place and place is None and "place" not in form.errors:
        form.errors["place"] = place_names.unknown_place_message(form.place)
    if form.errors:
        return Template(
            template_name="signup/form.html",
            status_code=HTTP_400_BAD_REQUEST,
            context=_edit_context(db, form),
        )
    assert place is not None  # the form requires a place: it has no errors
    participants.update_profile(db, person, form, place=place, now=now)
    return _see("/me")


@post("/me/pause", name="pause", sync_to_thread=True)
def pause(db: DbSession, person: CurrentParticipant) -> Redirect:
    participants.pause(db, person, now=utcnow())
    return _see("/me")


@post("/me/resume", name="resume", sync_to_thread=True)
def resume(db: DbSession, person: CurrentParticipant) -> Redirect:
    participants.resume(db, person, now=utcnow())
    return _see("/me")


@post("/me/whats-on", name="switch_whats_on", sync_to_thread=True)
def switch_whats_on(db: DbSession, person: CurrentParticipant, data: FormData) -> Redirect:
    """The monthly "what's on" e-mail, off or on again (issue 17)."""
    choice = single(data, "mail")
    if choice in ("on", "off"):
        whats_on.switch(db, person, on=choice == "on", now=utcnow())
    return _see("/me#whats-on")


@post("/me/withdraw", name="withdraw", sync_to_thread=True)
def withdraw(db: DbSession, person: CurrentParticipant) -> Redirect:
    participants.withdraw(db, person, now=utcnow())
    return _see("/me")


@get("/me/export", name="export", sync_to_thread=True)
def export(db: DbSession, person: CurrentParticipant) -> Response[bytes]:
    body = json.dumps(participants.export(db, person), ensure_ascii=False, indent=2)
    return Response(
        content=body.encode(),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="tandem-my-data.json"'},
    )


@post("/me/erase", name="erase", sync_to_thread=True)
def erase(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    person: CurrentParticipant,
    data: FormData,
) -> Template | Redirect:
    if not single(data, "confirm"):
        return Template(
            template_name="me/profile.html",
            status_code=HTTP_400_BAD_REQUEST,
            context={"person": person, "erase_error": True},
        )
    participants.erase(
        db,
        person,
        now=utcnow(),
        ledger=Path(settings.erasure_ledger),
        mail_dir=mail.file_mail_dir(settings),
    )
    request.clear_session()
    return _see("/me/erased")


@get("/me/erased", name="erased", sync_to_thread=False, opt={"skip_session": True})
def erased() -> Template:
    return Template(template_name="me/erased.html")


@post("/me/logout", name="participant_logout", sync_to_thread=False)
def participant_logout(request: Request) -> Redirect:
    request.clear_session()
    return _see("/")


# --- my tandem: /me/tandem/... -------------------------------------------------------------

PARTNER_FLASH = {
    "reported": N_(
        "Thank you for telling us. A coordinator will look at it and get in touch with you."
    ),
    "ended": N_("Your tandem has ended. We have let your partner know, kindly."),
    "urgent": N_(
        "Thank you for telling us. Your coordinator has been alerted and will get in touch with"
        " you as soon as possible. If you are in danger now, call the police: 110."
    ),
}
PARTNER_MESSAGES = {
    "kind": N_("Please choose what is wrong."),
    "reason": N_("Please choose why you want to end the tandem."),
    "not_current": N_("This tandem has already ended."),
    "not_allowed": N_("This tandem has already ended."),
    "confirm": N_("Please tick the box to confirm."),
}


def _my(db: Session, person: Participant, public_id: str) -> tandem.MyTandem:
    mine = tandem.my_tandem(db, person, public_id)
    if mine is None:
        raise NotFoundException()
    return mine


def _my_page(
    mine: tandem.MyTandem,
    person: Participant,
    *,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="me/tandem.html",
        status_code=status_code,
        context={
            "person": person,
            "mine": mine,
            "flash": PARTNER_FLASH.get(done or ""),
            "tandem_error": PARTNER_MESSAGES.get(error or ""),
            "tandem_form": form or {},
        },
    )


@get("/me/tandem/{public_id:str}", name="my_tandem", sync_to_thread=True)
def my_tandem(
    db: DbSession,
    person: CurrentParticipant,
    public_id: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    return _my_page(_my(db, person, public_id), person, done=done)


@post("/me/tandem/{public_id:str}/report", name="report_problem", sync_to_thread=True)
def report_problem(
    db: DbSession,
    settings: AppSettings,
    person: CurrentParticipant,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    mine = _my(db, person, public_id)
    kind, note, urgent = single(data, "kind"), single(data, "note"), bool(single(data, "urgent"))
    try:
        tandem.report(
            db, mine, person, kind=kind, note=note, now=utcnow(), urgent=urgent,
            base_url=settings.base_url, coordinator_locale=settings.default_locale,
        )  # fmt: skip
    except tandem.ProblemError as problem:
        status = (
            HTTP_409_CONFLICT if isinstance(problem, tandem.NotCurrent) else HTTP_400_BAD_REQUEST
        )
        return _my_page(
            mine,
            person,
            error=problem.code,
            status_code=status,
            form={"kind": kind, "note": note[: tandem.NOTE_MAX], "urgent": "1" if urgent else ""},
        )
    return _see(f"/me/tandem/{mine.public_id}?done={'urgent' if urgent else 'reported'}")


@post("/me/tandem/{public_id:str}/end", name="end_my_tandem", sync_to_thread=True)
def end_my_tandem(
    db: DbSession,
    settings: AppSettings,
    person: CurrentParticipant,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    mine = _my(db, person, public_id)
    reason = single(data, "reason")
    form = {"reason": reason}
    if not mine.is_current:
        return _my_page(mine, person, error="not_current", status_code=HTTP_409_CONFLICT)
    if reason not in END_REASONS:
        return _my_page(mine, person, error="reason", form=form, status_code=HTTP_400_BAD_REQUEST)
    if not single(data, "confirm"):
        return _my_page(mine, person, error="confirm", form=form, status_code=HTTP_400_BAD_REQUEST)
    try:
        tandem.end_by_partner(
            db, mine, person, reason=reason, now=utcnow(), base_url=settings.base_url
        )
    except lifecycle.LifecycleError as problem:
        status = (
            HTTP_409_CONFLICT
            if isinstance(problem, lifecycle.TransitionNotAllowed)
            else HTTP_400_BAD_REQUEST
        )
        return _my_page(mine, person, error=problem.code, form=form, status_code=status)
    return _see(f"/me/tandem/{mine.public_id}?done=ended")


def build_router() -> Router:
    signed_in = Router(
        path="/",
        guards=[participant_required],
        route_handlers=[
            profile,
            edit_profile_form,
            edit_profile,
            pause,
            resume,
            withdraw,
            switch_whats_on,
            export,
            erase,
            participant_logout,
            my_tandem,
            report_problem,
            end_my_tandem,
        ],
    )
    return Router(
        path="/",
        route_handlers=[
            open_profile_form,
            open_profile,
            new_link_form,
            new_link,
            erased,
            signed_in,
        ],
    )


def _edit_context(db: Session, form: ParticipantForm) -> dict[str, Any]:
    return form_context(form, "edit", participants.place_suggestions(db))
