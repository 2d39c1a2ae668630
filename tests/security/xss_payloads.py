"""Classic stored-XSS payloads, and how to tell a page that let one through.

Every payload fits the shortest free-text field (names, ``NAME_MAX`` = 80 characters), so it
arrives whole; what the forms clean away (the bidi override in the right-to-left one) is
cleaned the same way by ``stored()``, so the tests expect exactly what the database holds.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from markupsafe import escape

from web.core.forms import NAME_MAX, clean_text

PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "{{7*7}}",  # template injection: must stay these seven characters, never "49"
    '<a href="javascript:alert(1)">x</a>',
    '" autofocus onfocus="alert(1)',  # breaks out of a double-quoted attribute
    "\u202eمرحبا<img src=x onerror=alert(1)>",  # right-to-left override + Arabic + markup
    '<img src=x onerror="window.__xss=1">',  # the browser test watches window.__xss
    "<details open ontoggle=alert(1)>",  # fires without any click
    '<iframe srcdoc="<script>alert(1)</script>">',
)
assert all(len(payload) <= NAME_MAX for payload in PAYLOADS)  # noqa: S101

# Substrings that only occur when a payload was written into the page unescaped
# (escaping turns every < and " into an entity).
LIVE = (
    "<script>alert",
    "<img src=x",
    "<svg onload",
    'onfocus="alert(1)',
    'href="javascript:',
    "<iframe srcdoc",
    "<details open ontoggle",
)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcdoc", "xlink:href")


def stored(payload: str, max_length: int = NAME_MAX) -> str:
    """The payload as a single-line form field stores it."""
    return clean_text(payload, max_length=max_length)


def escaped(payload: str, max_length: int = NAME_MAX) -> str:
    """The stored payload as an autoescaping template writes it."""
    return str(escape(stored(payload, max_length)))


def blob(limit: int) -> str:
    """As many payloads as fit in ``limit`` characters, one a line (for long text fields)."""
    lines: list[str] = []
    for payload in PAYLOADS:
        if len("\n".join([*lines, payload])) > limit:
            break
        lines.append(payload)
    return "\n".join(lines)


# Payloads that escaping visibly changes: finding one escaped proves the page shows the data.
MARKUP = tuple(payload for payload in PAYLOADS if escaped(payload) != stored(payload))


def shows_escaped(html: str) -> list[str]:
    """The markup payloads that appear, escaped, in ``html``."""
    return [payload for payload in MARKUP if escaped(payload) in html]


def live_markup(html: str) -> list[str]:
    """Everything in ``html`` that a payload would have produced had it not been escaped:
    raw payload fragments, event-handler attributes, inline scripts, ``javascript:`` URLs,
    and an evaluated template expression. Empty for a safe page."""
    found = [fragment for fragment in LIVE if fragment.lower() in html.lower()]
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}=...>")
            scheme = "".join(ch for ch in text if ch > " ").lower()  # as a browser reads it
            if name.lower() in URL_ATTRIBUTES and scheme.startswith("javascript:"):
                found.append(f"<{tag.name} {name}={text!r}>")
        if tag.name == "script" and (tag.string or "").strip():
            found.append(f"inline <script>{tag.string[:40]!r}")
        if tag.name in ("iframe", "object", "embed", "base"):
            found.append(f"<{tag.name}>")
        if tag.name == "img" and tag.get("src") == "x":
            found.append("<img src=x>")
    return found


# Hostile values that are not markup: NUL, direction marks, odd digits, SQL, overlong.
NASTY = [
    "\x00",
    "Nour\x00",
    "nour\x00@example.org",
    "\u202eevil\u202c",
    "\u2066\u2067\u2068\u2069",
    "\r\n\t\x0b\x0c\x1b[31m",
    "\ufeff\ufffe\uffff",
    "²",
    "١٩٩٠",
    "9" * 30,
    "-1990",
    " 1990 ",
    "1e3",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
]
