"""Retention (Löschkonzept): ``tandem purge``, safe to run daily from cron.

* sign-ups never confirmed after ``unverified_days`` are erased;
* people inactive for ``retention_months`` get a reminder, and are erased 30 days
  later if they still did nothing;
* the record of a local's police certificate is deleted 3 months after their
  activity ended (§ 72a SGB VIII);
* rate-limit counters (an address per row) are deleted once their window is long over;
* e-mails leave the outbox ``outbox_retention_days`` after they were written;
* walk-ins' names (added at an event's door) are deleted ``WALK_IN_DAYS`` after the
  event's date; the anonymous attendance facts stay.
Every step is audited (as the system) and erasures go through
``participants.erase``, so the backup ledger and report events follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session, col

from web.core import audit, auth, limits, links, mail, participants, stores
from web.core.db import delete_where
from web.core.models import Participant, Tandem, Vetting, WalkIn
from web.core.settings import Settings
from web.core.sql import table
from web.core.vocabulary import OPEN_TANDEM_STATUSES
from web.events import nearby

WARNING_GRACE = timedelta(days=30)
VETTING_AFTER_ACTIVITY = timedelta(days=90)
WALK_IN_DAYS = 30


@dataclass
class PurgeReport:
    erased_unverified: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    erased_inactive: list[str] = field(default_factory=list)
    vetting_deleted: list[str] = field(default_factory=list)
    rate_counters_deleted: int = 0
    sessions_deleted: int = 0
    outbox_deleted: int = 0
    login_throttles_deleted: int = 0
    walk_ins_deleted: int = 0

    def lines(self) -> list[str]:
        return [
            f"{label}: {len(ids)}" + (f" ({', '.join(ids)})" if ids else "")
            for label, ids in (
                ("unconfirmed sign-ups erased", self.erased_unverified),
                ("inactive people warned", self.warned),
                ("inactive people erased", self.erased_inactive),
                ("police-certificate records deleted", self.vetting_deleted),
            )
        ] + [
            f"old rate-limit counters deleted: {self.rate_counters_deleted}",
            f"expired sessions deleted: {self.sessions_deleted}",
            f"old e-mails deleted from the outbox: {self.outbox_deleted}",
            f"old failed-login counts deleted: {self.login_throttles_deleted}",
            f"walk-ins' names deleted: {self.walk_ins_deleted}",
        ]


def _in_open_tandem(session: Session) -> set[int]:
    rows = session.execute(
        select(col(Tandem.local_id), col(Tandem.newcomer_id)).where(
            col(Tandem.status).in_(OPEN_TANDEM_STATUSES)
        )
    ).all()
    return {pid for row in rows for pid in row if pid is not None}


def send_warning(
    session: Session, person: Participant, *, settings: Settings, now: datetime
) -> None:
    """The reminder before an erasure, with a link to the profile (any change keeps them)."""
    links.send(
        session,
        person,
        "profile",
        settings=settings,
        now=now,
        lifetime=timedelta(days=settings.profile_link_days),
        template="retention_warning",
        context={
            "first_name": person.first_name,
            "days": WARNING_GRACE.days,
            # While they wait: something to do near them (issue 17).
            "events": nearby.suggested_in_mail(session, person, now=now),
        },
    )


def purge(session: Session, *, settings: Settings, now: datetime, dry_run: bool) -> PurgeReport:
    """Apply the retention rules (or, with ``dry_run``, only list what they would do)."""
    report = PurgeReport()
    ledger = Path(settings.erasure_ledger)
    mail_dir = mail.file_mail_dir(settings)
    busy = _in_open_tandem(session)

    unconfirmed = session.scalars(
        select(Participant).where(
            col(Participant.status) == "unverified",
            col(Participant.created_at) < now - timedelta(days=settings.unverified_days),
        )
    ).all()
    for person in unconfirmed:
        report.erased_unverified.append(person.public_id)
        if not dry_run:
            participants.erase(session, person, now=now, ledger=ledger, mail_dir=mail_dir)

    inactive_since = now - timedelta(days=30 * settings.retention_months)
    idle = session.scalars(
        select(Participant).where(
            col(Participant.status) != "unverified", col(Participant.updated_at) < inactive_since
        )
    ).all()
    for person in idle:
        if person.id in busy:
            continue
        if person.retention_warned_at is None:
            report.warned.append(person.public_id)
            if not dry_run:
                send_warning(session, person, settings=settings, now=now)
                person.retention_warned_at = now
                session.add(person)
                audit.write(
                    session,
                    now=now,
                    actor=None,
                    action="retention.warned",
                    subject_type="participant",
                    subject_id=person.id,
                )
        elif person.retention_warned_at < now - WARNING_GRACE:
            report.erased_inactive.append(person.public_id)
            if not dry_run:
                participants.erase(session, person, now=now, ledger=ledger, mail_dir=mail_dir)

    last_end = dict(
        session.execute(
            select(col(Tandem.local_id), func.max(col(Tandem.ended_at))).group_by(
                col(Tandem.local_id)
            )
        ).all()
    )
    for vetting in session.scalars(select(Vetting)).all():
        local = session.get(Participant, vetting.local_id)
        if local is None or local.id in busy:
            continue
        ended = last_end.get(local.id)
        if local.status in ("withdrawn", "declined"):
            ended = max(filter(None, (ended, local.updated_at)))
        if ended is not None and ended < now - VETTING_AFTER_ACTIVITY:
            report.vetting_deleted.append(local.public_id)
            if not dry_run:
                session.delete(vetting)
                audit.write(
                    session,
                    now=now,
                    actor=None,
                    action="retention.vetting_deleted",
                    subject_type="participant",
                    subject_id=local.id,
                )
    report.rate_counters_deleted = limits.purge(session, now=now, dry_run=dry_run)
    # Sessions in Redis expire there by themselves.
    report.sessions_deleted = stores.purge_expired(session, now=now, dry_run=dry_run)
    report.outbox_deleted = mail.purge(
        session, now=now, retention_days=settings.outbox_retention_days, dry_run=dry_run
    )
    report.login_throttles_deleted = auth.purge_login_throttle(session, now=now, dry_run=dry_run)
    last_kept = now.date() - timedelta(days=WALK_IN_DAYS)
    report.walk_ins_deleted = delete_where(
        session, table(WalkIn), col(WalkIn.occurs_on) < last_kept, dry_run=dry_run
    )
    session.flush()
    return report
