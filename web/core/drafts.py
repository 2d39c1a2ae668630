"""What a coordinator typed survives an expired session.

A coordinator writes a note during a long phone call; meanwhile the session times out and
"Save" would throw the text away. Instead, the coordinator guard keeps the posted fields
(never a password, code or token) as a *draft* in the new, anonymous session, together
with the page the form was on and whose session it was. The login carries the draft over;
after logging in the coordinator lands on that page, a notice says so, and
``/static/draft.js`` puts the text back into the form (nothing is saved unasked).

A draft is shown only to the coordinator whose session expired, only on its page, once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection

DRAFT_KEY = "draft"
MAX_FIELD = 5000  # characters of one field
MAX_FIELDS = 40
# Field names never kept: secrets, and what a new form brings along anyway.
NEVER_KEPT = ("password", "csrf", "code", "token", "secret", "totp")


def _kept(name: str) -> bool:
    lowered = name.lower()
    return not any(word in lowered for word in NEVER_KEPT)


def same_site_path(target: str | None) -> str | None:
    """The path (and query) of a same-site URL or path, or None."""
    if not target:
        return None
    parts = urlsplit(target)
    path = parts.path
    if not path.startswith("/") or path.startswith(("//", "/\\")):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _page_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The page the form was on: the Referer when it is ours, else the dashboard."""
    referer = connection.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        host = connection.headers.get("host", "")
        if parts.netloc == host:
            page = same_site_path(referer)
            if page:
                return page
    return "/coordinator/"


def stash(
    connection: ASGIConnection[Any, Any, Any, Any], form: Any, *, owner: int | None
) -> dict[str, Any]:
    """Keep the posted ``form`` fields as the draft of a new session; return the draft."""
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items() if hasattr(form, "multi_items") else form.items():
        if not isinstance(value, str) or not _kept(name) or len(fields) >= MAX_FIELDS:
            continue
        fields.setdefault(name[:100], []).append(value[:MAX_FIELD])
    draft = {
        "page": _page_of(connection),
        "action": connection.url.path,
        "owner": owner,
        "fields": fields,
    }
    connection.set_session({DRAFT_KEY: draft} if owner is not None and fields else {})
    return draft


def carried(session: dict[str, Any]) -> dict[str, Any]:
    """What a new login session keeps of the old one: the draft."""
    return {DRAFT_KEY: session[DRAFT_KEY]} if DRAFT_KEY in session else {}


def next_page(session: dict[str, Any]) -> str | None:
    draft = session.get(DRAFT_KEY)
    return draft.get("page") if isinstance(draft, dict) else None


def take(request: Any, *, owner: int | None) -> dict[str, Any] | None:
    """The draft for this page and this coordinator, removed from the session; or None."""
    session = request.scope.get("session")
    if not isinstance(session, dict):
        return None  # a page without a session (the login form)
    draft = session.get(DRAFT_KEY)
    if not isinstance(draft, dict) or owner is None:
        return None
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if draft.get("owner") != owner:
        request.set_session({k: v for k, v in session.items() if k != DRAFT_KEY})
        return None  # someone else logged in on this browser: the text is not theirs
    if draft.get("page") not in (here, request.url.path):
        return None
    request.set_session({k: v for k, v in session.items() if k != DRAFT_KEY})
    return {"action": draft.get("action"), "fields": draft.get("fields", {})}
