"""Coordinator login and logout."""

from __future__ import annotations

from litestar import Request, Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_429_TOO_MANY_REQUESTS,
)

from web import audit, limits
from web.accounts import verify_totp
from web.auth import (
    authenticate,
    coordinator_required,
    login_blocked,
    pending_second_factor,
    record_login_failure,
    record_login_success,
    start_authenticated_session,
    start_second_factor,
)
from web.deps import DbSession, FormData
from web.forms import EMAIL_MAX, clean_text, single
from web.models import Coordinator, utcnow

HOME = "/coordinator"
# Per address, for the password and the code form together; the per-account delay
# (web.auth.login_blocked) is the other half.
LOGIN_LIMIT = limits.Limit("login", hits=30, seconds=60)


def safe_next(target: object) -> str:
    """Only same-site paths: never an open redirect to another host."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return HOME


@get("/login", name="login_form", sync_to_thread=False, opt={"skip_session": True})
def login_form(next: FromQuery[str | None] = None) -> Template:  # noqa: A002 (the query parameter's name)
    return Template(template_name="auth/login.html", context={"email": "", "next": safe_next(next)})


@post("/login", name="login", sync_to_thread=True)
def login(request: Request, db: DbSession, data: FormData) -> Template | Redirect:
    now = utcnow()
    limits.count_request(request, LOGIN_LIMIT, now=now)
    email = clean_text(single(data, "email"), max_length=EMAIL_MAX)
    password = str(data.get("password", ""))[:1024]
    context = {"email": email, "next": safe_next(data.get("next"))}
    if login_blocked(db, email, now=now):
        return Template(
            template_name="auth/login.html",
            context={**context, "blocked": True},
            status_code=HTTP_429_TOO_MANY_REQUESTS,
        )
    coordinator = authenticate(db, email, password)
    if coordinator is None:
        record_login_failure(db, email, now=now)
        # One message for unknown e-mail and wrong password: no account enumeration.
        return Template(
            template_name="auth/login.html",
            context={**context, "failed": True},
            status_code=HTTP_400_BAD_REQUEST,
        )
    if coordinator.totp_secret:
        start_second_factor(request, coordinator, next_path=safe_next(data.get("next")))
        return Redirect(path="/login/code", status_code=HTTP_303_SEE_OTHER)
    return _complete_login(request, db, coordinator, email, safe_next(data.get("next")))


def _complete_login(request, db, coordinator, email, next_path):  # type: ignore[no-untyped-def]
    record_login_success(db, email)
    audit.record(
        db, actor=coordinator, action="login", subject_type="coordinator", subject_id=coordinator.id
    )
    start_authenticated_session(request, coordinator)
    return Redirect(path=next_path, status_code=HTTP_303_SEE_OTHER)


@get("/login/code", name="login_code_form", sync_to_thread=False)
def login_code_form(request: Request) -> Template | Redirect:
    if pending_second_factor(request, now=utcnow()) is None:
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
    return Template(template_name="auth/code.html")


@post("/login/code", name="login_code", sync_to_thread=True)
def login_code(request: Request, db: DbSession, data: FormData) -> Template | Redirect:
    now = utcnow()
    limits.count_request(request, LOGIN_LIMIT, now=now)
    pending = pending_second_factor(request, now=now)
    coordinator = db.get(Coordinator, pending) if pending is not None else None
    if coordinator is None or not coordinator.is_active:
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
    if login_blocked(db, coordinator.email, now=now):
        return Template(
            template_name="auth/code.html",
            context={"blocked": True},
            status_code=HTTP_429_TOO_MANY_REQUESTS,
        )
    if not verify_totp(db, coordinator, str(data.get("code", ""))[:20], now=now):
        record_login_failure(db, coordinator.email, now=now)
        return Template(
            template_name="auth/code.html",
            context={"failed": True},
            status_code=HTTP_400_BAD_REQUEST,
        )
    return _complete_login(
        request, db, coordinator, coordinator.email, request.session.get("next", HOME)
    )


@post("/logout", name="logout", sync_to_thread=False, guards=[coordinator_required])
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)


router = Router(path="/", route_handlers=[login_form, login_code_form, login, login_code, logout])
