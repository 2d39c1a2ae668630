"""The empty sign-up form, rendered once a minute per role and language.

Every visitor's first page is the same 23 KB form except for its CSRF field,
so the page is rendered with a marker in that field and each visitor gets a
copy with their own token. Rendering it for every visitor was the slowest
public page by far (about 1.5 ms of CPU each).
"""

from __future__ import annotations

import html
import time
import weakref
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState
from sqlalchemy import Engine
from sqlmodel import Session

from web.core import i18n
from web.core.db import READ_ONLY
from web.core.form_context import form_context
from web.core.forms import ParticipantForm
from web.core.participants import place_suggestions

TEMPLATE = "signup/form.html"
KEEP_SECONDS = 60.0  # as long as the town suggestions in it (web.core.participants)
_MARKER = "\x00csrf\x00"  # cannot occur in a rendered page: no text keeps a NUL
_pages: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], tuple[float, str]]] = (
    weakref.WeakKeyDictionary()
)


async def blank_signup_page(request: Request[Any, Any, Any], role: str) -> str:
    """The sign-up form for ``role`` in the request's language, with the request's token.

    Async: nearly every visitor gets the kept page, with neither a worker thread nor a
    database session; only a page due to be rendered again goes to a thread."""
    engine = request.app.state.engine
    pages = _pages.setdefault(engine.pool, {})
    key = (role, i18n.negotiate(request))
    rendered_at, page = pages.get(key, (float("-inf"), ""))
    if time.monotonic() - rendered_at > KEEP_SECONDS:
        page = await anyio.to_thread.run_sync(_render, request, engine, role)
        pages[key] = (time.monotonic(), page)
    token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
    return page.replace(_MARKER, html.escape(token))


def _render(request: Request[Any, Any, Any], engine: Engine, role: str) -> str:
    with Session(engine.execution_options(**{READ_ONLY: True})) as session:
        places = place_suggestions(session)
    context = form_context(ParticipantForm(role=role), "signup", places)
    field = f'<input type="hidden" name="_csrf_token" value="{_MARKER}" />'
    templates = request.app.template_engine
    assert templates is not None  # the app is built with its templates
    template = templates.get_template(TEMPLATE)
    return template.render(**context, request=request, csrf_input=field)  # |safe there
