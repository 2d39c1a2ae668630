"""Coordinators' private notes on a person or on a tandem.

Only coordinators of the region (and admins) ever see them: routes find the
subject with ``web.core.access`` first, so a stranger gets a 404 before any note is
read. Participants never see them; erasing a person erases the notes on them
(``ON DELETE CASCADE``).

The partial ``templates/coordinator/tandems/_notes.html`` lists notes and has
the add form; ``partial_context`` builds everything it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from web.core import audit
from web.core.dates import local_date
from web.core.forms import clean_text
from web.core.models import Coordinator, Note, Participant, Tandem

BODY_MAX = 2000


class EmptyNote(ValueError):
    """Nothing left to store after cleaning."""


@dataclass(frozen=True)
class NoteView:
    body: str
    author: str  # the coordinator's display name, or "" if their account is gone
    created_at: datetime
    when: str  # the date in the reader's language


def add(
    session: Session,
    *,
    author: Coordinator,
    body: object,
    now: datetime,
    participant: Participant | None = None,
    tandem: Tandem | None = None,
) -> Note:
    """Store a note on exactly one of ``participant`` or ``tandem``."""
    if (participant is None) == (tandem is None):
        raise TypeError("a note is about a participant or a tandem, not both")
    text = clean_text(body, max_length=BODY_MAX, multiline=True)
    if not text:
        raise EmptyNote
    note = Note(
        author_id=author.id,
        participant_id=participant.id if participant is not None else None,
        tandem_id=tandem.id if tandem is not None else None,
        body=text,
        created_at=now,
    )
    session.add(note)
    session.flush()
    if participant is not None:
        subject, subject_id = "participant", participant.id
    else:
        assert tandem is not None  # one of the two, checked above
        subject, subject_id = "tandem", tandem.id
    audit.write(
        session,
        now=now,
        actor=author,
        action=f"note.added.{subject}",
        subject_type=subject,
        subject_id=subject_id,
    )
    return note


def listing(
    session: Session,
    *,
    locale: str,
    participant: Participant | None = None,
    tandem: Tandem | None = None,
) -> list[NoteView]:
    """Newest first, with the author's name (one query)."""
    if participant is not None:
        condition = col(Note.participant_id) == participant.id
    elif tandem is not None:
        condition = col(Note.tandem_id) == tandem.id
    else:
        raise TypeError("listing needs a participant or a tandem")
    rows = session.execute(
        select(Note, col(Coordinator.display_name))
        .outerjoin(Coordinator, col(Note.author_id) == col(Coordinator.id))
        .where(condition)
        .order_by(col(Note.created_at).desc(), col(Note.id).desc())
    ).all()
    return [
        NoteView(
            body=note.body,
            author=name or "",
            created_at=note.created_at,
            when=local_date(note.created_at, locale=locale),
        )
        for note, name in rows
    ]


def partial_context(
    session: Session,
    *,
    locale: str,
    participant: Participant | None = None,
    tandem: Tandem | None = None,
    error: str | None = None,
    draft: str = "",
) -> dict[str, object]:
    """The context of ``coordinator/tandems/_notes.html``: ``notes``, ``notes_action``
    (where the add form posts), ``note_error`` and ``note_draft`` (kept on redisplay)."""
    if participant is not None:
        action = f"/coordinator/participants/{participant.public_id}/notes"
    elif tandem is not None:
        action = f"/coordinator/tandems/{tandem.public_id}/notes"
    else:
        raise TypeError("partial_context needs a participant or a tandem")
    return {
        "notes": listing(session, locale=locale, participant=participant, tandem=tandem),
        "notes_action": action,
        "note_error": error,
        "note_draft": draft,
    }
