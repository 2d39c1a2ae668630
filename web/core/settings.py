"""Typed settings, read from ``TANDEM_*`` environment variables.

Development defaults are safe to run on a laptop; ``validate_for_production``
refuses the placeholders that must never reach a real deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]  # the repository: web/core/settings.py
PLACEHOLDER_SECRET = "dev-insecure-secret-change-me-0000000000"  # noqa: S105 (a known placeholder)


WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 (names, not a bind)


def local_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server bound to ``host:port``."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"  # bound to every interface: this one works on the machine itself
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


class SettingsError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development", description="`production` turns on secure cookies, HSTS and start-up checks."
    )
    database_url: str = Field(
        f"sqlite:///{ROOT / 'var' / 'tandem.db'}",
        description="SQLAlchemy URL: the embedded SQLite file or `postgresql+psycopg://…`.",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET,
        description="Signs CSRF tokens and links. Must be set (≥ 32 characters) in production.",
    )
    host: str = Field("127.0.0.1", description="Address `tandem serve` binds to.")
    port: int = Field(8000, description="Port `tandem serve` listens on.")
    workers: int = Field(1, description="Uvicorn worker processes for `tandem serve`.")
    default_locale: str = Field("de", description="Language of pages when the visitor chose none.")
    page_size: int = Field(50, description="Rows per page in coordinator lists.")
    session_max_age: int = Field(
        12 * 3600, description="Absolute lifetime of a coordinator session, in seconds."
    )
    session_idle_timeout: int = Field(
        30 * 60, description="A session ends after this many seconds without a request."
    )
    debug: bool = Field(False, description="Show tracebacks in the browser (never in production).")
    base_url: str = Field(
        "",
        description="Public address of the site, used in e-mail links. Unset: the address "
        "`tandem serve` listens on (http://127.0.0.1:8000 with the default host and port).",
    )
    mail_from: str = Field(
        "Tandem <tandem@localhost>", description="Sender address of every e-mail."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server; unset, e-mails are written to TANDEM_MAIL_DIR instead."
    )
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    mail_dir: str = Field(
        str(ROOT / "var" / "mail"),
        description="Where e-mails are written as .eml files when no SMTP server is set.",
    )
    erasure_ledger: str = Field(
        str(ROOT / "var" / "erasures.jsonl"),
        description="Append-only file of erasures (random ids and times only), kept outside "
        "the database so that `tandem restore` erases those people again. Back it up apart.",
    )
    min_age_online: int = Field(
        16, description="Youngest age to sign up online (under 18 with a guardian's consent)."
    )
    min_age_assisted: int = Field(
        12, description="Youngest age a coordinator may register, with a guardian's consent."
    )
    verify_link_hours: int = Field(48, description="How long an address-confirmation link works.")
    profile_link_days: int = Field(30, description='How long a "my profile" link works.')
    unverified_days: int = Field(
        14, description="Sign-ups whose address is not confirmed are erased after these days."
    )
    retention_months: int = Field(
        12, description="People inactive this long are reminded, then erased 30 days later."
    )
    outbox_retention_days: int = Field(
        30,
        ge=1,
        description="`tandem purge` deletes e-mails from the outbox this many days after they "
        "were written (a sent one keeps no text or recipient even before).",
    )
    signup_limit_per_hour: int = Field(
        60,
        ge=1,
        description="Complete sign-ups accepted per hour from one IP address; every post "
        "of the form counts against ten times this (web.core.limits).",
    )
    store_url: str = Field(
        "",
        description="Where sessions live: empty = the database, or a `redis://host:6379/0` "
        "URL (needs the `redis` package). Rate-limit counters are always in the database.",
    )

    # --- the job queue (issue 18) ---
    queue_url: str = Field(
        "",
        description="Where jobs wait for `tandem worker`: empty = a SQLite file beside the "
        "database (`var/queue.db` on PostgreSQL), `redis://host:6379/3` for several machines, "
        "or `immediate` to run every job at once inside the process that queued it (tests).",
    )
    embedded_worker: bool = Field(
        True,
        description="`tandem serve` also starts one `tandem worker` process and stops it on "
        "exit (development only; production runs workers as their own service).",
    )
    backup_dir: str = Field(
        "",
        description="If set, the worker writes a nightly backup there (`tandem-DATE.backup`).",
    )

    @model_validator(mode="after")
    def _base_url_follows_the_server(self) -> Settings:
        # Links in e-mails must reach this server: with `tandem serve --port 8080` (which
        # sets TANDEM_PORT for the app) they point at 8080, not at a fixed 8000.
        if not self.base_url:
            self.base_url = local_url(self.host, self.port)
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def validate_for_production(self) -> None:
        """Raise ``SettingsError`` for a configuration that must not serve real people."""
        if not self.is_production:
            return
        if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
            raise SettingsError(
                "TANDEM_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production, e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        if self.debug:
            raise SettingsError("TANDEM_DEBUG must be off in production.")
