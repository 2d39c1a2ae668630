from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import db, html, login, make_coordinator, make_region
from web.core.models import AuditLog

DAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def world(engine, *, rows: int = 0) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "ada@example.org", role="admin")
        session.add_all(
            [
                AuditLog(
                    at=DAY - timedelta(days=3),
                    actor_type="coordinator",
                    actor_id=7,
                    action="participant.viewed",
                    subject_type="participant",
                    subject_id="41",
                ),
                AuditLog(
                    at=DAY - timedelta(days=1),
                    actor_type="coordinator",
                    actor_id=8,
                    action="tandem.ended",
                    subject_type="tandem",
                    subject_id="5",
                ),
                AuditLog(
                    at=DAY,
                    actor_type="system",
                    actor_id=None,
                    action="participant.erased",
                    subject_type="participant",
                    subject_id="42",
                ),
            ]
        )
        session.add_all(
            AuditLog(
                at=DAY - timedelta(days=30, minutes=i),
                actor_type="system",
                action="bulk.test",
                subject_type="thing",
                subject_id=str(i),
            )
            for i in range(rows)
        )


def entries(client, query: str = ""):  # type: ignore[no-untyped-def]
    response = client.get(f"/coordinator/audit{query}")
    assert response.status_code == 200, response.text
    # The action as stored (data-action), the other cells as shown.
    return [
        [td.get("data-action") or td.get_text(strip=True) for td in row.select("td")]
        for row in html(response).select("tr[data-audit]")
    ]


def test_it_is_for_admins_only(client, engine):
    world(engine)
    login(client, "alice@example.org")
    assert client.get("/coordinator/audit").status_code == 404
    nav = html(client.get("/coordinator/")).select_one("nav.account")
    assert nav.find("a", href="/coordinator/audit") is None


def test_it_needs_a_login(client, engine):
    world(engine)
    assert client.get("/coordinator/audit", follow_redirects=False).status_code in (302, 303)


def test_an_admin_sees_the_newest_first_with_ids_only(client, engine):
    world(engine)
    login(client, "ada@example.org")
    nav = html(client.get("/coordinator/")).select_one("nav.account")
    assert nav.find("a", href="/coordinator/audit") is not None
    rows = entries(client, "?actor_type=system&action=participant&lang=de")
    # Local time (12:00 UTC is 13:00 in Kassel) and words, never a stored code.
    assert rows == [
        ["2. März 2026, 13:00", "System", "participant.erased", "Teilnehmende Person (Nr. 42)"]
    ]
    shown = html(client.get("/coordinator/audit?action=participant.erased&lang=de"))
    assert (
        shown.select_one("td[data-action]").get_text(strip=True) == "Teilnehmende Person gelöscht"
    )
    listed = [row for row in entries(client) if row[2] != "login"]  # logging in is audited too
    assert [r[2] for r in listed] == ["participant.erased", "tandem.ended", "participant.viewed"]


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ("?action=tandem.ended", ["tandem.ended"]),
        ("?action=participant", ["participant.erased", "participant.viewed"]),
        ("?actor_id=7", ["participant.viewed"]),
        ("?subject_type=participant&subject_id=42", ["participant.erased"]),
        ("?since=2026-03-01&until=2026-03-01", ["tandem.ended"]),
        ("?since=2026-03-02&until=2026-03-02", ["participant.erased"]),
        ("?until=2026-02-27", ["participant.viewed"]),
        ("?action=nothing", []),
    ],
)
def test_it_filters(client, engine, query, actions):
    world(engine)
    login(client, "ada@example.org")
    assert [r[2] for r in entries(client, query)] == actions


@pytest.mark.parametrize(
    "query",
    [
        "?actor_id=seven",
        "?actor_id=-1",
        "?actor_type=robot",
        "?since=2026-13-01",
        "?until=yesterday",
        "?since=2026-03-02&until=2026-03-01",
        "?action=" + "x" * 65,
    ],
)
def test_a_bad_filter_is_a_400_with_a_message(client, engine, query):
    world(engine)
    login(client, "ada@example.org")
    response = client.get(f"/coordinator/audit{query}")
    assert response.status_code == 400
    assert html(response).select_one("p.error[role=alert]").get_text(strip=True)


def test_it_pages_with_the_filters_kept(client, engine, settings):
    world(engine, rows=settings.page_size + 3)
    login(client, "ada@example.org")
    first = html(client.get("/coordinator/audit?action=bulk.test"))
    assert len(first.select("tr[data-audit]")) == settings.page_size
    following = first.find("a", rel="next")["href"]
    assert "action=bulk.test" in following and "page=2" in following
    second = html(client.get(f"/coordinator/audit{following}"))
    assert len(second.select("tr[data-audit]")) == 3
    assert second.find("a", rel="next") is None
