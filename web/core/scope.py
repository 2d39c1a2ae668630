"""Tandem's own keys in a request's ASGI scope (``tandem.*``)."""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection


def scope_of(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    """The connection's scope as a plain dict (the same object), to hold Tandem's keys.

    Litestar types the scope as a TypedDict of the keys ASGI defines; the ASGI
    specification lets an application add its own, namespaced ones.
    """
    return cast(dict[str, Any], connection.scope)
