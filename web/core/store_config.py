"""Where sessions live: the database (default) or Redis.

Every worker process and every machine behind the proxy must see the same
sessions (SECURITY.md §2.2), so they may not live in process memory. The
embedded default keeps them in the application database (``store_entry``);
``TANDEM_STORE_URL=redis://…`` moves them to Redis. Rate-limit counters are
not in a store: they always live in the database, one upsert per limited
request (``web.core.limits``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from web.core.settings import SettingsError
from web.core.stores import DatabaseStore

if TYPE_CHECKING:
    from litestar.stores.base import Store

# Store names the app uses, each with its own namespace.
STORE_NAMES = {"sessions": "session"}
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
REDIS_NAMESPACE = "tandem"


def build_stores(engine: Engine, store_url: str = "") -> dict[str, Store]:
    """The app's named stores, in the database or, with a ``redis://`` URL, in Redis."""
    url = store_url.strip()
    if not url:
        return {name: DatabaseStore(engine, namespace) for name, namespace in STORE_NAMES.items()}
    if not url.startswith(REDIS_SCHEMES):
        raise SettingsError(
            f"TANDEM_STORE_URL must be empty (the database) or a redis:// URL, not {url!r}"
        )
    try:
        from litestar.stores.redis import RedisStore
    except ImportError as exc:  # the optional dependency is missing
        raise SettingsError(
            "TANDEM_STORE_URL names Redis, but the `redis` package is not installed "
            "(pip install 'tandem[redis]')"
        ) from exc
    # One client (one connection pool) for all stores; namespaces keep their keys apart.
    root = RedisStore.with_client(url=url, namespace=REDIS_NAMESPACE)
    return {name: root.with_namespace(namespace) for name, namespace in STORE_NAMES.items()}
