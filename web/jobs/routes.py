"""Failed jobs (admins only): what failed, with its error, and a button to queue it again."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.core import audit
from web.core.auth import coordinator_required
from web.core.dates import PROGRAMME_TIMEZONE, local_date
from web.core.deps import CurrentCoordinator, DbSession, RowId
from web.core.i18n import N_, negotiate
from web.core.models import Coordinator, FailedJob, utcnow
from web.core.queue import after_commit, queue_again
from web.jobs import failed

# Translators: the kinds of background jobs, on the admins' page of failed jobs.
JOB_LABELS = {
    "send_mail": N_("Sending e-mails"),
    "send_mail_every_minute": N_("Sending e-mails"),
    "follow_up": N_("Proposal reminders and expiries"),
    "check_ins": N_("Check-in questions"),
    "purge": N_("Retention and clean-up"),
    "nightly_backup": N_("Nightly backup"),
    "matching_run": N_("Matching run"),
    "matching_run_everywhere": N_("Matching in every region"),
}
UNKNOWN_JOB = N_("Other job")


def job_label(task: str) -> str:
    """The msgid naming a job (``web.jobs.tasks.follow_up`` → its label)."""
    return JOB_LABELS.get(task.rpartition(".")[2], UNKNOWN_JOB)


def _admin(coordinator: Coordinator) -> None:
    if not coordinator.is_admin:
        raise NotFoundException()


def _when(moment: datetime, locale: str) -> str:
    """The day in the reader's language and the time, in the programme's time zone."""
    local = moment.astimezone(PROGRAMME_TIMEZONE or UTC)
    return f"{local_date(moment, locale=locale)}, {local:%H:%M}"


@get("/jobs/failed", name="failed_jobs", sync_to_thread=True)
def failed_jobs(request: Request, db: DbSession, coordinator: CurrentCoordinator) -> Template:
    _admin(coordinator)
    locale = negotiate(request)
    return Template(
        template_name="jobs/failed.html",
        context={
            "coordinator": coordinator,
            "jobs": failed.newest(db),
            "job_label": job_label,
            "when": lambda moment: _when(moment, locale),
        },
    )


@post("/jobs/failed/{job_id:int}/retry", name="retry_failed_job", sync_to_thread=True)
def retry_failed_job(db: DbSession, coordinator: CurrentCoordinator, job_id: RowId) -> Redirect:
    _admin(coordinator)
    job = db.get(FailedJob, job_id)
    if job is None:
        raise NotFoundException()
    if job.retried_at is None:
        job.retried_at = utcnow()
        task, arguments = job.task, list(job.arguments)
        audit.write(
            db,
            now=utcnow(),
            actor=coordinator,
            action="job.retried",
            subject_type="failed_job",
            subject_id=job.id,
        )
        db.flush()
        after_commit(db, lambda: queue_again(task, arguments))
    return Redirect(path="/coordinator/jobs/failed", status_code=HTTP_303_SEE_OTHER)


router = Router(
    path="/coordinator",
    route_handlers=[failed_jobs, retry_failed_job],
    guards=[coordinator_required],
)
