"""Link tokens never reach a log line (issue 12 §2).

The links Tandem mails carry their secret in the path: ``/me/open/<token>`` opens a
profile for 30 days, ``/invite/<token>`` creates a coordinator account. Uvicorn's access
log writes every request path, so whoever reads the log could use them. ``RedactTokens``
rewrites the token segment of those paths in every record it sees::

    127.0.0.1:5123 - "GET /me/open/[redacted] HTTP/1.1" 200

It is installed twice, so that it holds however the app is started:

- ``tandem serve`` passes ``uvicorn_log_config()`` to Uvicorn: the filter sits on Uvicorn's
  own handlers from the first line on;
- ``create_app`` calls ``install()`` at start-up, for ``uvicorn --factory web.app:create_app``
  (and gunicorn or whatever else configured the logging): the filter goes on the loggers
  that write request paths and on every handler already configured.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from web.core.links import PATHS

# The paths that carry a token: every kind of e-mailed link (``links.PATHS``).
TOKEN_PATH_PREFIXES = tuple(path.strip("/") for path in PATHS.values())
# Pages under those prefixes that are not tokens.
NOT_TOKENS = ("thanks",)
REDACTED = "[redacted]"

_TOKEN_IN_PATH = re.compile(
    r"(/(?:" + "|".join(map(re.escape, TOKEN_PATH_PREFIXES)) + r")/)"
    r"(?!(?:" + "|".join(NOT_TOKENS) + r")(?:[/?#\s\"']|$))"
    r"[^/?#\s\"']+"
)
# Loggers that write request paths or messages about requests.
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "litestar", "")


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(rf"\g<1>{REDACTED}", text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Replaces link tokens in the message, its arguments and its traceback text. The
    arguments keep their shape: Uvicorn's access formatter unpacks them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _add_once(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(existing, RedactTokens) for existing in target.filters):
        target.addFilter(RedactTokens())


def install() -> None:
    """Put the filter on the loggers that write requests and on their handlers (idempotent).

    A filter on a logger sees the records logged there; one on a handler also sees those
    that propagate to it from other loggers."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        _add_once(logger)
        for handler in logger.handlers:
            _add_once(handler)


def uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's default logging, with the filter on its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tokens")
    return config
