"""Proposals: partners answer by a link (no login); coordinators follow the open ones."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from web.core import i18n, links
from web.core.access import get_tandem_for
from web.core.auth import coordinator_required
from web.core.dates import local_date
from web.core.deps import AppSettings, CurrentCoordinator, DbSession
from web.core.forms import FormData, single
from web.core.i18n import N_
from web.core.models import Coordinator, utcnow
from web.core.vocabulary import WITHDRAW_REASONS
from web.proposals import proposals

FLASH = {
    "withdrawn": N_(
        "The proposal is withdrawn. Both have been told kindly; the newcomer is waiting again."
    ),
    "resent": N_("The proposal is sent again with new answer links. The old links no longer work."),
    "closed": N_(
        "This proposal is no longer waiting for answers; the page shows its current state."
    ),
}
MESSAGES = {
    "reason": N_("Please choose why you withdraw the proposal."),
}


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
        proposals.answer(db, token, single(data, "choice"), now=utcnow(), why=single(data, "why"))
    except links.LinkError as problem:
        return _problem(request, db, token, problem)
    # The link's page now shows the answer ("thank you"), in the person's language.
    return Redirect(path=f"/answer/{token}", status_code=HTTP_303_SEE_OTHER)


def _list_page(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    *,
    done: str | None = None,
    error: str | None = None,
    failed: str = "",
    status_code: int = 200,
) -> Template:
    locale = i18n.negotiate(request)
    overview = proposals.overview(db, coordinator, now=utcnow())
    return Template(
        template_name="proposals/list.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "overview": overview,
            "withdraw_reasons": WITHDRAW_REASONS,
            "flash": FLASH.get(done or ""),
            "error": MESSAGES.get(error or ""),
            "failed": failed,  # the proposal whose withdraw form had the error
            "due_date": lambda tandem: proposals.due_date(tandem, locale=locale),
            "day": lambda moment: local_date(moment, locale=locale),
        },
    )


@get("/", name="proposals_list", sync_to_thread=True)
def proposals_list(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    done: FromQuery[str | None] = None,
) -> Template:
    return _list_page(request, db, coordinator, done=done)


def _back(done: str) -> Redirect:
    return Redirect(path=f"/coordinator/proposals?done={done}", status_code=HTTP_303_SEE_OTHER)


@post("/{public_id:str}/withdraw", name="withdraw_proposal", sync_to_thread=True)
def withdraw_proposal(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    public_id: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    tandem = get_tandem_for(db, coordinator, public_id)  # 404 for another region's
    try:
        withdrawn = proposals.withdraw(
            db, tandem, coordinator=coordinator, reason=single(data, "reason"), now=utcnow()
        )
    except proposals.InvalidReason:
        return _list_page(request, db, coordinator, error="reason", failed=tandem.public_id,
                          status_code=HTTP_400_BAD_REQUEST)  # fmt: skip
    if not withdrawn:
        return _list_page(request, db, coordinator, done="closed", status_code=HTTP_409_CONFLICT)
    return _back("withdrawn")


@post("/{public_id:str}/resend", name="resend_proposal", sync_to_thread=True)
def resend_proposal(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    public_id: FromPath[str],
) -> Template | Redirect:
    tandem = get_tandem_for(db, coordinator, public_id)
    try:
        proposals.resend(db, tandem, coordinator=coordinator, settings=settings, now=utcnow())
    except proposals.ProposalClosed:
        return _list_page(request, db, coordinator, done="closed", status_code=HTTP_409_CONFLICT)
    return _back("resent")


public_router = Router(path="/", route_handlers=[answer_form, answer_proposal])
coordinator_router = Router(
    path="/coordinator/proposals",
    route_handlers=[proposals_list, withdraw_proposal, resend_proposal],
    guards=[coordinator_required],
)
routers = [public_router, coordinator_router]
