from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.builders import db, make_coordinator
from web.app import create_app
from web.core.settings import PLACEHOLDER_SECRET, Settings, SettingsError

GOOD_SECRET = "x" * 40


def test_settings_come_from_tandem_environment_variables(monkeypatch):
    monkeypatch.setenv("TANDEM_PAGE_SIZE", "7")
    monkeypatch.setenv("TANDEM_ENV", "production")
    settings = Settings()
    assert settings.page_size == 7
    assert settings.is_production


def test_production_refuses_the_placeholder_secret(database_url):
    with pytest.raises(SettingsError, match="TANDEM_SECRET_KEY"):
        create_app(
            Settings(env="production", secret_key=PLACEHOLDER_SECRET, database_url=database_url)
        )
    with pytest.raises(SettingsError, match="TANDEM_SECRET_KEY"):
        create_app(Settings(env="production", secret_key="short", database_url=database_url))


def test_production_refuses_debug(database_url):
    with pytest.raises(SettingsError, match="TANDEM_DEBUG"):
        create_app(
            Settings(
                env="production", secret_key=GOOD_SECRET, debug=True, database_url=database_url
            )
        )


def test_production_starts_with_a_real_secret(database_url):
    from litestar.testing import TestClient

    app = create_app(Settings(env="production", secret_key=GOOD_SECRET, database_url=database_url))
    with TestClient(app) as client:
        response = client.get("/login")  # a page with a form sets the CSRF cookie
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert "__Host-csrf" in response.headers["set-cookie"]
        assert "Secure" in response.headers["set-cookie"]


def test_production_refuses_to_start_with_demo_accounts(database_url, engine):
    from litestar.testing import TestClient

    with db(engine) as session:
        make_coordinator(session, "demo@example.org", is_demo=True)
    app = create_app(Settings(env="production", secret_key=GOOD_SECRET, database_url=database_url))
    with pytest.raises(BaseExceptionGroup) as refused, TestClient(app):
        pass
    assert refused.group_contains(SettingsError, match="demo coordinator accounts exist")


def test_nothing_is_built_at_import_time():
    code = "import web.app, sys; print('web.core.places' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Importing the factory module builds no app and opens no database.
    import web.app

    assert callable(web.app.create_app)
    assert out.stdout.split()[0] == "False"


@pytest.mark.parametrize("limit", [0, -5])
def test_a_sign_up_limit_below_one_is_refused_at_start(limit):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="signup_limit_per_hour"):
        Settings(signup_limit_per_hour=limit)


def test_the_default_base_url_follows_the_port(monkeypatch):
    monkeypatch.delenv("TANDEM_BASE_URL", raising=False)
    monkeypatch.setenv("TANDEM_PORT", "8123")
    assert Settings().base_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("TANDEM_HOST", "0.0.0.0")  # noqa: S104 (every interface: a local link)
    assert Settings().base_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("TANDEM_BASE_URL", "https://tandem.example.org")  # set: kept as it is
    assert Settings().base_url == "https://tandem.example.org"


def test_serve_with_a_port_prints_and_mails_links_to_that_port(monkeypatch, capsys):
    import uvicorn

    from web import cli

    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options))
    # serve writes TANDEM_HOST/PORT into the environment: a copy, so nothing leaks out.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    monkeypatch.setattr(os, "environ", {**environment, "TANDEM_DATABASE_URL": "sqlite://"})

    assert cli.main(["serve", "--port", "8765"]) == 0
    assert served["port"] == 8765
    assert "Tandem serves at http://127.0.0.1:8765" in capsys.readouterr().out
    # The app the factory builds in the server process reads the same environment.
    assert Settings().base_url == "http://127.0.0.1:8765"
