"""Pages anyone may see, without a session."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template


@get("/", name="landing", sync_to_thread=False)
def landing() -> Template:
    return Template(template_name="landing.html")


@get("/healthz", name="healthz", sync_to_thread=False, media_type="text/plain")
def healthz() -> str:
    return "ok"


# No form on these pages: no CSRF cookie to set (a first visit costs less).
router = Router(
    path="/",
    route_handlers=[landing, healthz],
    opt={"skip_session": True, "exclude_from_csrf": True},
)
