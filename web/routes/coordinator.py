"""The coordinator's area. Every route here needs a logged-in coordinator."""

from __future__ import annotations

from datetime import date

from litestar import Router, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from web.access import visible_participants
from web.auth import coordinator_required
from web.deps import AppSettings, CurrentCoordinator, DbSession
from web.models import Participant


@get("/", name="dashboard", sync_to_thread=True)
def dashboard(
    db: DbSession, coordinator: CurrentCoordinator, settings: AppSettings, page: FromQuery[int] = 1
) -> Template:
    query = visible_participants(db, coordinator)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // settings.page_size))
    page = min(max(page, 1), pages)
    participants = db.scalars(
        query.options(selectinload(Participant.languages), selectinload(Participant.place))  # type: ignore[arg-type]
        .order_by(Participant.role, Participant.waiting_since, Participant.id)
        .limit(settings.page_size)
        .offset((page - 1) * settings.page_size)
    ).all()
    return Template(
        template_name="coordinator/dashboard.html",
        context={
            "coordinator": coordinator,
            "participants": participants,
            "total": total,
            "page": page,
            "pages": pages,
            "today": date.today(),  # noqa: DTZ011 (waiting days are counted in local days)
        },
    )


router = Router(
    path="/coordinator",
    route_handlers=[dashboard],
    guards=[coordinator_required],
)
