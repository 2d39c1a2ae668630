"""Check-ins: a partner answers three questions from the link in the e-mail (no login)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from web.checkins import checkins
from web.core import i18n, links
from web.core.access import get_tandem_for
from web.core.auth import coordinator_required
from web.core.deps import CurrentCoordinator, DbSession, RowId
from web.core.forms import FormData, single
from web.core.models import CheckIn, Tandem, utcnow
from web.core.vocabulary import MEETING_FREQUENCIES

FORM_ID = "checkin-form"


def _speak(request: Request, person: Any) -> None:
    """The pages of a link are in the person's language, unless they picked another."""
    if request.query_params.get(i18n.QUERY_PARAM) not in i18n.LOCALES:
        i18n.choose(request, person.locale)


def _problem(request: Request, db: Session, token: str, problem: links.LinkError) -> Template:
    try:
        _speak(request, checkins.open_link(db, token, now=utcnow()).person)
    except links.LinkError:
        pass  # an unknown link: the visitor's own language
    return Template(
        template_name="checkins/problem.html",
        context={"problem": problem.code},
        status_code=HTTP_400_BAD_REQUEST,
    )


def _form(
    link: links.Link,
    checkin: CheckIn,
    token: str,
    answers: checkins.Answers,
    *,
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="checkins/form.html",
        status_code=status_code,
        context={
            "link": link,
            "checkin": checkin,
            "token": token,
            "partner_name": link.partner.first_name if link.partner else "",
            "answers": answers,
            "meetings": MEETING_FREQUENCIES,
            "moods": [
                (value, checkins.FACES[value], label) for value, label in checkins.MOODS.items()
            ],
            "note_max": checkins.NOTE_MAX,
            "switch_form": FORM_ID,  # the language switch re-submits the form: nothing is lost
        },
    )


@get("/check-in/thanks", name="checkin_thanks", sync_to_thread=False, opt={"skip_session": True})
def checkin_thanks() -> Template:
    return Template(template_name="checkins/thanks.html")


@get("/check-in/{token:str}", name="checkin_form", sync_to_thread=True, opt={"skip_session": True})
def checkin_form(token: FromPath[str], request: Request, db: DbSession) -> Template:
    # Only reads: mail scanners open links, and must not answer for anyone.
    now = utcnow()
    try:
        link = checkins.open_link(db, token, now=now)
        checkin = checkins.check_answerable(link, checkins.open_checkin(db, link), now=now)
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    _speak(request, link.person)
    return _form(link, checkin, token, checkins.Answers())


@post(
    "/check-in/{token:str}", name="answer_checkin", sync_to_thread=True, opt={"skip_session": True}
)
def answer_checkin(
    token: FromPath[str], request: Request, db: DbSession, data: FormData
) -> Template | Redirect:
    now = utcnow()
    try:
        link = checkins.open_link(db, token, now=now)
        checkin = checkins.check_answerable(link, checkins.open_checkin(db, link), now=now)
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    answers = checkins.parse_answers(data)
    switch_to = single(data, "_switch_lang")
    if switch_to and i18n.choose(request, switch_to):
        answers.errors.clear()  # a language switch is not a submission: keep input, no errors
        return _form(link, checkin, token, answers)
    if request.cookies.get(i18n.COOKIE) not in i18n.LOCALES:
        _speak(request, link.person)  # else the language of the form page (kept in the cookie)
    if answers.errors:
        return _form(link, checkin, token, answers, status_code=HTTP_400_BAD_REQUEST)
    try:
        checkins.answer(db, token, answers, now=now)
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    return Redirect(
        path=f"/check-in/thanks?{i18n.QUERY_PARAM}={i18n.negotiate(request)}",
        status_code=HTTP_303_SEE_OTHER,
    )


@post("/{checkin_id:int}/seen", name="checkin_seen", sync_to_thread=True)
def checkin_seen(checkin_id: RowId, db: DbSession, coordinator: CurrentCoordinator) -> Redirect:
    """A coordinator marks a worrying answer as seen (it leaves the dashboard's queue)."""
    checkin = db.get(CheckIn, checkin_id)
    if checkin is None:
        raise NotFoundException()
    tandem = db.get(Tandem, checkin.tandem_id)
    tandem = get_tandem_for(db, coordinator, tandem.public_id if tandem else "")  # 404 elsewhere
    checkins.acknowledge(db, checkin, coordinator=coordinator, now=utcnow())  # twice: no harm
    return Redirect(
        path=f"/coordinator/tandems/{tandem.public_id}#checkins", status_code=HTTP_303_SEE_OTHER
    )


public_router = Router(path="/", route_handlers=[checkin_thanks, checkin_form, answer_checkin])
coordinator_router = Router(
    path="/coordinator/check-ins", route_handlers=[checkin_seen], guards=[coordinator_required]
)
router = Router(path="/", route_handlers=[public_router, coordinator_router])
