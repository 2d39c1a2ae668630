"""The queue's wiring: where jobs wait, and jobs queued only after a commit."""

from __future__ import annotations

import pytest

from tests.builders import db
from web.core.queue import after_commit, queue_location
from web.core.settings import ROOT, Settings


@pytest.mark.parametrize(
    ("database_url", "queue_url", "expected"),
    [
        ("sqlite:////srv/tandem/tandem.db", "", "/srv/tandem/tandem.queue.db"),
        ("postgresql+psycopg://t@db/tandem", "", str(ROOT / "var" / "queue.db")),
        ("postgresql+psycopg://t@db/tandem", "redis://q:6379/3", "redis://q:6379/3"),
        ("sqlite:////srv/tandem/tandem.db", "/var/lib/tandem/jobs.db", "/var/lib/tandem/jobs.db"),
        ("sqlite:////srv/tandem/tandem.db", "immediate", "immediate"),
    ],
)
def test_where_jobs_wait(database_url, queue_url, expected):
    settings = Settings(database_url=database_url, queue_url=queue_url)
    assert queue_location(settings) == expected


def test_a_job_is_queued_after_the_commit_and_never_after_a_rollback(engine):
    queued: list[str] = []
    with db(engine) as session:
        after_commit(session, lambda: queued.append("run"))
        assert queued == []  # not before the commit: the worker would not see the row
    assert queued == ["run"]

    with pytest.raises(RuntimeError), db(engine) as session:
        after_commit(session, lambda: queued.append("rolled back"))
        raise RuntimeError("the request failed")
    assert queued == ["run"]
