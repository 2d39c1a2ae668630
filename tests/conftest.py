"""Shared fixtures: a clean, migrated database per test and a Litestar test client.

The suite runs on SQLite by default and on PostgreSQL when
TANDEM_TEST_DATABASE_URL is set (CI does both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from web.app import create_app, point_at
from web.cli import alembic_config
from web.core import auth, mail
from web.core.db import create_db_engine
from web.core.models import metadata
from web.core.settings import Settings
from web.dev import routes
from web.jobs import tasks


def database_of_this_worker(url: str | None) -> str | None:
    """Under pytest-xdist (``make test`` runs two workers) each worker gets a PostgreSQL
    database of its own, ``<database>_gw0``, ``<database>_gw1``..., created if missing:
    the tests truncate and reset the schema of theirs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    server = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not found:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = database_of_this_worker(os.environ.get("TANDEM_TEST_DATABASE_URL"))
# Jobs run at once in the process that queues them (web.core.queue), in this process and in
# the servers tests start; tests/web/jobs/ start real workers on a real queue.
os.environ.setdefault("TANDEM_QUEUE_URL", "immediate")
os.environ.setdefault("TANDEM_EMBEDDED_WORKER", "false")
TEST_SECRET = "test-secret-key-with-more-than-32-characters"


def reset_postgres_schema(url: str) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest schema, migrated once per worker, to copy: the browser
    tests' servers run on SQLite whatever database the in-process tests use."""
    path = tmp_path_factory.mktemp("template") / "tandem.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    return path


@pytest.fixture(scope="session")
def migrated_template(request: pytest.FixtureRequest) -> str:
    """A database at the newest schema: a SQLite file to copy, or the PostgreSQL URL."""
    if POSTGRES_URL:
        reset_postgres_schema(POSTGRES_URL)
        command.upgrade(alembic_config(POSTGRES_URL), "head")
        return POSTGRES_URL
    return str(request.getfixturevalue("sqlite_template"))


def _truncate_all(url: str) -> None:
    engine = create_db_engine(url)
    try:
        tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def worker_database_url(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Every test of a worker gets a fresh database at the same address, so that engines
    (and their compiled-SQL caches, most of a short test's time) outlive one test."""
    if POSTGRES_URL:
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('database') / 'tandem.db'}"


@pytest.fixture(scope="session")
def worker_engine(worker_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(worker_database_url)
    yield engine
    engine.dispose()


# Listeners tests add to count or watch queries; removed after each test.
_TEST_LISTENERS = ("before_cursor_execute", "after_cursor_execute")


def forget_test_listeners(engine: Engine) -> None:
    for name in _TEST_LISTENERS:
        getattr(engine.dispatch, name).for_modify(engine.dispatch).clear()


@pytest.fixture
def database_url(migrated_template: str, worker_database_url: str, worker_engine: Engine) -> str:
    """A clean database for one test: the template copied (SQLite) or every table emptied."""
    if POSTGRES_URL:
        _truncate_all(POSTGRES_URL)
        return POSTGRES_URL
    worker_engine.dispose()  # no pooled connection may outlive the file it reads
    # A new file (a new inode), never one overwritten in place: a connection a test left open
    # keeps reading the old one instead of meeting a changed file under its locks.
    path = Path(make_url(worker_database_url).database or "")
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    shutil.copyfile(migrated_template, path)
    return worker_database_url


@pytest.fixture
def engine(database_url: str, worker_engine: Engine) -> Iterator[Engine]:
    yield worker_engine
    forget_test_listeners(worker_engine)
    worker_engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        env="development",
        mail_dir=str(tmp_path / "mail"),
        erasure_ledger=str(tmp_path / "erasures.jsonl"),
        queue_url="immediate",
    )


# Per-test paths: an app built for other paths serves these after ``point_at``.
_PER_TEST_SETTINGS = {"database_url": "", "mail_dir": "", "erasure_ledger": ""}
_APPS: dict[str, Litestar] = {}


def app_for(settings: Settings) -> Litestar:
    """An app serving ``settings``: built once per worker for each shape of settings and
    pointed at each test's database, mail directory and ledger. Building one costs ~0.3 s
    (Litestar registers ~220 handlers, Jinja compiles each template on first use), a
    minute or more of the suite; everything per test lives in app.state and app.stores."""
    key = settings.model_copy(update=_PER_TEST_SETTINGS).model_dump_json()
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    elif app.state.engine.url.render_as_string(hide_password=False) == settings.database_url:
        point_at(app, settings, engine=app.state.engine)
    else:
        point_at(app, settings)
    return app


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=app_for(settings)) as test_client:
        yield test_client
    forget_test_listeners(test_client.app.state.engine)


@pytest.fixture
def kassel(engine: Engine) -> int:
    """The region Kassel (its place ``kassel-town``), nobody in it yet; its id.
    Modules that need more in Kassel define their own ``kassel`` or use tests/worlds.py."""
    from tests.builders import db, make_region

    with db(engine) as session:
        return make_region(session, "kassel").id  # type: ignore[return-value]


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production argon2 takes ~0.3 s a hash on purpose; in-process tests use the cheapest
    parameters (tests/web/login/test_login.py checks the production ones)."""
    monkeypatch.setattr(auth, "_hasher", FAST_HASHER)
    monkeypatch.setattr(auth, "_DUMMY_HASH", FAST_HASHER.hash("not-a-real-password"))


@pytest.fixture(autouse=True)
def in_process_mail_stays_in_the_outbox(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sent e-mail keeps no text (issue 12), and in-process tests read the links people
    get from the outbox: there, the queue's sending job sends nothing, unless a test
    is marked ``sends_mail``. Sending itself is tested by calling ``mail.deliver_pending``,
    and the browser tests run a real server that sends."""
    if request.node.get_closest_marker("sends_mail") is None:
        monkeypatch.setattr(tasks, "deliver_due", lambda **_: mail.DeliveryReport())


REAL_IS_LOOPBACK = routes.is_loopback


@pytest.fixture(autouse=True)
def test_client_counts_as_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Litestar's TestClient calls from the host "testclient"; /dev/mail answers only the
    loopback address, so in-process tests count that host as this computer
    (tests/web/dev/test_dev_mail.py checks the real rule)."""
    monkeypatch.setattr(
        routes, "is_loopback", lambda host: host == "testclient" or REAL_IS_LOOPBACK(host)
    )


E2E_DIR = Path(__file__).parent / "e2e"


# ``make test`` hands tests to its two workers one by one (``--dist loadgroup``), so that both
# finish together, except for the modules whose tests share a fixture (a browser test's
# server, an extracted message catalogue): each of those runs whole on one worker.
SHARED_MODULES = {"tests/db/test_demo.py", "tests/web/test_translations.py"}
_SHARED_SCOPES = {"class", "module", "package"}


def module_kept_together(nodeid: str) -> str | None:
    module = nodeid.split("::")[0]
    return module if module.startswith("tests/e2e/") or module in SHARED_MODULES else None


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """pytest-xdist's own groups (``xdist_group`` markers) are lost on pytest 9.2, which
    keeps node ids elsewhere; the scheduler groups these modules by their path instead."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModulesSharingFixturesStayTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return module_kept_together(nodeid) or super()._split_scope(nodeid)

    return ModulesSharingFixturesStayTogether(config, log)  # type: ignore[arg-type]


def _shares_fixtures_with_its_module(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(stack[-1].scope in _SHARED_SCOPES for stack in defs)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test carries the ``browser`` marker, so that a quick local run can
    leave them out: ``pytest -m "not browser and not fuzz"`` (CI runs everything)."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.browser)
        if _shares_fixtures_with_its_module(item) and not module_kept_together(item.nodeid):
            raise pytest.UsageError(
                f"{item.nodeid} shares a fixture with its module: add the module to "
                "SHARED_MODULES in tests/conftest.py, so that one worker runs it whole"
            )


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (per-test file)'}"
