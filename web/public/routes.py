"""Pages anyone may see, without a session."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.config.response_cache import default_cache_key_builder
from litestar.datastructures import CacheControlHeader
from litestar.response import File, Template

from web.core import i18n
from web.core.settings import ROOT

PAGE_CACHE_SECONDS = 60


def _page_in_its_language(request: Request[Any, Any, Any]) -> str:
    # The cache keeps the response as sent, gzipped or not (web.app.COMPRESSION): a browser
    # that accepts no gzip must not get the copy made for one that does.
    gzip = "gzip" in request.headers.get("accept-encoding", "")
    return f"{default_cache_key_builder(request)}|{i18n.negotiate(request)}|{gzip}"


# Pages that are the same for everyone who reads the same language (no form, no session,
# no database) are rendered once a minute per process and language, not per visitor.
STATIC_PAGE: dict[str, Any] = {
    "cache": PAGE_CACHE_SECONDS,
    "cache_key_builder": _page_in_its_language,
}


@get("/", name="landing", sync_to_thread=False, **STATIC_PAGE)
def landing() -> Template:
    return Template(template_name="public/landing.html")


@get(
    "/favicon.ico",
    name="favicon",
    sync_to_thread=False,
    include_in_schema=False,
    cache_control=CacheControlHeader(max_age=7 * 24 * 3600, public=True),
)
def favicon() -> File:
    # Browsers ask for /favicon.ico on every site; without it each page view logs a 404.
    return File(
        ROOT / "static" / "favicon.ico",
        media_type="image/vnd.microsoft.icon",
        content_disposition_type="inline",
    )


@get("/healthz", name="healthz", sync_to_thread=False, media_type="text/plain")
def healthz() -> str:
    return "ok"


# No form on these pages: no CSRF cookie to set (a first visit costs less).
router = Router(
    path="/",
    route_handlers=[landing, favicon, healthz],
    opt={"skip_session": True, "exclude_from_csrf": True},
)
