"""Requests whose shape alone would break something deeper are refused first.

A middleware (the outermost of the app's), so it runs before guards, sessions, the
response cache and the static files, none of which expect:

- a ``Host`` header that is not a host name (a port of 99999: every ``request.url``
  raises ValueError, e.g. in the cache key of the landing page) → 400;
- a path longer than any of ours, or with a segment longer than a file name may be
  (``/static/aaaa…``: the file system answers ENAMETOOLONG) → 404, there is no such page.

A NUL in the URL is refused by ``web.app._refuse_nul_in_the_url``; values inside a valid
request (numbers, dates) by ``web.core.params``; the session cookie by ``web.core.auth``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException, ValidationException

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

# Our longest path is a few dozen characters plus a 43-character link token.
MAX_PATH_LENGTH = 512
MAX_SEGMENT_BYTES = 255  # NAME_MAX of Linux file systems
# A DNS name, an IPv4 address or a bracketed IPv6 address, with an optional port.
_HOST = re.compile(
    r"(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])"  # name | [IPv6]
    r"(?::([0-9]{1,5}))?"  # :port
)


def host_is_valid(value: bytes) -> bool:
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return False
    found = _HOST.fullmatch(text)
    return found is not None and (found[1] is None or int(found[1]) <= 65535)


def path_is_possible(path: str) -> bool:
    return len(path) <= MAX_PATH_LENGTH and all(
        len(segment.encode("utf-8", "surrogatepass")) <= MAX_SEGMENT_BYTES
        for segment in path.split("/")
    )


def refuse_malformed_requests(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            hosts = [value for name, value in scope["headers"] if name == b"host"]
            if len(hosts) > 1 or not all(host_is_valid(host) for host in hosts):
                raise ValidationException("malformed Host header")
            if not path_is_possible(scope["path"]):
                raise NotFoundException()
        await app(scope, receive, send)

    return middleware
