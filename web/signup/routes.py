"""Sign-up for locals and newcomers, address confirmation and the privacy notice."""

from __future__ import annotations

import anyio.to_thread
from litestar import Request, Response, Router, get, post
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_429_TOO_MANY_REQUESTS,
)

from web.core import i18n, limits, links, place_names
from web.core.auth import start_participant_session
from web.core.deps import AppSettings, DbSession
from web.core.form_context import form_context
from web.core.forms import FormData, ParticipantForm, parse_participant_form, single
from web.core.models import utcnow
from web.core.participants import (
    CONSENT_TEXT_VERSION,
    confirm_address,
)
from web.core.sql import id_of
from web.public.routes import STATIC_PAGE
from web.signup.blank_form import blank_signup_page
from web.signup.writer import PendingSignUp, SignUpWriter

ROLES = ("local", "newcomer")
HONEYPOT = "website"  # hidden from people, filled in by bots


def _role(role: str) -> str:
    if role not in ROLES:
        raise NotFoundException()
    return role


# Pages without a form set no CSRF cookie ("exclude_from_csrf"; they only answer GET).
@get(
    "/signup",
    name="signup_start",
    sync_to_thread=False,
    opt={"exclude_from_csrf": True},
    **STATIC_PAGE,
)
def signup_start() -> Template:
    return Template(template_name="signup/start.html")


@get("/signup/{role:str}", name="signup_form")
async def signup_form(role: FromPath[str], request: Request) -> Response[str]:
    page = await blank_signup_page(request, _role(role))
    return Response(page, media_type=MediaType.HTML)


@post("/signup/{role:str}", name="signup", opt={"skip_session": True})
async def signup(
    role: FromPath[str], request: Request, settings: AppSettings, data: FormData
) -> Template | Redirect:
    """Async, unlike the other handlers: it touches no database itself but waits for the
    sign-up writer (``web.signup.writer``), which also counts every post against the
    address's limits."""
    role = _role(role)
    now = utcnow()
    form = parse_participant_form(
        data,
        role=role,
        this_year=now.year,
        locale=i18n.negotiate(request),
        min_age=settings.min_age_online,
    )
    switch_to = single(data, "_switch_lang")
    switching = bool(switch_to) and i18n.choose(request, switch_to)
    honeypot = bool(single(data, HONEYPOT))
    writer: SignUpWriter = request.app.state.signup_writer
    outcome = await writer.submit(
        PendingSignUp(
            form=form,
            locale=i18n.negotiate(request),
            client=limits.client_of(request),
            now=now,
            store=not (switching or honeypot or form.errors),
        )
    )
    if outcome.refused is not None:
        return _too_many(form, outcome.places, outcome.refused, switching=switching)
    if switching:
        form.errors.clear()  # a language switch is not a submission: keep input, no errors
        return Template(
            template_name="signup/form.html", context=form_context(form, "signup", outcome.places)
        )
    if honeypot:
        return Redirect(path="/signup/sent", status_code=HTTP_303_SEE_OTHER)
    if outcome.place_unknown or (
        # Every error at once: the town is checked with the other fields, not after them.
        form.errors
        and "place" not in form.errors
        and not await anyio.to_thread.run_sync(place_names.is_served, form.place, outcome.places)
    ):
        form.errors["place"] = place_names.unknown_place_message(form.place)
    if form.errors:
        return Template(
            template_name="signup/form.html",
            status_code=HTTP_400_BAD_REQUEST,
            context=form_context(form, "signup", outcome.places),
        )
    return Redirect(path="/signup/sent", status_code=HTTP_303_SEE_OTHER)


def _too_many(
    form: ParticipantForm, places: list[str], refused: TooManyRequestsException, *, switching: bool
) -> Template:
    """The form again with all that was typed, saying how long to wait (not an error page:
    where many people share one connection, nobody should have to start again)."""
    if switching:
        form.errors.clear()
    context = form_context(form, "signup", places)
    context["wait_minutes"] = limits.minutes_to_wait(refused)
    return Template(
        template_name="signup/form.html",
        status_code=HTTP_429_TOO_MANY_REQUESTS,
        context=context,
        headers=refused.headers,
    )


@get("/signup/sent", name="signup_sent", sync_to_thread=False, opt={"exclude_from_csrf": True})
def signup_sent() -> Template:
    return Template(template_name="signup/sent.html")


@get(
    "/privacy", name="privacy", sync_to_thread=False, opt={"exclude_from_csrf": True}, **STATIC_PAGE
)
def privacy() -> Template:
    return Template(
        template_name="signup/privacy.html", context={"consent_version": CONSENT_TEXT_VERSION}
    )


@get("/verify/{token:str}", name="verify_form", sync_to_thread=False)
def verify_form(token: FromPath[str]) -> Template:
    # A GET never consumes the link: mail scanners open links too.
    return Template(template_name="signup/verify.html", context={"token": token})


@post("/verify/{token:str}", name="verify", sync_to_thread=True)
def verify(token: FromPath[str], request: Request, db: DbSession) -> Template | Redirect:
    now = utcnow()
    try:
        person = links.redeem(db, token, "verify", now=now, single_use=True)
    except links.LinkError as problem:
        return Template(
            template_name="me/link_problem.html",
            status_code=HTTP_400_BAD_REQUEST,
            context={"problem": problem.code},
        )
    confirm_address(db, person, now=now)
    i18n.choose(request, person.locale)  # the page speaks the language they signed up in
    start_participant_session(request, id_of(person))
    return Redirect(path="/me?confirmed=1", status_code=HTTP_303_SEE_OTHER)


def build_router() -> Router:
    public = Router(
        path="/",
        route_handlers=[signup_start, signup_form, signup, signup_sent, privacy, verify_form],
        opt={"skip_session": True},
    )
    return Router(path="/", route_handlers=[public, verify])
