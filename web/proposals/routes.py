"""Proposals: partners answer by a link (no login); coordinators follow the open ones."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from web.core import i18n, links
from web.core.auth import coordinator_required
from web.core.dates import local_date
from web.core.deps import CurrentCoordinator, DbSession
from web.core.forms import FormData, single
from web.core.models import utcnow
from web.proposals import proposals


def _speak(request: Request, person: Any) -> None:
    """Pages of an answer link are in the person's language, unless they picked another."""
    if request.query_params.get(i18n.QUERY_PARAM) not in i18n.LOCALES:
        i18n.choose(request, person.locale)


def _problem(request: Request, db: Session, token: str, problem: links.LinkError) -> Template:
    try:
        _speak(request, proposals.open_link(db, token, now=utcnow()).person)
    except links.LinkError:
        pass  # an unknown link: the visitor's own language
    return Template(
        template_name="proposals/problem.html",
        context={"problem": problem.code},
        status_code=HTTP_400_BAD_REQUEST,
    )


@get("/answer/{token:str}", name="answer_form", sync_to_thread=True, opt={"skip_session": True})
def answer_form(token: FromPath[str], request: Request, db: DbSession) -> Template:
    # Only reads: mail scanners open links, and must not answer for anyone.
    now = utcnow()
    try:
        link = proposals.open_link(db, token, now=now)
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    _speak(request, link.person)
    context = {
        "link": link,
        "token": token,
        "partner_town": link.partner.place.name if link.partner and link.partner.place else "",
    }
    if link.my_answer is not None:
        return Template(template_name="proposals/answered.html", context=context)
    try:
        proposals.check_answerable(link, now=now)
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    locale = i18n.negotiate(request)
    context["reasons"] = proposals.redacted_reasons(link.tandem, locale=locale, reader=link.person)
    context["due_date"] = proposals.due_date(link.tandem, locale=locale)
    return Template(template_name="proposals/answer.html", context=context)


@post(
    "/answer/{token:str}", name="answer_proposal", sync_to_thread=True, opt={"skip_session": True}
)
def answer_proposal(
    token: FromPath[str], request: Request, db: DbSession, data: FormData
) -> Template | Redirect:
    try:
        proposals.answer(db, token, single(data, "choice"), now=utcnow())
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    # The link's page now shows the answer ("thank you"), in the person's language.
    return Redirect(path=f"/answer/{token}", status_code=HTTP_303_SEE_OTHER)


@get("/", name="proposals_list", sync_to_thread=True)
def proposals_list(request: Request, db: DbSession, coordinator: CurrentCoordinator) -> Template:
    now = utcnow()
    locale = i18n.negotiate(request)
    overview = proposals.overview(db, coordinator, now=now)
    return Template(
        template_name="proposals/list.html",
        context={
            "coordinator": coordinator,
            "overview": overview,
            "due_date": lambda tandem: proposals.due_date(tandem, locale=locale),
            "day": lambda moment: local_date(moment, locale=locale),
        },
    )


public_router = Router(path="/", route_handlers=[answer_form, answer_proposal])
coordinator_router = Router(
    path="/coordinator/proposals", route_handlers=[proposals_list], guards=[coordinator_required]
)
routers = [public_router, coordinator_router]
