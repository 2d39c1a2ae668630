"""Events' figures for funders (issue 17 §3): events held, attendance by role, first-time
attendees and tandems that met at an event, per region and period.

Counted only from the anonymous ``occ_held`` and ``occ_attended`` events (written when
attendance is ticked at the door), never from sign-ups or people: the figures of a past
period stay as they were reported when someone erases their data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.i18n import N_
from web.core.models import Event

# Who attended: a registered newcomer or local, or someone added at the door by name only.
ATTENDEE_ROLES = {
    "newcomer": N_("Newcomers"),
    "local": N_("Locals"),
    # Translators: people who came to an event without signing up and were added at the door.
    "walk_in": N_("Walk-ins"),
}


@dataclass
class OccasionFigures:
    held: int = 0  # occurrences of events that took place
    attended: dict[str, int] = field(default_factory=dict)  # role -> attendees
    first_time: dict[str, int] = field(default_factory=dict)  # role -> first event ever
    tandems_met: int = 0  # distinct tandems whose partners came to the same date

    @property
    def attendees(self) -> int:
        return sum(self.attended.values())

    @property
    def first_timers(self) -> int:
        return sum(self.first_time.values())


def build(session: Session, *, region_id: int, begin: datetime, end: datetime) -> OccasionFigures:
    rows = session.execute(
        select(col(Event.kind), col(Event.role), col(Event.reason), col(Event.tandem_ref)).where(
            col(Event.region_id) == region_id,
            col(Event.kind).in_(("occ_held", "occ_attended")),
            col(Event.at) >= begin,
            col(Event.at) < end,
        )
    ).all()
    attended = [row for row in rows if row.kind == "occ_attended"]
    return OccasionFigures(
        held=sum(1 for row in rows if row.kind == "occ_held"),
        attended=_by_role(Counter(row.role or "walk_in" for row in attended)),
        first_time=_by_role(
            Counter(row.role or "walk_in" for row in attended if row.reason == "first")
        ),
        tandems_met=len({row.tandem_ref for row in attended if row.tandem_ref}),
    )


def _by_role(counts: Counter[str]) -> dict[str, int]:
    """Every role in the table's order, also those with no one (a zero is a figure too)."""
    return {role: counts.get(role, 0) for role in ATTENDEE_ROLES}
