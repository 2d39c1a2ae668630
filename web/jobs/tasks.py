"""The periodic jobs, scheduled by the queue itself (no cron), and the e-mail sender.

Times are UTC. Every periodic job does its work in one transaction that also inserts its
``JobClaim`` for the period (the hour, the day): when several workers each enqueue the
same periodic job, the first transaction to commit does the work and the others find the
claim and do nothing; a worker stopped mid-job rolls back its claim with its work, so the
next run of the job does it. Sending e-mail needs no claim: each message is claimed in the
outbox (web.core.mail), so any number of senders send each one once.

=========================  =================  ===========================================
job                        when (UTC)         what
=========================  =================  ===========================================
``send_mail``              every minute, and  the due e-mails (retried with a growing
                           after each commit  delay, web.core.mail.retry_delay)
                           that wrote one
``follow_up``              hourly at :15      proposal reminders and expiries
``check_ins``              daily 08:00        check-in questions that are due
``whats_on``               daily 09:30 from   the monthly "what's on" e-mail about the
                           the 25th           next month (each person once per month)
``event_reminders``        daily 09:00        reminders of tomorrow's events
``purge``                  daily 03:30        retention rules, old e-mails, counters
``nightly_backup``         daily 02:45        ``tandem backup`` into TANDEM_BACKUP_DIR
                                              (only when that is set)
=========================  =================  ===========================================
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from huey import crontab
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from web.checkins.checkins import send_due_checkins
from web.core import mail
from web.core.db import transaction
from web.core.models import JobClaim, utcnow
from web.core.queue import context, huey
from web.events import whats_on as whats_on_mail
from web.events.signups import send_reminders
from web.ops import backup, retention
from web.proposals.proposals import follow_up as follow_up_proposals

logger = logging.getLogger(__name__)

CLAIMS_KEPT = timedelta(days=30)
MAIL_BATCH = 50
# The schedule, for the README and the tests: job name -> (crontab fields, description).
SCHEDULE = {
    "send_mail": ("* * * * *", "send the due e-mails"),
    "follow_up": ("15 * * * *", "proposal reminders and expiries"),
    "check_ins": ("0 8 * * *", "check-in questions that are due"),
    "whats_on": ("30 9 25-31 * *", 'the monthly "what\'s on" e-mail about the next month'),
    "event_reminders": ("0 9 * * *", "reminders of tomorrow's events to who signed up"),
    "purge": ("30 3 * * *", "retention rules, old e-mails, counters, expired sessions"),
    "nightly_backup": ("45 2 * * *", "a backup into TANDEM_BACKUP_DIR, if set"),
}


def _cron(job: str) -> crontab:
    minute, hour, day, month, day_of_week = SCHEDULE[job][0].split()
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)


def claim(session: Session, job: str, period: str) -> bool:
    """Insert the claim of ``job`` for ``period`` in ``session``'s transaction; False if
    another worker's committed (or committing: PostgreSQL waits for it) claim has it."""
    try:
        with session.begin_nested():
            session.add(JobClaim(job=job, period=period, claimed_at=utcnow()))
            session.flush()
    except IntegrityError:
        logger.info("%s for %s was done by another worker", job, period)
        return False
    return True


def _hour(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")


def _day(now: datetime) -> str:
    return now.strftime("%Y-%m-%d")


# --- e-mail -----------------------------------------------------------------------------------


def deliver_due(*, now: datetime) -> mail.DeliveryReport:
    """Send every due e-mail, a batch at a time (tests replace this to keep the outbox)."""
    job = context()
    transport = mail.transport_for(job.settings)
    total = mail.DeliveryReport()
    while True:
        report = mail.deliver_pending(job.engine, transport, now=now, limit=MAIL_BATCH)
        total = mail.DeliveryReport(total.sent + report.sent, total.failed + report.failed)
        if report.sent + report.failed < MAIL_BATCH:
            return total


# A failure of the job itself (the database unreachable) is retried after 10, 20, 40 s;
# a message the mail server refuses is retried by the outbox, after 1, 5, 25 … minutes.
@huey.task(retries=3, retry_delay=10, retry_backoff=2)
def send_mail() -> None:
    report = deliver_due(now=utcnow())
    if report.sent or report.failed:
        logger.info("e-mails sent %s, failed %s", report.sent, report.failed)


@huey.periodic_task(_cron("send_mail"))
def send_mail_every_minute() -> None:
    deliver_due(now=utcnow())


# --- proposals, check-ins, retention, backup ----------------------------------------------------


@huey.periodic_task(_cron("follow_up"), retries=2, retry_delay=60)
def follow_up() -> None:
    job, now = context(), utcnow()
    with transaction(job.engine) as session:
        if claim(session, "follow_up", _hour(now)):
            reminded, expired = follow_up_proposals(session, now=now, settings=job.settings)
            logger.info("follow-up: reminded %s, expired %s", reminded, expired)


@huey.periodic_task(_cron("check_ins"), retries=2, retry_delay=60)
def check_ins() -> None:
    job, now = context(), utcnow()
    with transaction(job.engine) as session:
        if claim(session, "check_ins", _day(now)):
            sent = send_due_checkins(session, settings=job.settings, now=now)
            logger.info("check-ins sent %s", sent)


@huey.periodic_task(_cron("whats_on"), retries=2, retry_delay=60)
def whats_on() -> None:
    job, now = context(), utcnow()
    with transaction(job.engine) as session:
        if claim(session, "whats_on", _day(now)):
            sent = whats_on_mail.send_monthly(session, settings=job.settings, now=now)
            logger.info("what's-on e-mails written %s", sent)


@huey.periodic_task(_cron("event_reminders"), retries=2, retry_delay=60)
def event_reminders() -> None:
    job, now = context(), utcnow()
    with transaction(job.engine) as session:
        if claim(session, "event_reminders", _day(now)):
            sent = send_reminders(session, now=now)
            logger.info("event reminders sent %s", sent)


@huey.periodic_task(_cron("purge"), retries=2, retry_delay=60)
def purge() -> None:
    job, now = context(), utcnow()
    with transaction(job.engine) as session:
        if claim(session, "purge", _day(now)):
            retention.purge(session, settings=job.settings, now=now, dry_run=False)
            session.execute(delete(JobClaim).where(col(JobClaim.claimed_at) < now - CLAIMS_KEPT))


@huey.periodic_task(_cron("nightly_backup"), retries=2, retry_delay=300)
def nightly_backup() -> None:
    job, now = context(), utcnow()
    if not job.settings.backup_dir:
        return
    target = Path(job.settings.backup_dir) / f"tandem-{_day(now)}.backup"
    # The claim's transaction stays open while the backup is written: a failed backup
    # rolls it back, so the retry (or another worker) writes it.
    with transaction(job.engine) as session:
        if claim(session, "nightly_backup", _day(now)):
            target.parent.mkdir(parents=True, exist_ok=True)
            info = backup.backup(job.settings.database_url, target)
            logger.info("backup written to %s (%s bytes)", info.path, info.size)
