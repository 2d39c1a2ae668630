"""Funders' reports per region and period: tables, SVG charts and CSV downloads."""

from __future__ import annotations

from babel.numbers import format_decimal
from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from markupsafe import Markup
from sqlmodel import Session

from web.core import audit, i18n, params, spreadsheets
from web.core.access import get_region_for, visible_regions
from web.core.auth import coordinator_required
from web.core.charts import bar_chart
from web.core.deps import CurrentCoordinator, DbSession
from web.core.i18n import N_
from web.core.models import Coordinator, Region, utcnow
from web.core.spreadsheets import Cell
from web.core.sql import id_of
from web.core.vocabulary import (
    AGE_GROUPS,
    END_REASONS,
    HELP_TOPICS,
    INTERESTS,
    LANGUAGES,
    PROPOSAL_CLOSE_REASONS,
)
from web.reports import figures, occasions, reports

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


# --- the funder's figures on proposals and people (issue 15 §9) ---------------------------------

FUNDER_TITLES = {
    # Translators: headings of the funder report's tables about proposals (a coordinator proposes
    # a local and a newcomer to each other; both answer yes or no).
    "proposals": N_("Proposals"),
    "outcomes": N_("What became of the proposals closed in this period"),
    "days": N_("Days from sign-up (newcomers)"),
    "declined_reasons": N_("Declined proposals by reason"),
    "expired_reasons": N_("Expired proposals by reason"),
    # Translators: headings of the funder report's tables about the people who signed up.
    "roles": N_("Sign-ups by role"),
    "age_groups": N_("Sign-ups by age group"),
    "areas": N_("Sign-ups by town"),
}


def _funder_tables(
    found: figures.Figures, request: Request
) -> dict[str, tuple[list[str], list[list[Cell]]]]:
    _ = i18n.gettext_for(request).gettext
    made = found.proposals

    def share(kind: str) -> float | None:
        closed = sum(made.get(k, 0) for k in figures.CLOSED)
        return round(100 * made.get(kind, 0) / closed, 1) if closed else None

    def reasons(counted: dict[str, int]) -> list[list[Cell]]:
        return [
            [
                _(PROPOSAL_CLOSE_REASONS[key])
                if key in PROPOSAL_CLOSE_REASONS
                else _("Not recorded"),
                n,
            ]
            for key, n in counted.items()
        ]

    def paired(values: dict[str, tuple[int, int]], labels: dict[str, str]) -> list[list[Cell]]:
        return [
            [_(labels.get(k, k)), newcomers, locals_] for k, (newcomers, locals_) in values.items()
        ]

    return {
        "proposals": (
            [_("Figure"), _("Value")],
            [
                [_("Proposals made"), made.get("proposed", 0)],
                [_("Accepted by both"), made.get("accepted", 0)],
                [_("Declined"), made.get("declined", 0)],
                [_("Expired without an answer"), made.get("expired", 0)],
                [_("Withdrawn by a coordinator"), made.get("withdrawn", 0)],
            ],
        ),
        "outcomes": (
            # Translators: column headings: what became of a proposal, its share in percent.
            [_("Outcome"), _("Share (%)")],
            [
                [_("Acceptance rate (accepted by both)"), share("accepted")],
                [_("Declined"), share("declined")],
                [_("Expired without an answer"), share("expired")],
                [_("Withdrawn by a coordinator"), share("withdrawn")],
            ],
        ),
        "days": (
            [_("Figure"), _("Days (median)")],
            [
                [_("From sign-up to the proposal"), found.median_days_to_proposal],
                [_("From sign-up to the started tandem"), found.median_days_to_tandem],
            ],
        ),
        "declined_reasons": ([_("Reason"), _("Proposals")], reasons(found.declined_by_reason)),
        "expired_reasons": ([_("Reason"), _("Proposals")], reasons(found.expired_by_reason)),
        "roles": (
            [_("Role"), _("Sign-ups")],
            [
                [_("Newcomers"), found.signups_by_role.get("newcomer", 0)],
                [_("Locals"), found.signups_by_role.get("local", 0)],
            ],
        ),
        "age_groups": (
            [_("Age group"), _("Newcomers"), _("Locals")],
            paired(found.by_age_group, AGE_GROUPS),
        ),
        "areas": ([_("Town"), _("Newcomers"), _("Locals")], paired(found.by_area, {})),
    }


def _funder_charts(
    tables: dict[str, tuple[list[str], list[list[Cell]]]],
) -> dict[str, Markup]:
    """One bar per row: its numbers added up (a row without any number is left out)."""
    charts = {}
    for name, (header, rows) in tables.items():
        bars = [
            (str(row[0]), float(sum(c for c in row[1:] if isinstance(c, int | float))))
            for row in rows
            if any(isinstance(c, int | float) for c in row[1:])
        ]
        if bars:
            charts[name] = bar_chart(bars[:12], title=str(header[0]))
    return charts


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
    charts = {  # titled by the table's first heading (the key is a code, never shown)
        name: bar_chart([(str(row[0]), float(row[1])) for row in rows[:12]], title=str(header[0]))
        for name, (header, rows) in tables.items()
        if name not in OVERVIEWS and rows
    }
    funder = _funder_tables(
        figures.build(db, region_id=id_of(chosen), begin=report.start, end=report.end), request
    )
    locale = i18n.negotiate(request)
    return Template(
        template_name="reports/index.html",
        context={
            **context,
            "report": report,
            "tables": tables,
            "charts": charts,
            "funder_tables": funder,
            "funder_charts": _funder_charts(funder),
            "funder_titles": FUNDER_TITLES,
            "number": lambda value: _number(value, locale=locale),
            "start": report.start.date().isoformat(),
        },
    )


def _number(value: object, *, locale: str) -> object:
    """A figure as the reader writes numbers (``12,5`` in German); "–" for none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.#", locale=locale)
    return value


def _download(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    *,
    file: str,
    table: str,
    region: str | None,
    period: str,
    start: str | None,
) -> Response[bytes] | Response[str]:
    """One table of the report as ``file`` (CSV for German Excel, or .xlsx), audited."""
    _regions, chosen, report = _parse(db, coordinator, region, period, start)
    tables = {}
    if report is not None:
        found = figures.build(db, region_id=id_of(chosen), begin=report.start, end=report.end)
        events = _event_figures(db, chosen, report)
        tables = {**_tables(report, request, events), **_funder_tables(found, request)}
    if table not in tables or file not in spreadsheets.FORMATS:
        return Response(
            content="bad report parameters\n",
            media_type="text/plain",
            status_code=HTTP_400_BAD_REQUEST,
        )
    assert report is not None  # tables come only with a report
    header, rows = tables[table]
    now = utcnow()
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action="export.report",
        subject_type="region",
        subject_id=chosen.id,
    )
    content, media_type = spreadsheets.render(file, header, rows, title=str(header[0]))
    name = f"tandem-{chosen.slug}-{period}-{report.start.date().isoformat()}-{table}.{file}"
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
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
) -> Response[bytes] | Response[str]:
    return _download(
        request, db, coordinator, file="csv", table=table, region=region, period=period, start=start
    )


@get("/reports.xlsx", name="report_xlsx", sync_to_thread=True)
def report_xlsx(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    table: FromQuery[str] = "summary",
    region: FromQuery[str | None] = None,
    period: FromQuery[str] = "month",
    start: FromQuery[str | None] = None,
) -> Response[bytes] | Response[str]:
    return _download(
        request,
        db,
        coordinator,
        file="xlsx",
        table=table,
        region=region,
        period=period,
        start=start,
    )


router = Router(
    path="/coordinator",
    guards=[coordinator_required],
    route_handlers=[report_page, report_csv, report_xlsx],
)
