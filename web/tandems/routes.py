"""Tandems after the match: the coordinator's list and tandem page (pause, resume, end,
re-match, fit check, problem reports, notes) and notes on a person. The partner's side
("something is wrong", "end my tandem") lives under /me in ``web.me``.

Handlers find records through ``web.core.access`` (404 for another region's ids); bad
input is a 400 with the page and a message, a step the tandem's state does not allow a
409 — never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from web.core import audit, i18n, params
from web.core.access import get_participant_for, get_tandem_for, visible_regions
from web.core.auth import coordinator_required
from web.core.dates import PROGRAMME_TIMEZONE, local_date
from web.core.deps import AppSettings, CurrentCoordinator, DbSession, RowId
from web.core.forms import FormData, single
from web.core.i18n import N_
from web.core.models import Coordinator, Tandem, utcnow
from web.core.vocabulary import WORRYING_CHECKIN_RULE
from web.places import first_meeting
from web.tandems import in_touch, lifecycle, notes, overview, problems

STATUS_LABELS = {
    "proposed": N_("Waiting for both answers"),
    # Translators: the state of a tandem (two people meeting): active = meeting, paused = on hold.
    "active": N_("Active"),
    "paused": N_("Paused"),
    "ended": N_("Ended"),
}
# The list's status filter: key → statuses shown.
FILTER_LABELS = {
    "current": N_("Active and paused"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "ended": N_("Ended"),
    "all": N_("All"),
}
ENDED_BY_LABELS = {
    "coordinator": N_("a coordinator"),
    "local": N_("the local partner"),
    "newcomer": N_("the newcomer"),
}
FLASH = {
    "paused": N_("The tandem is paused."),
    "resumed": N_("The tandem is active again."),
    "ended": N_("The tandem has ended. Both partners' places are free again."),
    "rematched": N_(
        "The tandem has ended and the newcomer is back in the queue; "
        "their waiting time counts from their original date."
    ),
    "requeued": N_("The newcomer is back in the queue with their waiting time credited."),
    "fit_checked": N_("The fit check is recorded."),
    "noted": N_("Your note is saved."),
    "handled": N_("The report is marked as handled."),
    "already_handled": N_("Someone had already marked this report as handled."),
    "in_touch": N_("Marked as done: the partners are in touch."),
    "first_meeting": N_("The first meeting is saved. Both partners get an e-mail about it."),
    "first_meeting_cleared": N_("The partners agree on their first meeting themselves."),
}
MESSAGES = {
    "not_allowed": N_(
        "That is not possible any more: the tandem is now “%(status)s”. "
        "The page shows its current state."
    ),
    "reason": N_("Please choose a reason for the end."),
    "end_date": N_("Please enter a date between the start of the tandem and today."),
    "empty_note": N_("Please write a note first."),
    "kind": N_("Please choose what is wrong."),
    "not_current": N_("This tandem has already ended."),
    "handled_note": N_("Please write what was done."),
}
MOOD_FACES = {1: "😟", 2: "🙁", 3: "😐", 4: "🙂", 5: "😀"}


def _see(path: str, done: str | None = None, *, anchor: str = "") -> Redirect:
    target = f"{path}?done={done}" if done else path
    return Redirect(path=f"{target}#{anchor}" if anchor else target, status_code=HTTP_303_SEE_OTHER)


def _today(now: datetime) -> date:
    """Today in the programme's time zone (the end form's default date)."""
    return now.astimezone(PROGRAMME_TIMEZONE).date() if PROGRAMME_TIMEZONE else now.date()


# --- the coordinator's list -------------------------------------------------------------------


@get("/tandems", name="tandems_list", sync_to_thread=True)
def tandems_list(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    status: FromQuery[str] = "current",
    page: FromQuery[str] = "",
) -> Template:
    if status not in overview.FILTERS:
        status = "current"
    locale = i18n.negotiate(request)
    rows, shown = overview.tandem_rows(
        db, coordinator, status=status, page=page, page_size=settings.page_size
    )
    return Template(
        template_name="tandems/list.html",
        context={
            "coordinator": coordinator,
            "rows": rows,
            "status": status,
            "filters": FILTER_LABELS,
            "status_labels": STATUS_LABELS,
            "total": shown.total,
            "page": shown,
            "day": lambda moment: local_date(moment, locale=locale),
        },
    )


# --- the coordinator's tandem page ------------------------------------------------------------


def _detail(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    tandem: Tandem,
    *,
    done: str | None = None,
    error: str | None = None,
    error_args: dict[str, str] | None = None,
    note_error: str | None = None,
    note_draft: str = "",
    meeting_form: first_meeting.MeetingForm | None = None,
    status_code: int = 200,
) -> Template:
    locale = i18n.negotiate(request)
    now = utcnow()
    db.refresh(tandem)
    checkins = overview.checkins_of(db, tandem)
    region = next((r for r in visible_regions(db, coordinator) if r.id == tandem.region_id), None)
    fit_due = tandem.fit_check_due_at
    return Template(
        template_name="tandems/detail.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "tandem": tandem,
            "region": region.name if region else "",
            "status_labels": STATUS_LABELS,
            "ended_by_labels": ENDED_BY_LABELS,
            "checkins": checkins,
            "faces": MOOD_FACES,
            "worrying_rule": WORRYING_CHECKIN_RULE,
            "reports": problems.for_tandem(db, tandem),
            "can_rematch": lifecycle.can_rematch(db, tandem),
            "fit_check_overdue": bool(
                fit_due
                and fit_due <= now
                and tandem.fit_checked_at is None
                and tandem.status in ("active", "paused")
            ),
            "flash": FLASH.get(done or ""),
            "error": MESSAGES.get(error or ""),
            "error_args": error_args or {},
            "today": _today(now).isoformat(),
            "day": lambda moment: local_date(moment, locale=locale),
            **notes.partial_context(
                db, locale=locale, tandem=tandem, error=note_error, draft=note_draft
            ),
            **first_meeting.partial_context(db, tandem, locale=locale, form=meeting_form),
        },
    )


def _tandem_path(tandem: Tandem) -> str:
    return f"/coordinator/tandems/{tandem.public_id}"


def _refused(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    tandem: Tandem,
    problem: lifecycle.LifecycleError,
) -> Template:
    if isinstance(problem, lifecycle.TransitionNotAllowed):
        db.refresh(tandem)
        return _detail(
            request,
            db,
            coordinator,
            tandem,
            error="not_allowed",
            error_args={"status": STATUS_LABELS.get(tandem.status, tandem.status)},
            status_code=HTTP_409_CONFLICT,
        )
    return _detail(
        request, db, coordinator, tandem, error=problem.code, status_code=HTTP_400_BAD_REQUEST
    )


@get("/tandems/{public_id:str}", name="tandem_detail", sync_to_thread=True)
def tandem_detail(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    tandem = _open(db, coordinator, public_id)
    audit.write(
        db,
        now=utcnow(),
        actor=coordinator,
        action="tandem.viewed",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    return _detail(request, db, coordinator, tandem, done=done)


def _open(db: Session, coordinator: Coordinator, public_id: str) -> Tandem:
    tandem = get_tandem_for(db, coordinator, public_id)
    if tandem.status not in STATUS_LABELS:
        raise NotFoundException()  # suggestions and closed proposals live elsewhere
    return tandem


def _change(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    public_id: str,
    change: Callable[..., object],
    done: str,
) -> Template | Redirect:
    """Apply a life-cycle step that needs no form; a refused step shows the tandem again."""
    tandem = _open(db, coordinator, public_id)
    try:
        change(db, tandem, actor=coordinator, now=utcnow())
    except lifecycle.LifecycleError as problem:
        return _refused(request, db, coordinator, tandem, problem)
    return _see(_tandem_path(tandem), done)


@post("/tandems/{public_id:str}/pause", name="tandem_pause", sync_to_thread=True)
def tandem_pause(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str]
) -> Template | Redirect:
    return _change(request, db, coordinator, public_id, lifecycle.pause, "paused")


@post("/tandems/{public_id:str}/resume", name="tandem_resume", sync_to_thread=True)
def tandem_resume(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str]
) -> Template | Redirect:
    return _change(request, db, coordinator, public_id, lifecycle.resume, "resumed")


def _end_moment(data: dict[str, Any], tandem: Tandem, now: datetime) -> datetime:
    raw = single(data, "ended_on").strip()
    if not raw:
        return now
    try:
        day = params.day(raw)
    except params.BadValue as exc:
        raise lifecycle.InvalidEndDate(raw) from exc
    return lifecycle.end_moment(day, tandem=tandem, now=now)


@post("/tandems/{public_id:str}/end", name="tandem_end", sync_to_thread=True)
def tandem_end(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    tandem = _open(db, coordinator, public_id)
    now = utcnow()
    try:
        if tandem.status not in ("active", "paused"):
            raise lifecycle.TransitionNotAllowed(tandem, "ended")
        at = _end_moment(data, tandem, now)
        lifecycle.end(
            db,
            tandem,
            reason=single(data, "reason"),
            by="coordinator",
            now=now,
            actor=coordinator,
            at=at,
        )
    except lifecycle.LifecycleError as problem:
        return _refused(request, db, coordinator, tandem, problem)
    return _see(_tandem_path(tandem), "ended")


@post("/tandems/{public_id:str}/rematch", name="tandem_rematch", sync_to_thread=True)
def tandem_rematch(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    tandem = _open(db, coordinator, public_id)
    now = utcnow()
    try:
        at = _end_moment(data, tandem, now) if tandem.status in ("active", "paused") else None
        result = lifecycle.rematch(
            db, tandem, coordinator=coordinator, now=now, reason=single(data, "reason"), at=at
        )
    except lifecycle.LifecycleError as problem:
        return _refused(request, db, coordinator, tandem, problem)
    return _see(_tandem_path(tandem), "rematched" if result.ended else "requeued")


@post("/tandems/{public_id:str}/fit-check", name="tandem_fit_check", sync_to_thread=True)
def tandem_fit_check(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str]
) -> Template | Redirect:
    return _change(request, db, coordinator, public_id, lifecycle.mark_fit_checked, "fit_checked")


@post("/tandems/{public_id:str}/first-meeting", name="tandem_first_meeting", sync_to_thread=True)
def tandem_first_meeting(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    """Pick one of the suggested places and a time for the first meeting, or leave it."""
    tandem = _open(db, coordinator, public_id)
    if tandem.status not in first_meeting.OPEN_STATUSES:
        return _refused(
            request, db, coordinator, tandem, lifecycle.TransitionNotAllowed(tandem, tandem.status)
        )
    now = utcnow()
    form = first_meeting.parse_meeting_form(data, first_meeting.options_for(db, tandem), now=now)
    if form.errors:
        return _detail(request, db, coordinator, tandem, meeting_form=form,
                       status_code=HTTP_400_BAD_REQUEST)  # fmt: skip
    chosen = first_meeting.save(db, tandem, form, coordinator=coordinator, now=now)
    done = "first_meeting" if chosen else "first_meeting_cleared"
    return _see(_tandem_path(tandem), done, anchor="first-meeting")


@post("/tandems/{public_id:str}/notes", name="tandem_add_note", sync_to_thread=True)
def tandem_add_note(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    tandem = _open(db, coordinator, public_id)
    body = single(data, "body")
    try:
        notes.add(db, author=coordinator, body=body, now=utcnow(), tandem=tandem)
    except notes.EmptyNote:
        return _detail(
            request,
            db,
            coordinator,
            tandem,
            note_error=MESSAGES["empty_note"],
            note_draft=body[: notes.BODY_MAX],
            status_code=HTTP_400_BAD_REQUEST,
        )
    return _see(_tandem_path(tandem), "noted", anchor="notes")


def _back_to(tandem: Tandem, back: str, done: str, *, anchor: str = "") -> Redirect:
    """After a step taken from the dashboard, back there; else to the tandem's page."""
    if back == "dashboard":
        return _see("/coordinator/", done)
    return _see(_tandem_path(tandem), done, anchor=anchor)


@get(
    "/tandems/{public_id:str}/problems/{report_id:int}/handle",
    name="problem_handle_form",
    sync_to_thread=True,
)
def problem_handle_form(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    report_id: RowId,
    back: FromQuery[str] = "",
) -> Template:
    """One report with the "what was done" form (where a form with an error comes back)."""
    tandem = _open(db, coordinator, public_id)
    row = problems.get_for_tandem(db, tandem, report_id)
    if row is None:
        raise NotFoundException()
    return _handle_page(request, coordinator, tandem, row, back=back)


def _handle_page(
    request: Request,
    coordinator: Coordinator,
    tandem: Tandem,
    row: Any,
    *,
    back: str,
    draft: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="tandems/handle_problem.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "tandem": tandem,
            "report": row,
            "back": "dashboard" if back == "dashboard" else "",
            "handle_draft": draft,
            "handle_error": error,
            "note_max": problems.HANDLED_NOTE_MAX,
        },
    )


@post(
    "/tandems/{public_id:str}/problems/{report_id:int}/handle",
    name="problem_handle",
    sync_to_thread=True,
)
def problem_handle(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    report_id: RowId,
    data: FormData,
) -> Template | Redirect:
    tandem = _open(db, coordinator, public_id)
    row = problems.get_for_tandem(db, tandem, report_id)
    if row is None:
        raise NotFoundException()
    back, note = single(data, "back"), single(data, "handled_note")
    try:
        problems.mark_handled(db, row, coordinator=coordinator, note=note, now=utcnow())
    except problems.NoteMissing:
        return _handle_page(
            request,
            coordinator,
            tandem,
            row,
            back=back,
            draft=note[: problems.HANDLED_NOTE_MAX],
            error=MESSAGES["handled_note"],
            status_code=HTTP_400_BAD_REQUEST,
        )
    except problems.AlreadyHandled:
        return _back_to(tandem, back, "already_handled")
    return _back_to(tandem, back, "handled")


@post("/tandems/{public_id:str}/put-in-touch", name="tandem_put_in_touch", sync_to_thread=True)
def tandem_put_in_touch(
    db: DbSession, coordinator: CurrentCoordinator, public_id: FromPath[str], data: FormData
) -> Redirect:
    """The coordinator has put the partners in touch by hand: the dashboard task is done
    (a second click, e.g. a colleague's, changes nothing)."""
    tandem = _open(db, coordinator, public_id)
    in_touch.mark_put_in_touch(db, tandem, coordinator=coordinator, now=utcnow())
    return _back_to(tandem, single(data, "back"), "in_touch")


# --- notes on a person (their page is web.routes' participant detail) ------------------------


@post("/participants/{public_id:str}/notes", name="participant_add_note", sync_to_thread=True)
def participant_add_note(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    person = get_participant_for(db, coordinator, public_id)
    body = single(data, "body")
    try:
        notes.add(db, author=coordinator, body=body, now=utcnow(), participant=person)
    except notes.EmptyNote:
        return Template(
            template_name="tandems/note_problem.html",
            status_code=HTTP_400_BAD_REQUEST,
            context={
                "coordinator": coordinator,
                "person": person,
                **notes.partial_context(
                    db,
                    locale=i18n.negotiate(request),
                    participant=person,
                    error=MESSAGES["empty_note"],
                    draft=body[: notes.BODY_MAX],
                ),
            },
        )
    return _see(f"/coordinator/participants/{person.public_id}", "noted", anchor="notes")


router = Router(
    path="/coordinator",
    guards=[coordinator_required],
    route_handlers=[
        tandems_list,
        tandem_detail,
        tandem_pause,
        tandem_resume,
        tandem_end,
        tandem_rematch,
        tandem_fit_check,
        tandem_add_note,
        tandem_first_meeting,
        problem_handle_form,
        problem_handle,
        tandem_put_in_touch,
        participant_add_note,
    ],
)
