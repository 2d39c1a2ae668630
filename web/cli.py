"""The ``tandem`` command: serve, migrate, demo, create-coordinator, add-region, match.

Wrong arguments or an unusable database give one line on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlmodel import Session, col

from web.checkins.checkins import send_due_checkins
from web.core import mail
from web.core.auth import hash_password
from web.core.db import create_db_engine, transaction
from web.core.log_redaction import uvicorn_log_config
from web.core.models import Coordinator, MatchingRun, Region, utcnow
from web.core.places import UnknownPlace, create_region
from web.core.settings import ROOT, Settings, SettingsError, local_url
from web.core.sql import id_of, table
from web.events import whats_on
from web.events.signups import send_reminders
from web.jobs import worker
from web.ops import backup
from web.ops.demo import DEMO_PASSWORD, DemoAlreadyLoaded, load_demo
from web.ops.retention import purge
from web.proposals.proposals import follow_up
from web.runs import whatif
from web.runs.runs import RunAlreadyRunning, execute_run, start_run

MIN_PASSWORD_LENGTH = 12


class CommandError(Exception):
    """A problem the user can fix; printed as one line."""


@contextmanager
def database(settings: Settings) -> Iterator[Engine]:
    """The engine for one command, disposed of when it is done."""
    engine = create_db_engine(settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_for(settings: Settings) -> Iterator[Session]:
    """One transaction for a command: committed if the block ends normally, else rolled back."""
    with database(settings) as engine, transaction(engine) as session:
        yield session


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    command.upgrade(alembic_config(settings.database_url), "head")
    print(f"database is at the newest schema ({_redacted(settings.database_url)})")


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    try:
        with session_for(settings) as session:
            summary = load_demo(session, today=args.today or date.today(), seed=args.seed)  # noqa: DTZ011
    except DemoAlreadyLoaded as exc:
        if not args.if_empty:
            raise CommandError(
                "the database already holds data; the demo needs an empty one"
            ) from exc
        print("demo data already loaded")
        _print_logins(settings)
        return
    print(f"loaded {summary.locals} locals and {summary.newcomers} newcomers in 2 regions")
    for email, role in summary.logins:
        print(f"  {role:<12} login: {email}  password: {summary.password}")


def _print_logins(settings: Settings) -> None:
    with session_for(settings) as session:
        demo = session.scalars(select(Coordinator).where(col(Coordinator.is_demo))).all()
        for coordinator in demo:
            print(f"  {coordinator.role:<12} login: {coordinator.email}  password: {DEMO_PASSWORD}")


def cmd_create_coordinator(settings: Settings, args: argparse.Namespace) -> None:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", args.email):
        raise CommandError(f"{args.email!r} is not an e-mail address")
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    try:
        with session_for(settings) as session:
            regions = list(session.scalars(select(Region).where(col(Region.slug).in_(args.region))))
            missing = set(args.region) - {region.slug for region in regions}
            if missing:
                raise CommandError(f"unknown region: {', '.join(sorted(missing))}")
            session.add(
                Coordinator(
                    email=args.email.lower(),
                    display_name=args.name,
                    role=args.role,
                    password_hash=hash_password(password),
                    regions=regions,
                )
            )
            session.flush()
    except IntegrityError as exc:
        raise CommandError(f"a coordinator with the e-mail {args.email} exists already") from exc
    print(f"created {args.role} {args.email}")


def cmd_invite(settings: Settings, args: argparse.Namespace) -> None:
    from web.accounts.accounts import invite
    from web.core import links

    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", args.email):
        raise CommandError(f"{args.email!r} is not an e-mail address")
    with session_for(settings) as session:
        regions = list(session.scalars(select(Region).where(col(Region.slug).in_(args.region))))
        missing = set(args.region) - {region.slug for region in regions}
        if missing:
            raise CommandError(f"unknown region: {', '.join(sorted(missing))}")
        if args.role == "coordinator" and not regions:
            raise CommandError("a coordinator needs at least one --region")
        raw = invite(
            session,
            email=args.email,
            role=args.role,
            regions=regions,
            invited_by=None,
            now=utcnow(),
        )
    # Printed for the admin at the server's shell (how the first admin gets an account).
    print(f"invitation for {args.email} ({args.role}), valid for 24 hours:")
    print(f"  {links.url(settings, 'invitation', raw)}")


def cmd_add_region(settings: Settings, args: argparse.Namespace) -> None:
    try:
        with session_for(settings) as session:
            region = create_region(
                session,
                slug=args.slug,
                name=args.name,
                centre=args.centre,
                radius_km=args.radius_km,
            )
            count = session.scalar(select(func.count()).select_from(table(Region))) or 0
    except UnknownPlace as exc:
        raise CommandError(str(exc)) from exc
    except IntegrityError as exc:
        raise CommandError(f"a region called {args.slug!r} or {args.name!r} exists") from exc
    print(f"created region {region.slug} ({len(region.places)} places); {count} regions in all")


def cmd_match(settings: Settings, args: argparse.Namespace) -> None:
    if args.all:
        _queue_matching_everywhere(settings, args.today or date.today())  # noqa: DTZ011
        return
    with database(settings) as engine:
        with transaction(engine) as session:
            region = session.scalars(select(Region).where(col(Region.slug) == args.region)).first()
            if region is None:
                raise CommandError(f"unknown region: {args.region}")
            try:
                run_id = id_of(start_run(session, region, None, now=utcnow()))
            except RunAlreadyRunning as exc:
                raise CommandError(str(exc)) from exc
        execute_run(engine, run_id, today=args.today or date.today())  # noqa: DTZ011
        with transaction(engine) as session:
            run = session.get(MatchingRun, run_id)
            assert run is not None  # noqa: S101
            if run.status != "done":
                raise CommandError(f"matching run {run_id} failed: {run.error}")
            stats = run.stats.get("stats", {})
        print(
            f"run {run_id} for {args.region}: {stats.get('pairs', 0)} pairs, "
            f"{stats.get('unmatched', 0)} unmatched, total score "
            f"{stats.get('total_score', 0):.3f}, {stats.get('seconds', 0):.2f} s"
        )
        # What would help those still waiting (the run page shows it in words).
        whatif.compute(engine, run_id, today=args.today or date.today())  # noqa: DTZ011
        with transaction(engine) as session:
            run = session.get(MatchingRun, run_id)
            report = run.stats.get("whatif", {}) if run is not None else {}
    for entry in report.get("relaxations", []):
        kind = entry["relaxation"]
        value = (
            entry["value"]
            if kind == "level"
            else f"{entry['value']:g} km"
            if kind == "radius"
            else "online for all"
        )
        print(
            f"what if {entry['relaxation']} ({value}): {entry['more']:+d} newcomers matched"
            + (f", {len(entry['concerned'])} people to ask" if entry["concerned"] else "")
        )


def _queue_matching_everywhere(settings: Settings, today: date) -> None:
    """``tandem match --all``: queue the whole country's matching for the workers."""
    from web.core.queue import configure, is_immediate
    from web.runs.jobs import matching_run_everywhere

    with database(settings) as engine:
        configure(settings, engine)
        matching_run_everywhere(today.isoformat())
    if is_immediate():
        print("matching ran in every region (TANDEM_QUEUE_URL=immediate)")
    else:
        print("queued: a matching run in every region (`tandem worker` runs them)")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    """``tandem worker``: consume jobs until stopped."""
    with database(settings) as engine:
        worker.consume(settings, engine, threads=args.threads, periodic=not args.no_periodic)


def cmd_send_mail(settings: Settings, args: argparse.Namespace) -> None:
    """``tandem send-mail``: send every due message once and print the counts."""
    limit = getattr(args, "limit", None) or 50
    transport = mail.transport_for(settings)
    total = mail.DeliveryReport()
    with database(settings) as engine:
        while True:
            report = mail.deliver_pending(engine, transport, now=utcnow(), limit=limit)
            total = mail.DeliveryReport(total.sent + report.sent, total.failed + report.failed)
            if report.sent + report.failed < limit:
                break
    print(f"sent {total.sent}, failed {total.failed}")


def cmd_follow_up(settings: Settings, _args: argparse.Namespace) -> None:
    """``tandem follow-up``: reminders and expiry once; meant for cron, every hour."""
    with session_for(settings) as session:
        reminded, expired = follow_up(session, now=utcnow(), settings=settings)
    print(f"reminded {reminded}, expired {expired}")


def cmd_check_ins(settings: Settings, _args: argparse.Namespace) -> None:
    """``tandem check-ins``: send the due check-ins once; meant for cron, daily."""
    with session_for(settings) as session:
        sent = send_due_checkins(session, settings=settings, now=utcnow())
    print(f"check-ins sent {sent}")


def cmd_whats_on(settings: Settings, _args: argparse.Namespace) -> None:
    """``tandem whats-on``: the monthly "what's on" e-mail about the next month, to everyone
    who has not had it yet; meant for the last days of a month (never twice a month)."""
    with session_for(settings) as session:
        sent = whats_on.send_monthly(session, settings=settings, now=utcnow())
    print(f"what's-on e-mails written {sent}")


def cmd_event_reminders(settings: Settings, _args: argparse.Namespace) -> None:
    """``tandem event-reminders``: remind people of tomorrow's events once; daily."""
    with session_for(settings) as session:
        sent = send_reminders(session, now=utcnow())
    print(f"event reminders sent {sent}")


def cmd_purge(settings: Settings, args: argparse.Namespace) -> None:
    """``tandem purge``: the retention rules once (daily from cron); --dry-run lists only."""
    with session_for(settings) as session:
        report = purge(session, settings=settings, now=utcnow(), dry_run=args.dry_run)
    print("dry run: nothing changed" if args.dry_run else "purge done")
    for line in report.lines():
        print(f"  {line}")


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    try:
        info = backup.backup(settings.database_url, Path(args.file))
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"backed up the {info.kind} database to {info.path} ({info.size} bytes, "
        f"schema {info.schema_revision}); description in {backup.sidecar_path(info.path)}"
    )


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    source = Path(args.file)
    try:
        info = backup.inspect(source)
        if not args.yes:
            raise CommandError(
                f"restoring replaces the whole database with {source}; stop the app, "
                "then run again with --yes"
            )
        result = backup.restore(settings.database_url, source, ledger=Path(settings.erasure_ledger))
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    taken = f"taken {info.created_at.isoformat()}" if info.created_at else "time unknown"
    print(
        f"restored the {info.kind} database from {source} ({taken}); erased again "
        f"{result.replayed} of {result.ledger_entries} people in the erasure ledger"
    )


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    settings.validate_for_production()
    create_db_engine(settings.database_url).dispose()  # fail early on a bad URL
    host, port = args.host or settings.host, args.port or settings.port
    # The app (and every worker) reads its settings from the environment: tell it where it
    # listens, so that the links in its e-mails follow --host/--port.
    os.environ.update(TANDEM_HOST=host, TANDEM_PORT=str(port))
    print(f"Tandem serves at {local_url(host, port)}")
    # In development one worker runs beside the server (make run: one command, one Ctrl-C).
    with worker.embedded_worker(settings):
        uvicorn.run(
            "web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=settings.workers,
            proxy_headers=settings.is_production,
            log_config=uvicorn_log_config(),  # the access log writes paths: no link tokens in it
        )


def _redacted(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", url)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the web app with Uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=cmd_serve)

    worker = commands.add_parser(
        "worker", help="run queued and periodic jobs (matching, e-mail, follow-ups …)"
    )
    worker.add_argument("--threads", type=int, default=2, help="jobs run side by side")
    worker.add_argument(
        "--no-periodic", action="store_true", help="leave the periodic jobs to other workers"
    )
    worker.set_defaults(run=cmd_worker)

    migrate = commands.add_parser("migrate", help="upgrade the database to the newest schema")
    migrate.set_defaults(run=cmd_migrate)

    demo = commands.add_parser("demo", help="load the demo regions, people and coordinators")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--today", type=_parse_date, help="reference date (default: today)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    demo.set_defaults(run=cmd_demo)

    coordinator = commands.add_parser("create-coordinator", help="add a coordinator account")
    coordinator.add_argument("--email", required=True)
    coordinator.add_argument("--name", required=True)
    coordinator.add_argument("--role", choices=("coordinator", "admin"), default="coordinator")
    coordinator.add_argument("--region", action="append", default=[], help="region slug")
    coordinator.add_argument("--password-stdin", action="store_true")
    coordinator.set_defaults(run=cmd_create_coordinator)

    send_mail = commands.add_parser("send-mail", help="send the e-mails that are due, once")
    send_mail.add_argument("--limit", type=int, default=50, help="messages per batch")
    send_mail.set_defaults(run=cmd_send_mail)

    match = commands.add_parser("match", help="run matching for a region and store suggestions")
    which = match.add_mutually_exclusive_group(required=True)
    which.add_argument("--region", help="region slug")
    which.add_argument("--all", action="store_true", help="queue a run in every region")
    match.add_argument("--today", type=_parse_date, help="reference date (default: today)")
    match.set_defaults(run=cmd_match)

    follow_up = commands.add_parser("follow-up", help="remind and expire proposals (hourly)")
    follow_up.set_defaults(run=cmd_follow_up)

    check_ins = commands.add_parser("check-ins", help="send the check-ins that are due (daily)")
    check_ins.set_defaults(run=cmd_check_ins)

    whats_on_parser = commands.add_parser(
        "whats-on", help="send the monthly e-mail about next month's events (from the 25th)"
    )
    whats_on_parser.set_defaults(run=cmd_whats_on)
    reminders = commands.add_parser(
        "event-reminders", help="remind people of tomorrow's events they signed up for (daily)"
    )
    reminders.set_defaults(run=cmd_event_reminders)

    purge_parser = commands.add_parser(
        "purge", help="apply the retention rules (daily from cron); --dry-run lists only"
    )
    purge_parser.add_argument("--dry-run", action="store_true")
    purge_parser.set_defaults(run=cmd_purge)

    invitation = commands.add_parser("invite", help="print a one-time link to create an account")
    invitation.add_argument("--email", required=True)
    invitation.add_argument("--role", choices=("coordinator", "admin"), default="coordinator")
    invitation.add_argument("--region", action="append", default=[], help="region slug")
    invitation.set_defaults(run=cmd_invite)

    region = commands.add_parser("add-region", help="add a region: the places around a centre")
    region.add_argument("--slug", required=True)
    region.add_argument("--name", required=True)
    region.add_argument("--centre", required=True, help="a town, e.g. Kassel")
    region.add_argument("--radius-km", type=float, required=True)
    region.set_defaults(run=cmd_add_region)

    backup_ = commands.add_parser("backup", help="write a consistent copy of the database")
    backup_.add_argument("file", help="new file for the backup (FILE.json describes it)")
    backup_.set_defaults(run=cmd_backup)

    restore = commands.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("file", help="a file written by tandem backup")
    restore.add_argument("--yes", action="store_true", help="really replace the database")
    restore.set_defaults(run=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        args.run(settings, args)
    except (CommandError, SettingsError) as exc:
        print(f"tandem: error: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"tandem: error: the database cannot be used: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
