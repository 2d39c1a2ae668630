"""The admins' page of failed jobs: who may see it, what it shows, queueing a job again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.builders import csrf_token, db, html, login, make_coordinator, make_region
from web.core.models import AuditLog, FailedJob, utcnow

PAGE = "/coordinator/jobs/failed"


def world(engine) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "ada@example.org", role="admin")
        job = FailedJob(
            task="web.runs.jobs.matching_run",
            arguments=[4711, "not a date"],
            error="ValueError: Invalid isoformat string: 'not a date'",
            failed_at=utcnow() - timedelta(hours=1),
        )
        session.add(job)
        session.flush()
        return job.id  # type: ignore[return-value]


def failed_jobs(engine) -> list[FailedJob]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(session.scalars(select(FailedJob).order_by(FailedJob.id)))


def test_only_admins_see_failed_jobs(client, engine):
    world(engine)
    login(client, "alice@example.org")
    assert client.get(PAGE).status_code == 404
    nav = html(client.get("/coordinator/regions")).select_one("nav.account")
    assert PAGE not in [link["href"] for link in nav.find_all("a")]


def test_the_page_lists_the_job_translated_with_its_error(client, engine):
    job_id = world(engine)
    login(client, "ada@example.org")
    nav = html(client.get("/coordinator/")).select_one("nav.account")
    assert PAGE in [link["href"] for link in nav.find_all("a")]
    page = html(client.get(PAGE, headers={"accept-language": "de"}))
    row = page.select_one(f"li[data-job='{job_id}']")
    assert row.h2.text == "Matching-Lauf"
    assert "ValueError: Invalid isoformat string" in row.code.text
    assert "web.runs.jobs" not in row.text  # the task's name is no label


def test_queue_again_needs_the_csrf_token(client, engine):
    job_id = world(engine)
    login(client, "ada@example.org")
    response = client.post(f"{PAGE}/{job_id}/retry", follow_redirects=False)
    assert response.status_code == 403
    assert failed_jobs(engine)[0].retried_at is None


def test_queue_again_queues_the_job_once(client, engine):
    job_id = world(engine)
    login(client, "ada@example.org")
    token = csrf_token(client, PAGE)
    response = client.post(
        f"{PAGE}/{job_id}/retry", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    # Immediate mode in tests: the job ran at once and failed again, as it must.
    first, again = failed_jobs(engine)
    assert first.retried_at is not None
    assert (again.task, again.arguments, again.retried_at) == (first.task, first.arguments, None)
    page = html(client.get(PAGE))
    assert page.select_one(f"li[data-job='{job_id}'] form") is None  # no second button
    # A second click (an old tab) does not queue it twice.
    client.post(f"{PAGE}/{job_id}/retry", data={"_csrf_token": token}, follow_redirects=False)
    assert len(failed_jobs(engine)) == 2
    with db(engine) as session:
        actions = session.scalars(select(AuditLog.action)).all()
    assert actions.count("job.retried") == 1


def test_a_coordinator_cannot_queue_a_job_again(client, engine):
    job_id = world(engine)
    login(client, "alice@example.org")
    token = csrf_token(client, "/coordinator/regions")
    response = client.post(
        f"{PAGE}/{job_id}/retry", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 404
    assert failed_jobs(engine)[0].retried_at is None
