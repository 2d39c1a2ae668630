"""Names of the request dependencies, for handler signatures.

Litestar wants dependencies marked explicitly; these aliases keep the
signatures short: ``def handler(db: DbSession, coordinator: CurrentCoordinator)``.
"""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlmodel import Session

from web.models import Coordinator, Participant
from web.settings import Settings

DbSession = NamedDependency[Session]
CurrentCoordinator = NamedDependency[Coordinator]
AppSettings = NamedDependency[Settings]
CurrentParticipant = NamedDependency[Participant]
