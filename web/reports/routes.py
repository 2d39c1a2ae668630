"""Funders' reports per region and period: tables, SVG charts and CSV downloads."""

from __future__ import annotations

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from sqlmodel import Session

from web.core import i18n, params
from web.core.access import get_region_for, visible_regions
from web.core.auth import coordinator_required
from web.core.charts import bar_chart
from web.core.deps import CurrentCoordinator, DbSession
from web.core.models import Coordinator, Region, utcnow
from web.core.sql import id_of
from web.core.vocabulary import END_REASONS, HELP_TOPICS, INTERESTS, LANGUAGES
from web.reports import occasions, reports

# Tables of several different figures: no bar chart (bars compare like with like).
OVERVIEWS = ("summary", "events")


def _tables(
    report: reports.Report, request: Request, events: occasions.OccasionFigures
) -> dict[str, tuple[list[str], list[list]]]:
    _ = i18n.gettext_for(request).gettext

    def percent(share: float | None) -> str:
        return "–" if share is None else f"{round(share * 100)} %"

    def paired(values: dict[str, tuple[int, int]], labels: dict[str, str]) -> list[list]:
        return [[_(labels.get(k, k)), demand, offer] for k, (demand, offer) in values.items()]

    return {
        "summary": (
            # Translators: column headings of a table of statistics: a figure's name, its number.
            [_("Figure"), _("Value")],
            [
                [_("Sign-ups of locals"), report.signups.get("local", 0)],
                [_("Sign-ups of newcomers"), report.signups.get("newcomer", 0)],
                [_("Tandems formed"), report.formed],
                [_("Tandems active at the end of the period"), report.active_at_end],
                [_("Median duration of ended tandems (days)"), report.median_duration_days or "–"],
                [_("Still active after 3 months"), percent(report.still_active_3_months)],
                [_("Still active after 6 months"), percent(report.still_active_6_months)],
                [_("Median waiting time to a match (days)"), report.median_waiting_days or "–"],
            ],
        ),
        "ended": (
            [_("End reason"), _("Tandems")],
            [[_(END_REASONS.get(k, k)), n] for k, n in report.ended_by_reason.items()],
        ),
        "languages": (
            [_("Language"), _("Newcomers"), _("Locals")],
            paired(report.languages, LANGUAGES),
        ),
        "interests": (
            [_("Interest"), _("Newcomers"), _("Locals")],
            paired(report.interests, INTERESTS),
        ),
        "help_topics": (
            [_("Help with"), _("Newcomers ask"), _("Locals offer")],
            paired(report.help_topics, HELP_TOPICS),
        ),
        # Issue 17: events held and who came, from the anonymous records of the door lists.
        "events": (
            [_("Figure"), _("Value")],
            [
                [_("Event dates held"), events.held],
                [_("Attendances"), events.attendees],
                [_("First-time attendees"), events.first_timers],
                [_("Tandems that met at an event"), events.tandems_met],
            ],
        ),
        "attendance": (
            [_("Who came"), _("Attendances"), _("First time")],
            [
                [_(label), events.attended[role], events.first_time[role]]
                for role, label in occasions.ATTENDEE_ROLES.items()
            ],
        ),
    }


def _event_figures(
    db: Session, region: Region, report: reports.Report
) -> occasions.OccasionFigures:
    return occasions.build(db, region_id=id_of(region), begin=report.start, end=report.end)


def _parse(
    db: Session, coordinator: Coordinator, region: str | None, period: str, start: str | None
) -> tuple[list[Region], Region, reports.Report | None]:
    regions = visible_regions(db, coordinator)
    if not regions:
        raise NotFoundException()
    chosen = get_region_for(db, coordinator, region) if region else regions[0]
    today = utcnow().date()
    try:
        first = params.day(start) if start else today.replace(day=1)
        if not start and period == "quarter":
            first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
        if not start and period == "year":
            first = first.replace(month=1)
        report = reports.build(db, region_id=id_of(chosen), period=period, start=first)
    except (ValueError, reports.ReportError):
        return regions, chosen, None
    return regions, chosen, report


@get("/reports", name="report_page", sync_to_thread=True)
def report_page(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    region: FromQuery[str | None] = None,
    period: FromQuery[str] = "month",
    start: FromQuery[str | None] = None,
) -> Template:
    regions, chosen, report = _parse(db, coordinator, region, period, start)
    context = {
        "coordinator": coordinator,
        "regions": regions,
        "region": chosen,
        "period": period,
        "start": start or "",
        "periods": reports.PERIODS,
    }
    if report is None:
        return Template(
            template_name="reports/index.html",
            context={**context, "bad_input": True},
            status_code=HTTP_400_BAD_REQUEST,
        )
    tables = _tables(report, request, _event_figures(db, chosen, report))
    charts = {
        name: bar_chart([(str(row[0]), float(row[1])) for row in rows[:12]], title=name)
        for name, (_header, rows) in tables.items()
        if name not in OVERVIEWS and rows
    }
    return Template(
        template_name="reports/index.html",
        context={
            **context,
            "report": report,
            "tables": tables,
            "charts": charts,
            "start": report.start.date().isoformat(),
        },
    )


@get("/reports.csv", name="report_csv", sync_to_thread=True)
def report_csv(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    table: FromQuery[str] = "summary",
    region: FromQuery[str | None] = None,
    period: FromQuery[str] = "month",
    start: FromQuery[str | None] = None,
) -> Response[str]:
    _regions, chosen, report = _parse(db, coordinator, region, period, start)
    tables = (
        _tables(report, request, _event_figures(db, chosen, report)) if report is not None else {}
    )
    if table not in tables:
        return Response(
            content="bad report parameters\n",
            media_type="text/plain",
            status_code=HTTP_400_BAD_REQUEST,
        )
    assert report is not None  # tables come only with a report
    header, rows = tables[table]
    name = f"tandem-{chosen.slug}-{period}-{report.start.date().isoformat()}-{table}.csv"
    return Response(
        content=reports.to_csv(header, rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


router = Router(
    path="/coordinator", guards=[coordinator_required], route_handlers=[report_page, report_csv]
)
