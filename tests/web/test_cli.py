from __future__ import annotations

from sqlalchemy import select

from tests.builders import db, make_region, tandem
from web.core.models import Coordinator


def test_a_bad_database_url_is_one_clear_line():
    result = tandem("migrate", database_url="not a url")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "tandem: error: TANDEM_DATABASE_URL is not a database URL: 'not a url'"
    )


def test_an_unreachable_database_is_one_clear_line():
    result = tandem("migrate", database_url="postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "the database cannot be used" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_arguments_exit_non_zero_without_traceback(database_url):
    result = tandem("no-such-command", database_url=database_url)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_it_creates_a_coordinator_for_a_region(database_url, engine):
    with db(engine) as session:
        make_region(session, "kassel")
    result = tandem(
        "create-coordinator",
        "--email",
        "Carla@Example.org",
        "--name",
        "Carla",
        "--region",
        "kassel",
        "--password-stdin",
        database_url=database_url,
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    with db(engine) as session:
        carla = session.scalars(select(Coordinator)).one()
        assert carla.email == "carla@example.org"
        assert [region.slug for region in carla.regions] == ["kassel"]
        assert carla.password_hash.startswith("$argon2id$")


def test_it_refuses_a_short_password_and_an_unknown_region(database_url, engine):
    short = tandem(
        "create-coordinator",
        "--email",
        "c@example.org",
        "--name",
        "C",
        "--password-stdin",
        database_url=database_url,
        stdin="short\n",
    )
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    unknown = tandem(
        "create-coordinator",
        "--email",
        "c@example.org",
        "--name",
        "C",
        "--region",
        "atlantis",
        "--password-stdin",
        database_url=database_url,
        stdin="a long enough password\n",
    )
    assert unknown.returncode == 2 and "unknown region: atlantis" in unknown.stderr
