"""The review queue of new sign-ups, and recording a local's vetting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from web.core.access import get_participant_for
from web.core.auth import coordinator_required
from web.core.deps import CurrentCoordinator, DbSession
from web.core.forms import FormData
from web.core.i18n import N_
from web.core.models import Coordinator, Participant, utcnow
from web.core.vocabulary import SIGNUP_DECLINE_REASONS
from web.review import review

QUEUE = "/coordinator/review"

# What the page says after an action (?done=...); only these keys are ever shown.
FLASH = {
    "approved": N_("Approved: %(name)s can now be matched."),
    "call_requested": N_("Noted: you want to talk to %(name)s first."),
    "declined": N_(
        "The sign-up of %(name)s was declined. They will be told kindly in their language in a"
        " few minutes; until %(until)s you can still undo it."
    ),
    "undone": N_("The decline of %(name)s was undone: they are waiting for review again."),
    "too_late": N_("The decline of %(name)s can no longer be undone: they have been told."),
    "vetted": N_("The certificate of %(name)s is recorded."),
    "already": N_("%(name)s was already handled by someone else; the list is up to date now."),
}


def _see(path: str, done: str, person: Participant) -> Redirect:
    return Redirect(path=path, query_params={"done": done, "who": person.public_id},
                    status_code=HTTP_303_SEE_OTHER)  # fmt: skip


def _flash(db: Session, coordinator: Coordinator, done: str | None, who: str | None) -> dict | None:
    if done not in FLASH or not who:
        return None
    try:
        person = get_participant_for(db, coordinator, who)
    except NotFoundException:
        return None
    now = utcnow()
    return {
        "kind": done,
        "message": FLASH[done],
        "name": full_name(person),
        "until": review.undo_until(person),
        "undo": person.public_id
        if done == "declined" and review.can_undo(person, now=now)
        else None,
    }


def full_name(person: Participant) -> str:
    return f"{person.first_name} {person.last_name}" if person.last_name else person.first_name


def _queue_page(
    db: Session,
    coordinator: Coordinator,
    *,
    flash: dict | None = None,
    failed: tuple[str, review.DeclineForm] | None = None,
) -> Template:
    now = utcnow()
    today = now.date()
    return Template(
        template_name="review/queue.html",
        context={
            "coordinator": coordinator,
            "pending": review.pending_signups(db, coordinator),
            "unvetted": review.unvetted_locals(db, coordinator),
            "declined": review.recently_declined(db, coordinator, now=now),
            "flash": flash,
            "today": today,
            "age": lambda person: review.age(person, today=today),
            "full_name": full_name,
            "undo_until": review.undo_until,
            "vetting_form": review.VettingForm(),
            "decline_reasons": SIGNUP_DECLINE_REASONS,
            "failed": failed,
        },
        status_code=HTTP_400_BAD_REQUEST if failed else 200,
    )


@get("/review", name="review_queue", sync_to_thread=True)
def review_queue(
    db: DbSession,
    coordinator: CurrentCoordinator,
    done: FromQuery[str | None] = None,
    who: FromQuery[str | None] = None,
) -> Template:
    return _queue_page(db, coordinator, flash=_flash(db, coordinator, done, who))


def _decide(
    db: Session, coordinator: Coordinator, public_id: str, action: Callable[..., None], done: str
) -> Redirect:
    person = get_participant_for(db, coordinator, public_id)
    try:
        action(db, person, coordinator=coordinator, now=utcnow())
    except review.AlreadyHandled:
        return _see(QUEUE, "already", person)
    return _see(QUEUE, done, person)


@post("/review/{public_id:str}/approve", name="approve_signup", sync_to_thread=True)
def approve_signup(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str]
) -> Redirect:
    return _decide(db, coordinator, public_id, review.approve, "approved")


@post("/review/{public_id:str}/call", name="request_call", sync_to_thread=True)
def request_call(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str]
) -> Redirect:
    return _decide(db, coordinator, public_id, review.request_call, "call_requested")


@post("/review/{public_id:str}/decline", name="decline_signup", sync_to_thread=True)
def decline_signup(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str], data: FormData
) -> Template | Redirect:
    person = get_participant_for(db, coordinator, public_id)
    form = review.parse_decline_form(data)
    if form.errors:
        return _queue_page(db, coordinator, failed=(person.public_id, form))
    try:
        review.decline(db, person, coordinator=coordinator, reason=form.reason, note=form.note,
                       now=utcnow())  # fmt: skip
    except review.AlreadyHandled:
        return _see(QUEUE, "already", person)
    return _see(QUEUE, "declined", person)


@post("/review/{public_id:str}/undo", name="undo_decline", sync_to_thread=True)
def undo_decline(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str]
) -> Redirect:
    person = get_participant_for(db, coordinator, public_id)
    try:
        review.undo_decline(db, person, coordinator=coordinator, now=utcnow())
    except review.TooLateToUndo:
        return _see(QUEUE, "too_late", person)
    return _see(QUEUE, "undone", person)


def _local_for_vetting(db: Session, coordinator: Coordinator, public_id: str) -> Participant:
    person = get_participant_for(db, coordinator, public_id)
    if not review.can_be_vetted(person):
        raise NotFoundException()
    return person


def _vetting_page(
    coordinator: Coordinator, person: Participant, form: review.VettingForm, **extra: Any
) -> Template:
    return Template(
        template_name="review/vetting.html",
        context={"coordinator": coordinator, "person": person, "form": form, **extra},
        status_code=HTTP_400_BAD_REQUEST if form.errors else 200,
    )


@get("/participants/{public_id:str}/vetting", name="vetting_form", sync_to_thread=True)
def vetting_form(
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    person = _local_for_vetting(db, coordinator, public_id)
    return _vetting_page(coordinator, person, review.VettingForm(), saved=done == "vetted")


@post("/participants/{public_id:str}/vetting", name="record_vetting", sync_to_thread=True)
def record_vetting(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str], data: FormData
) -> Template | Redirect:
    person = _local_for_vetting(db, coordinator, public_id)
    today = utcnow().date()
    form = review.parse_vetting_form(data, today=today)
    if form.errors:
        return _vetting_page(coordinator, person, form)
    assert form.parsed_date is not None  # a form without errors has its date
    review.record_vetting(db, person, certificate_date=form.parsed_date,
                          coordinator=coordinator, today=today)  # fmt: skip
    if person.status == "pending":
        return _see(QUEUE, "vetted", person)
    return _see(f"/coordinator/participants/{person.public_id}/vetting", "vetted", person)


router = Router(
    path="/coordinator",
    route_handlers=[
        review_queue,
        approve_signup,
        request_call,
        decline_signup,
        undo_decline,
        vetting_form,
        record_vetting,
    ],
    guards=[coordinator_required],
)
