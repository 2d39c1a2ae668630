"""Coordinator login and logout."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from web import audit
from web.auth import authenticate, coordinator_required, start_authenticated_session
from web.deps import DbSession

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
HOME = "/coordinator"


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
    email = str(data.get("email", ""))[:254]
    password = str(data.get("password", ""))[:1024]
    coordinator = authenticate(db, email, password)
    if coordinator is None:
        # One message for unknown e-mail and wrong password: no account enumeration.
        return Template(
            template_name="auth/login.html",
            context={"email": email, "next": safe_next(data.get("next")), "failed": True},
            status_code=HTTP_400_BAD_REQUEST,
        )
    audit.record(
        db, actor=coordinator, action="login", subject_type="coordinator", subject_id=coordinator.id
    )
    start_authenticated_session(request, coordinator)
    return Redirect(path=safe_next(data.get("next")), status_code=HTTP_303_SEE_OTHER)


@post("/logout", name="logout", sync_to_thread=False, guards=[coordinator_required])
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)


router = Router(path="/", route_handlers=[login_form, login, logout])
