"""What would help the newcomers still waiting after a run (issue 15 §6).

After a run (or when a coordinator asks for it) a job runs the engine again on the
region's people with one rule relaxed at a time (``matching.whatif``) and stores the
report on the run, in ``run.stats["whatif"]``::

    {"state": "queued"}                         # the job is waiting for a worker
    {"state": "done", "computed_at": "...",     # the job finished
     "settings": {"min_level": "B1", "max_distance_km": 25.0},
     "baseline": {"pairs": 12, "unmatched": 30},
     "relaxations": [{"relaxation": "level", "value": "A2", "more": 17,
                      "newly_matched": [public ids], "concerned": [public ids]}, ...],
     "asked_online_at": "..."}                  # once the people concerned were asked

From the run page a coordinator can apply the level or radius relaxation to the region's
settings (audited) or ask the people concerned whether they would meet online (an e-mail
with their profile link, or a phone task for those without e-mail; audited).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from web.core import audit, links
from web.core.db import transaction
from web.core.models import Coordinator, MatchingRun, Participant, Region, utcnow
from web.core.settings import Settings
from web.core.sql import rel
from web.runs.runs import load_region_input

logger = logging.getLogger(__name__)

# The relaxations a coordinator can apply to the region's settings (online is a person's
# own choice: they are asked instead).
APPLICABLE = ("level", "radius")
ONLINE_LINK_DAYS = 30


class SettingsChanged(Exception):
    """The region's setting is no longer the one the relaxation was computed from."""


# --- computing --------------------------------------------------------------------------------


def mark_queued(session: Session, run: MatchingRun) -> None:
    run.stats = {**run.stats, "whatif": {"state": "queued"}}
    session.add(run)


def compute(engine: Engine, run_id: int, *, today: date, what_if: Any = None) -> None:
    """Compute and store the what-if report of run ``run_id`` (a done run). CPU-heavy (the
    engine runs four times): call it from a worker. A failure is logged and leaves the
    run page offering to compute it again."""
    if what_if is None:
        from matching.whatif import what_if  # numpy and OR-Tools only when matching

    try:
        with transaction(engine) as session:
            run = session.get(MatchingRun, run_id)
            if run is None or run.status != "done":
                return
            region = session.get(Region, run.region_id)
            if region is None:
                return
            instance = load_region_input(session, region, today=today)
        report = what_if(instance)
    except Exception:
        logger.exception("what-if of matching run %s failed", run_id)
        report = None
    with transaction(engine) as session:
        run = session.get(MatchingRun, run_id, with_for_update=True)
        if run is None:
            return
        if report is None:
            run.stats = {k: v for k, v in run.stats.items() if k != "whatif"}
        else:
            run.stats = {
                **run.stats,
                "whatif": {
                    "state": "done",
                    "computed_at": utcnow().isoformat(),
                    "settings": {
                        key: instance["settings"][key] for key in ("min_level", "max_distance_km")
                    },
                    **report,
                },
            }
        session.add(run)


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Relaxation:
    relaxation: str  # level | radius | online
    value: Any  # the relaxed level, the relaxed radius in km, None for online
    current: Any  # the setting the value relaxes (level, km; None for online)
    more: int
    newly_matched: list[Participant] = field(default_factory=list)
    concerned: list[Participant] = field(default_factory=list)
    can_apply: bool = False  # the region's setting is still the one it was computed from
    to_ask: int = 0  # concerned people who have not ticked online yet


@dataclass
class WhatIf:
    state: str  # none | queued | done
    computed_at: datetime | None = None
    relaxations: list[Relaxation] = field(default_factory=list)
    asked_online_at: datetime | None = None
    unmatched: int = 0


def _people(session: Session, public_ids: set[str]) -> dict[str, Participant]:
    if not public_ids:
        return {}
    found = session.scalars(
        select(Participant)
        .where(col(Participant.public_id).in_(sorted(public_ids)))
        .options(selectinload(rel(Participant.place)))
    ).all()
    return {person.public_id: person for person in found}


def view(session: Session, run: MatchingRun, region: Region) -> WhatIf:
    """The stored report with its people (one query), for the run page."""
    stored = run.stats.get("whatif") if run.status == "done" else None
    if not stored:
        return WhatIf(state="none")
    if stored.get("state") != "done":
        return WhatIf(state="queued")
    entries = stored.get("relaxations", [])
    people = _people(
        session,
        {pid for entry in entries for key in ("newly_matched", "concerned") for pid in entry[key]},
    )
    settings = stored.get("settings", {})
    current_setting = {"level": region.min_level, "radius": float(region.max_distance_km)}
    computed_from = {
        "level": settings.get("min_level"),
        "radius": float(settings.get("max_distance_km", 0)),
    }
    out = []
    for entry in entries:
        kind = entry["relaxation"]
        # Nobody is asked to meet online for nothing.
        helps = entry["more"] > 0
        concerned = [people[pid] for pid in entry["concerned"] if pid in people and helps]
        out.append(
            Relaxation(
                relaxation=kind,
                value=entry["value"],
                current=computed_from.get(kind),
                more=int(entry["more"]),
                newly_matched=[people[pid] for pid in entry["newly_matched"] if pid in people],
                concerned=concerned,
                can_apply=kind in APPLICABLE
                and current_setting[kind] == computed_from[kind]
                and entry["more"] > 0,
                to_ask=sum(1 for person in concerned if _askable(person)),
            )
        )
    asked = stored.get("asked_online_at")
    return WhatIf(
        state="done",
        computed_at=datetime.fromisoformat(stored["computed_at"]),
        relaxations=out,
        asked_online_at=datetime.fromisoformat(asked) if asked else None,
        unmatched=int(stored.get("baseline", {}).get("unmatched", 0)),
    )


def relaxation_of(whatif: WhatIf, kind: str) -> Relaxation | None:
    return next((entry for entry in whatif.relaxations if entry.relaxation == kind), None)


# --- acting -----------------------------------------------------------------------------------


def apply(
    session: Session,
    region: Region,
    relaxation: Relaxation,
    *,
    coordinator: Coordinator,
    now: datetime,
) -> None:
    """Set the region's minimum level or radius to the relaxed value (audited); raises
    ``SettingsChanged`` when the setting moved since the report was computed (someone
    applied it already, or changed it on the weights page)."""
    if relaxation.relaxation == "level":
        if region.min_level != relaxation.current:
            raise SettingsChanged
        region.min_level = str(relaxation.value)
    elif relaxation.relaxation == "radius":
        if float(region.max_distance_km) != relaxation.current:
            raise SettingsChanged
        region.max_distance_km = float(relaxation.value)
    else:
        raise ValueError(f"{relaxation.relaxation!r} is not a region setting")
    session.add(region)
    session.flush()
    audit.write(session, now=now, actor=coordinator, action="region.matching_relaxed",
                subject_type="region", subject_id=region.id)  # fmt: skip


def _askable(person: Participant) -> bool:
    return person.status == "active" and not person.online_ok


def ask_online(
    session: Session,
    run: MatchingRun,
    relaxation: Relaxation,
    *,
    coordinator: Coordinator,
    settings: Settings,
    now: datetime,
) -> int:
    """Ask the people concerned who have not ticked "online" whether they would: an e-mail
    with a link to their profile (where they tick it), or a phone task on the dashboard
    for those without e-mail. Each ask is audited; returns how many were asked."""
    asked = 0
    for person in relaxation.concerned:
        if not _askable(person):
            continue
        links.send(
            session,
            person,
            "profile",
            settings=settings,
            now=now,
            lifetime=timedelta(days=ONLINE_LINK_DAYS),
            template="ask_online",
            context={"first_name": person.first_name, "days": ONLINE_LINK_DAYS},
            with_locale=True,
        )
        audit.write(session, now=now, actor=coordinator, action="participant.asked_online",
                    subject_type="participant", subject_id=person.id)  # fmt: skip
        asked += 1
    stored = dict(run.stats.get("whatif", {}))
    stored["asked_online_at"] = now.isoformat()
    run.stats = {**run.stats, "whatif": stored}
    session.add(run)
    return asked
