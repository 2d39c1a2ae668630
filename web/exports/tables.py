"""The coordinator's lists as tables to download (issue 15 §8): the same people and tandems
the list pages show (their read models and filters), every value labelled in the reader's
language, contact details only of people who agreed to pass them on.

A table is only built here; ``web.core.spreadsheets`` writes it as CSV or ``.xlsx`` and the
route audits the export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from babel.support import NullTranslations
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from web.coordinator import people, standing
from web.core import phones
from web.core.i18n import N_
from web.core.models import Coordinator, Participant, Tandem
from web.core.spreadsheets import Cell, local_day
from web.core.sql import id_of, rel
from web.core.vocabulary import END_REASONS, GENDER_LABELS, LANGUAGES, TANDEM_STATUS_LABELS
from web.proposals.proposals import shares_contact
from web.tandems import overview


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name, translated
    header: list[str]
    rows: list[list[Cell]]


def _role(role: str) -> str:
    return N_("Local") if role == "local" else N_("Newcomer")


def _languages(person: Participant, gettext: NullTranslations) -> str:
    _ = gettext.gettext
    return ", ".join(
        f"{_(LANGUAGES.get(s.language, s.language))} "
        f"({_('First language') if s.level == 'native' else s.level})"
        for s in sorted(person.languages, key=lambda spoken: spoken.language)
    )


def participants(
    session: Session,
    coordinator: Coordinator,
    filters: people.ListQuery,
    *,
    gettext: NullTranslations,
    now: datetime,
) -> Table:
    """Everyone the participant list shows with ``filters`` (all pages), in its order."""
    _ = gettext.gettext
    query = people.participant_query(session, coordinator, filters, today=local_day(now))
    found: Sequence[Participant] = session.scalars(
        people.in_list_order(query, filters.sort).options(
            selectinload(rel(Participant.consents)),
            selectinload(rel(Participant.vetting)),
        )
    ).all()
    where = standing.of_people(session, found, today=local_day(now))
    header = [
        _("First name"),
        _("Last name"),
        _("Role"),
        _("Place"),
        _("Languages"),
        _("Where they stand"),
        # Translators: a column of the participant export: the day the standing began (waiting
        # since, proposed on, in a tandem since).
        _("Since"),
        _("Days waiting"),
        _("Gender"),
        _("Year of birth"),
        _("Signed up on"),
        _("Police certificate seen on"),
        # Translators: a column of the participant export: whether the person agreed that their
        # contact details may be passed on (only then are e-mail and phone filled in).
        _("Contact details may be passed on"),
        _("E-mail"),
        _("Phone"),
    ]
    rows: list[list[Cell]] = []
    for person in found:
        stands = where[id_of(person)]
        shared = shares_contact(person)
        rows.append(
            [
                person.first_name,
                person.last_name,
                _(_role(person.role)),
                person.place.name if person.place else None,
                _languages(person, gettext),
                _(standing.STANDINGS[stands.key]),
                stands.since,
                stands.days,
                _(GENDER_LABELS[person.gender]) if person.gender in GENDER_LABELS else None,
                person.birth_year,
                person.created_at,
                person.vetting.seen_on if person.vetting else None,
                _("Yes") if shared else _("No"),
                person.email if shared else None,
                phones.national(person.phone) or None if shared else None,
            ]
        )
    return Table(title=_("Participants"), header=header, rows=rows)


def _name(person: Participant | None, gettext: NullTranslations) -> str:
    if person is None:
        return gettext.gettext("a former participant")
    return " ".join(part for part in (person.first_name, person.last_name) if part)


def tandems(
    session: Session, coordinator: Coordinator, *, status: str, gettext: NullTranslations
) -> Table:
    """Every tandem the tandem list shows with ``status`` (all pages), in its order."""
    _ = gettext.gettext
    rows_of = overview.tandem_rows_of(
        session,
        coordinator,
        overview.in_list_order(overview.tandem_query(session, coordinator, status=status)),
    )
    header = [
        _("Local"),
        _("Newcomer"),
        _("Region"),
        _("Status"),
        _("Proposed on"),
        _("Started on"),
        _("Ended on"),
        _("End reason"),
        _("Fit check done on"),
        _("Open problem reports"),
    ]
    rows: list[list[Cell]] = []
    for row in rows_of:
        tandem: Tandem = row.tandem
        rows.append(
            [
                _name(tandem.local, gettext),
                _name(tandem.newcomer, gettext),
                row.region,
                _(TANDEM_STATUS_LABELS[tandem.status]),
                tandem.proposed_at,
                tandem.started_at,
                tandem.ended_at,
                _(END_REASONS[tandem.end_reason]) if tandem.end_reason in END_REASONS else None,
                tandem.fit_checked_at,
                row.problems,
            ]
        )
    return Table(title=_("Tandems"), header=header, rows=rows)
