"""The erasure ledger: one JSON line per erasure, kept outside the database.

Erasures must survive a restore of a backup (web.ops.backup reads this ledger and
erases every person in it again). Writing it lives here, beside the participant
record, because erasing a person (web.core.participants.erase) appends to it.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

logger = logging.getLogger(__name__)


def record_erasure(ledger: Path, public_id: str, at: datetime) -> None:
    """Append one erasure to the ledger and make it durable. Only the random public id
    and the time: the ledger must not become a list of who left."""
    line = json.dumps({"participant": public_id, "at": at.isoformat()}) + "\n"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    created = not ledger.exists()
    fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())  # one write of a short line: appended whole
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new directory entry must reach the disk too
        directory = os.open(ledger.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


_PENDING = "tandem.erasures_pending"


def record_erasure_after_commit(
    session: Session, ledger: Path, public_id: str, at: datetime
) -> None:
    """Append the erasure to ``ledger`` once ``session`` has committed it.

    Not before: if the transaction then failed, the ledger would name a person who
    still exists, and the next restore would erase them against their will. After a
    rollback the entry is dropped. What remains is a crash between the commit and
    the append (milliseconds); a failing append is logged and raised, never silent.
    """
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _write_pending)
        event.listen(session, "after_transaction_end", _forget_pending)
    session.info[_PENDING].append((ledger, public_id, at))


def _write_pending(session: Session) -> None:
    pending = session.info.get(_PENDING, [])
    while pending:
        ledger, public_id, at = pending.pop(0)
        try:
            record_erasure(ledger, public_id, at)
        except OSError:
            logger.critical("erasure of participant %s not written to %s", public_id, ledger)
            raise


def _forget_pending(session: Session, transaction: Any) -> None:
    # After a commit the list is empty already; any other end of the outermost
    # transaction (rollback, close) means the erasures did not happen.
    if transaction.parent is None:
        session.info.get(_PENDING, []).clear()
