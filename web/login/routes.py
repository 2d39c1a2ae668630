"""Coordinator login and logout."""

from __future__ import annotations

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_429_TOO_MANY_REQUESTS,
)
from sqlmodel import Session

from web.accounts.accounts import verify_totp, warn_of_login_attack
from web.core import audit, limits
from web.core.auth import (
    KNOWN_DEVICE_LIFETIME,
    LoginSource,
    authenticate,
    coordinator_required,
    known_device,
    known_device_cookie,
    login_blocked,
    login_source,
    pending_second_factor,
    record_login_failure,
    record_login_success,
    start_authenticated_session,
    start_second_factor,
)
from web.core.deps import DbSession
from web.core.forms import FormData, clean_text, single
from web.core.models import Coordinator, utcnow
from web.core.settings import Settings

HOME = "/coordinator"
# Per address, for the password and the code form together; the delay per account and
# address or known device (web.core.auth.login_blocked) is the other half.
LOGIN_LIMIT = limits.Limit("login", hits=30, seconds=60)


def device_cookie_name(settings: Settings) -> str:
    return "__Host-device" if settings.is_production else "tandem_device"


def _source(request: Request, email: str) -> LoginSource:
    """Where this attempt comes from: a browser that logged in to the account before, or
    else its address."""
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(device_cookie_name(settings))
    device = known_device(cookie, email, secret=settings.secret_key)
    return login_source(email, address=limits.client_of(request), device=device)


def _failed(request: Request, db: Session, email: str, source: LoginSource) -> None:
    if record_login_failure(db, source, now=utcnow()):
        warn_of_login_attack(db, email, settings=request.app.state.settings, now=utcnow())


def safe_next(target: object) -> str:
    """Only same-site paths: never an open redirect to another host."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return HOME


@get("/login", name="login_form", sync_to_thread=False, opt={"skip_session": True})
def login_form(next: FromQuery[str | None] = None) -> Template:  # noqa: A002 (the query parameter's name)
    return Template(
        template_name="login/login.html", context={"email": "", "next": safe_next(next)}
    )


@post("/login", name="login", sync_to_thread=True)
def login(request: Request, db: DbSession, data: FormData) -> Template | Redirect:
    now = utcnow()
    limits.count_request(request, LOGIN_LIMIT, now=now)
    email = clean_text(single(data, "email"), max_length=None)  # too long: matches nobody
    password = str(data.get("password", ""))[:1024]
    context = {"email": email, "next": safe_next(data.get("next"))}
    source = _source(request, email)
    if login_blocked(db, source, now=now):
        return Template(
            template_name="login/login.html",
            context={**context, "blocked": True},
            status_code=HTTP_429_TOO_MANY_REQUESTS,
        )
    coordinator = authenticate(db, email, password)
    if coordinator is None:
        _failed(request, db, email, source)
        # One message for unknown e-mail and wrong password: no account enumeration.
        return Template(
            template_name="login/login.html",
            context={**context, "failed": True},
            status_code=HTTP_400_BAD_REQUEST,
        )
    if coordinator.totp_secret:
        start_second_factor(request, coordinator, next_path=safe_next(data.get("next")))
        return Redirect(path="/login/code", status_code=HTTP_303_SEE_OTHER)
    return _complete_login(request, db, coordinator, source, safe_next(data.get("next")))


def _complete_login(
    request: Request, db: Session, coordinator: Coordinator, source: LoginSource, next_path: str
) -> Redirect:
    record_login_success(db, source)
    audit.write(
        db,
        now=utcnow(),
        actor=coordinator,
        action="login",
        subject_type="coordinator",
        subject_id=coordinator.id,
    )
    start_authenticated_session(request, coordinator)
    return Redirect(
        path=next_path,
        status_code=HTTP_303_SEE_OTHER,
        cookies=[_known_device(request, coordinator)],
    )


def _known_device(request: Request, coordinator: Coordinator) -> Cookie:
    """Mark this browser as one that logged in to the account (it keeps its device id):
    while someone else fails at this account, the throttle lets this browser through."""
    settings: Settings = request.app.state.settings
    name = device_cookie_name(settings)
    secret = settings.secret_key
    device_id = known_device(request.cookies.get(name), coordinator.email, secret=secret)
    return Cookie(
        key=name,
        value=known_device_cookie(coordinator.email, secret=secret, device_id=device_id),
        max_age=int(KNOWN_DEVICE_LIFETIME.total_seconds()),
        path="/",
        secure=settings.is_production,
        httponly=True,
        samesite="strict",
    )


@get("/login/code", name="login_code_form", sync_to_thread=False)
def login_code_form(request: Request) -> Template | Redirect:
    if pending_second_factor(request, now=utcnow()) is None:
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
    return Template(template_name="login/code.html")


@post("/login/code", name="login_code", sync_to_thread=True)
def login_code(request: Request, db: DbSession, data: FormData) -> Template | Redirect:
    now = utcnow()
    limits.count_request(request, LOGIN_LIMIT, now=now)
    pending = pending_second_factor(request, now=now)
    coordinator = db.get(Coordinator, pending) if pending is not None else None
    if coordinator is None or not coordinator.is_active:
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
    source = _source(request, coordinator.email)
    if login_blocked(db, source, now=now):
        return Template(
            template_name="login/code.html",
            context={"blocked": True},
            status_code=HTTP_429_TOO_MANY_REQUESTS,
        )
    if not verify_totp(db, coordinator, str(data.get("code", ""))[:20], now=now):
        _failed(request, db, coordinator.email, source)
        return Template(
            template_name="login/code.html",
            context={"failed": True},
            status_code=HTTP_400_BAD_REQUEST,
        )
    return _complete_login(request, db, coordinator, source, request.session.get("next", HOME))


@post("/logout", name="logout", sync_to_thread=False, guards=[coordinator_required])
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)


router = Router(path="/", route_handlers=[login_form, login_code_form, login, login_code, logout])
