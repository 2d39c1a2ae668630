"""Partners who did not both agree to pass on their contact details (issue 15 §5): when
both said yes, ``web.proposals`` sets ``put_in_touch_since`` and the dashboard lists
"put them in touch" until a coordinator marks it done here.

Takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from web.core import audit
from web.core.models import Coordinator, Tandem
from web.core.sql import rowcount


def mark_put_in_touch(
    session: Session, tandem: Tandem, *, coordinator: Coordinator, now: datetime
) -> bool:
    """The coordinator has put the partners in touch: the dashboard task is done.
    False when there was no open task (done by a colleague a moment ago)."""
    done = session.execute(
        update(Tandem)
        .where(
            col(Tandem.id) == tandem.id,
            col(Tandem.put_in_touch_since).is_not(None),
            col(Tandem.put_in_touch_done_at).is_(None),
        )
        .values(put_in_touch_done_at=now, put_in_touch_done_by_id=coordinator.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tandem)
    if rowcount(done) != 1:
        return False
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="tandem.put_in_touch",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    return True
