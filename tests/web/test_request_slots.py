"""Many concurrent requests on one process: none waits for ever for a database connection.

Litestar runs a request's sync dependency and its handler as separate hops on the
loop's small thread pool, and the request keeps its connection in between. Without
a bound on such requests, 64 concurrent coordinator pages used to exhaust the pool:
every thread waited for a connection held by a request that waited for a thread,
until the pool's 30 s timeout turned them into errors.
"""

from __future__ import annotations

import asyncio

import httpx
from litestar.testing import TestClient
from sqlalchemy.pool import QueuePool

from tests.builders import db, login, make_coordinator, make_region
from web.app import create_app
from web.core.db import REQUEST_SLOTS, request_slots

CONCURRENT = 64


def test_request_slots_leave_room_in_the_pool(settings):
    """The app's own engine has a connection for every request slot, and more to spare
    (the mail sender and the CLI-like jobs take theirs outside the slots)."""
    app = create_app(settings)
    with TestClient(app=app):
        pool = app.state.engine.pool
        slots = request_slots(app.state)
        assert isinstance(pool, QueuePool), type(pool)
        assert slots.value == REQUEST_SLOTS
        assert pool.size() >= slots.value
        assert pool._max_overflow > 0  # noqa: SLF001 (no public reading of it)


def test_many_concurrent_coordinator_pages_all_succeed(settings, engine):
    with db(engine) as session:
        make_coordinator(session, "alice@example.org", regions=[make_region(session, "kassel")])
    with TestClient(app=create_app(settings)) as sync_client:
        assert login(sync_client, "alice@example.org").status_code == 303
        cookies = dict(sync_client.cookies)

    async def many_at_once() -> list[httpx.Response]:
        # httpx's ASGI transport runs the requests truly side by side on this loop
        # (Litestar's test clients take them one at a time).
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=cookies
            ) as client,
        ):
            return await asyncio.wait_for(
                asyncio.gather(*(client.get("/coordinator/") for _ in range(CONCURRENT))),
                timeout=25,  # below the pool's 30 s timeout: a stall fails here, not as errors
            )

    responses = asyncio.run(many_at_once())
    statuses = [response.status_code for response in responses]
    assert statuses == [200] * CONCURRENT
    assert all("<title>Übersicht" in response.text for response in responses)  # the dashboard
