"""The application factory: ``uvicorn --factory web.app:create_app``."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_401_UNAUTHORIZED,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import web.accounts.routes
import web.assisted.routes
import web.checkins.routes
import web.coordinator.audit_log
import web.coordinator.routes
import web.dev.routes
import web.events.routes
import web.events.signup_routes
import web.exports.routes
import web.jobs.routes
import web.jobs.worker
import web.login.routes
import web.me.routes
import web.places.routes
import web.proposals.routes
import web.public.routes
import web.region_contact.routes
import web.reports.routes
import web.review.routes
import web.runs.routes
import web.signup.routes
import web.signup.writer
import web.suggestions.routes
import web.tandems.routes
import web.weights.routes
from web.core import dates, drafts, i18n, log_redaction, names, phones, place_names, vocabulary
from web.core.auth import (
    SESSION_KEY,
    ParticipantLoginRequired,
    RotatingSessionConfig,
    SecondFactorSetupRequired,
    provide_coordinator,
    provide_participant,
)
from web.core.db import create_db_engine, make_request_slots, provide_session
from web.core.forms import MAX_LENGTHS
from web.core.models import Coordinator
from web.core.request_checks import refuse_malformed_requests
from web.core.settings import ROOT, Settings, SettingsError
from web.core.store_config import build_stores

REQUEST_MAX_BODY_SIZE = 256 * 1024  # forms are small; nothing here uploads files

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


# gzip for the pages people open on a phone's data plan (a sign-up form: 22 KB -> 4 KB).
# Not for pages that echo a query (search, login's "next") next to the CSRF token, which
# stays the same for a whole session: compressed, its length would leak the token (BREACH).
# The calendar feeds (issue 17) are fetched by calendar apps and caches, never by a browser
# with a form: no CSRF and no session cookie there (a response with a Set-Cookie is not
# cached by shared caches, and the cookie is nobody's). Only GET routes may live under it.
FEED_PREFIX = "/calendar/"
NO_COOKIE_PATHS = [r"^/calendar/"]  # anchored (SECURITY.md F3)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

COMPRESSION = CompressionConfig(backend="gzip", exclude=["^/coordinator", "^/login", "^/dev/"])


def _security_headers(settings: Settings) -> Callable[[Any, Any], Awaitable[None]]:
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
        "cross-origin-opener-policy": "same-origin",
        "cache-control": "no-store",
    }
    if settings.is_production:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    ours = [(name.encode(), value.encode()) for name, value in headers.items()]
    static = [header for header in ours if header[0] != b"cache-control"]  # files may be cached
    names, static_names = {name for name, _ in ours}, {name for name, _ in static}

    # A before_send hook, because app-level response headers skip error responses. It
    # runs on every response, so it edits the raw header list in one pass.
    async def add_security_headers(message: Any, scope: Any) -> None:
        if message["type"] != "http.response.start":
            return
        path = str(scope.get("path", ""))
        # Static files and the public calendar feeds (issue 17) may be cached.
        is_static = path.startswith(("/static/", "/calendar/")) or path == "/favicon.ico"
        added, replaced = (static, static_names) if is_static else (ours, names)
        kept = [header for header in message["headers"] if header[0].lower() not in replaced]
        message["headers"] = kept + added

    return add_security_headers


def _template_environment(*, reload: bool) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        auto_reload=reload,  # checking every template file on disk per render is costly
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(environment)
    environment.globals["vocabulary"] = vocabulary
    environment.globals["max_lengths"] = MAX_LENGTHS  # the same limits the server checks
    environment.filters["phone"] = phones.national  # stored E.164, shown as dialled at home
    environment.globals["take_draft"] = _take_draft
    dates.install(environment)
    names.install(environment)
    return environment


def _take_draft(request: Any) -> dict[str, Any] | None:
    session = request.scope.get("session")
    owner = session.get(SESSION_KEY) if isinstance(session, dict) else None
    return drafts.take(request, owner=owner)


def _redirect_to_login(request: Request, _: NotAuthorizedException) -> Response[Any]:
    # After the login, back to the page: for a form sent with an expired session, the page
    # the form was on (its text kept as a draft, web.core.drafts), never the POST address.
    if request.method == "GET":
        query = request.url.query
        next_path = request.url.path + (f"?{query}" if query else "")
    else:
        session = request.scope.get("session")
        next_path = (
            drafts.next_page(session) if isinstance(session, dict) else None
        ) or "/coordinator/"
    return Redirect(path="/login", query_params={"next": next_path}, status_code=HTTP_303_SEE_OTHER)


def _redirect_to_second_factor_setup(_: Request, __: SecondFactorSetupRequired) -> Response[Any]:
    return Redirect(path="/coordinator/account/second-factor", status_code=HTTP_303_SEE_OTHER)


def _participant_login_page(request: Request, _: ParticipantLoginRequired) -> Response[Any]:
    return Template(
        template_name="me/new_link.html",
        context={"email": "", "login_required": True},
        status_code=HTTP_401_UNAUTHORIZED,
    )


def _error_page(request: Request, exc: Exception) -> Response[Any]:
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    if status == HTTP_500_INTERNAL_SERVER_ERROR:
        request.logger.exception("unhandled error", exc_info=exc)
    # An exception's headers go along: a 429 keeps its Retry-After and RateLimit-* headers.
    return Template(
        template_name="errors/error.html",
        context={"status": status},
        status_code=status,
        headers=exc.headers if isinstance(exc, HTTPException) else None,
    )


async def _refuse_nul_in_the_url(request: Request) -> None:
    """A NUL in the path or query is a 400: PostgreSQL refuses it in text with a 500.
    (Async: Litestar would run a sync hook in a worker thread on every request.)"""
    if "\x00" in request.scope["path"] or b"%00" in request.scope["query_string"]:
        raise ValidationException("NUL in the URL")


def _refuse_demo_accounts_in_production(app: Litestar) -> None:
    settings: Settings = app.state.settings
    if not settings.is_production:
        return
    with Session(app.state.engine) as session:
        if session.scalars(select(col(Coordinator.id)).where(col(Coordinator.is_demo))).first():
            raise SettingsError(
                "demo coordinator accounts exist; production refuses to start with published "
                "passwords (remove them or use a fresh database)"
            )


def _warm_up_gazetteer() -> None:
    # A daemon thread that ends after one load: the app answers at once, and the few seconds
    # of reading are not spent inside the first sign-up that names a town in another script.
    threading.Thread(target=place_names.warm_up, name="gazetteer-warm-up", daemon=True).start()


def provide_settings(state: State) -> Settings:
    return state.settings


def create_app(settings: Settings | None = None, *, fuzzing: bool = False) -> Litestar:
    """``fuzzing`` is for tests/security/test_fuzz_openapi.py only (never from settings):
    it turns CSRF off and serves the OpenAPI schema, so schemathesis reaches the handlers."""
    settings = settings or Settings()
    settings.validate_for_production()
    secure = settings.is_production
    session_config = RotatingSessionConfig(
        key="__Host-session" if secure else "tandem_session",
        secure=secure,
        httponly=True,
        samesite="lax",
        max_age=settings.session_max_age,
        store="sessions",
        exclude=NO_COOKIE_PATHS,
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="__Host-csrf" if secure else "tandem_csrf",
        cookie_secure=secure,
        cookie_httponly=True,
        cookie_samesite="strict",
        exclude=NO_COOKIE_PATHS,
    )
    app = Litestar(
        route_handlers=[
            web.public.routes.router,
            web.signup.routes.build_router(),
            web.me.routes.build_router(),
            web.login.routes.router,
            web.accounts.routes.router,
            web.reports.routes.router,
            web.coordinator.routes.router,
            *web.assisted.routes.routers,
            web.coordinator.audit_log.router,
            *web.proposals.routes.routers,
            web.checkins.routes.router,
            web.runs.routes.router,
            web.jobs.routes.router,
            web.review.routes.router,
            web.suggestions.routes.router,
            web.weights.routes.router,
            web.region_contact.routes.router,
            web.places.routes.router,
            *web.events.routes.routers,
            *web.events.signup_routes.routers,
            web.exports.routes.router,
            web.tandems.routes.router,
            *([web.dev.routes.router] if not settings.is_production else []),
            create_static_files_router(
                path="/static", directories=[ROOT / "static"], opt={"skip_session": True}
            ),
        ],
        dependencies={
            "db": Provide(provide_session),
            "coordinator": Provide(provide_coordinator, sync_to_thread=True),
            "person": Provide(provide_participant, sync_to_thread=True),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        middleware=[refuse_malformed_requests, session_config.middleware],
        csrf_config=None if fuzzing else csrf_config,
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(
                _template_environment(reload=settings.debug)
            )
        ),
        before_request=_refuse_nul_in_the_url,
        before_send=[_security_headers(settings), i18n.remember_chosen_locale],
        exception_handlers={
            ParticipantLoginRequired: _participant_login_page,
            SecondFactorSetupRequired: _redirect_to_second_factor_setup,
            NotAuthorizedException: _redirect_to_login,
            HTTPException: _error_page,
            HTTP_500_INTERNAL_SERVER_ERROR: _error_page,
        },
        # log_redaction: no link token in any log line, also under a bare `uvicorn --factory`.
        on_startup=[
            _refuse_demo_accounts_in_production,
            make_request_slots,
            log_redaction.install,
            _warm_up_gazetteer,
        ],
        # The job queue (web.core.queue): jobs run in `tandem worker`, not here. The sign-up
        # writer is no background job but a batching of requests (one transaction for many).
        lifespan=[web.jobs.worker.queue_lifespan, web.signup.writer.background_writer()],
        on_shutdown=[_dispose_engine],
        # The default UIs load scripts from CDNs (SECURITY.md F10); the fuzz run needs the JSON.
        openapi_config=OpenAPIConfig(title="Tandem", version="0", render_plugins=[])
        if fuzzing
        else None,
        request_max_body_size=REQUEST_MAX_BODY_SIZE,
        compression_config=COMPRESSION,
        debug=settings.debug,
    )
    _refuse_unsafe_feed_routes(app)
    point_at(app, settings)
    return app


def _refuse_unsafe_feed_routes(app: Litestar) -> None:
    """The feeds' prefix skips the CSRF check (``NO_COOKIE_PATHS``): a form handler there
    would be open to forgery, so the app refuses to be built with one."""
    for route in app.routes:
        if route.path.startswith(FEED_PREFIX) and set(route.methods) - SAFE_METHODS:
            raise SettingsError(f"{route.path} accepts {sorted(route.methods)}: feeds are GET only")


def point_at(app: Litestar, settings: Settings, *, engine: Engine | None = None) -> None:
    """Give an app its database (engine and stores), mail directory and ledger: the last step
    of ``create_app``. The tests also use it to serve each test's own database with one app
    (building one costs ~0.3 s: Litestar registers every handler, Jinja compiles templates)."""
    engine = engine or create_db_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.stores = StoreRegistry(build_stores(engine, settings.store_url))


def _dispose_engine(app: Litestar) -> None:
    app.state.engine.dispose()
