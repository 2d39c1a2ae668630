"""Names of the request dependencies, for handler signatures.

Litestar wants dependencies marked explicitly; these aliases keep the
signatures short: ``def handler(db: DbSession, coordinator: CurrentCoordinator)``.
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import PathParameter
from sqlmodel import Session

from web.core.models import Coordinator, Participant
from web.core.params import INT_MAX
from web.core.settings import Settings

DbSession = NamedDependency[Session]
CurrentCoordinator = NamedDependency[Coordinator]
AppSettings = NamedDependency[Settings]
CurrentParticipant = NamedDependency[Participant]

# A row id in a path: 1 up to what an INTEGER column holds. Anything else is a 400, not an
# OverflowError from the database driver (a 500).
RowId = Annotated[int, PathParameter(ge=1, le=INT_MAX)]
