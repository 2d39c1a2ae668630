"""The coordinator's lists as downloads (issue 15 §8): CSV for German Excel or ``.xlsx``.

``/coordinator/exports/participants`` takes the participant list's own query parameters
(its filters) and ``/coordinator/exports/tandems`` the tandem list's; ``file`` is ``csv``
or ``xlsx``. Only the coordinator's regions; every download is audited.
"""

from __future__ import annotations

from litestar import Request, Response, Router, get
from litestar.params import FromQuery
from litestar.status_codes import HTTP_400_BAD_REQUEST
from sqlmodel import Session

from web.coordinator import people
from web.core import audit, i18n, spreadsheets
from web.core.access import visible_regions
from web.core.auth import coordinator_required
from web.core.deps import CurrentCoordinator, DbSession
from web.core.models import Coordinator, Region, utcnow
from web.exports import tables
from web.tandems import overview


def _bad(request: Request, message: str) -> Response[str]:
    return Response(
        content=i18n.gettext_for(request).gettext(message) + "\n",
        media_type="text/plain; charset=utf-8",
        status_code=HTTP_400_BAD_REQUEST,
    )


def _download(
    db: Session,
    coordinator: Coordinator,
    table: tables.Table,
    *,
    file: str,
    name: str,
    action: str,
    regions: list[Region],
) -> Response[bytes]:
    now = utcnow()
    content, media_type = spreadsheets.render(file, table.header, table.rows, title=table.title)
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action=action,
        subject_type="region",
        subject_id=",".join(str(region.id) for region in regions),
    )
    filename = f"tandem-{name}-{spreadsheets.local_day(now).isoformat()}.{file}"
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@get("/participants", name="export_participants", sync_to_thread=True)
def export_participants(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    file: FromQuery[str] = "csv",
) -> Response[bytes] | Response[str]:
    """The participant list's people with its filters and order: the query parameters go to
    ``people.ListQuery`` as the list's do (so a filter the list gains, the export has)."""
    regions = visible_regions(db, coordinator)
    filters = people.ListQuery.parse(
        dict(request.query_params), regions=regions, places=people.places_of(db, regions)
    )
    if file not in spreadsheets.FORMATS:
        # Translators: a download was asked for in a file format that does not exist.
        return _bad(request, i18n.N_("Unknown file format."))
    if filters.errors:
        return _bad(request, filters.errors[0])
    table = tables.participants(
        db, coordinator, filters, gettext=i18n.gettext_for(request), now=utcnow()
    )
    chosen = [region for region in regions if region.slug == filters.region]
    return _download(
        db,
        coordinator,
        table,
        file=file,
        name="participants",
        action="export.participants",
        regions=chosen or regions,
    )


@get("/tandems", name="export_tandems", sync_to_thread=True)
def export_tandems(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    file: FromQuery[str] = "csv",
    status: FromQuery[str] = "current",
) -> Response[bytes] | Response[str]:
    if file not in spreadsheets.FORMATS:
        return _bad(request, i18n.N_("Unknown file format."))
    if status not in overview.FILTERS:
        return _bad(request, i18n.N_("Unknown status."))
    table = tables.tandems(db, coordinator, status=status, gettext=i18n.gettext_for(request))
    return _download(
        db,
        coordinator,
        table,
        file=file,
        name="tandems",
        action="export.tandems",
        regions=visible_regions(db, coordinator),
    )


router = Router(
    path="/coordinator/exports",
    guards=[coordinator_required],
    route_handlers=[export_participants, export_tandems],
)
