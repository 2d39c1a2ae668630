"""Sign-ups are written in batches by one writer thread per process (group commit).

Why: a public sign-up page is the one place where a crowd can write at a high
rate (issue 7 asks for 300 sign-ups a second with two workers). Written one
transaction per request, each on its own worker thread, a sign-up made about a
dozen database round trips, and every one of them handed Python's GIL between
threads; two workers topped out at about 250 a second with the CPU busy with
handing over. Here the request only parses its form and waits; one thread per
process takes every sign-up waiting at that moment and stores them in one
transaction with one statement per table.

Nothing is acknowledged early: a request gets its answer only after the
transaction holding its sign-up has committed. If a batch fails, its sign-ups
are tried again one at a time, so a bad one fails only its own request.

Every post counts against the address's generous attempt limit; only a complete,
valid sign-up (one to store, or one with an address we know) counts against the
sign-up limit (``web.core.limits``), so that switching the language and correcting
mistakes never lock out a shelter that shares one address.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar.exceptions import TooManyRequestsException
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from web.core import limits, participants
from web.core.db import READ_ONLY, transaction
from web.core.forms import ParticipantForm
from web.core.links import send_profile_link
from web.core.models import OutboxMessage, Participant
from web.events import nearby

if TYPE_CHECKING:
    from litestar import Litestar

    from web.core.settings import Settings

logger = logging.getLogger(__name__)

BATCH_MAX = 100  # sign-ups per transaction; a burst beyond it waits for the next one
# A sign-up with an address we know sends its owner an e-mail only if no link went to
# the address within this time: a stranger repeating the form cannot fill the inbox.
REPEAT_MAIL_INTERVAL = timedelta(hours=1)
LINK_MAILS = ("verify_address", "profile_link", "signup_again")


@dataclass(frozen=True)
class PendingSignUp:
    """A sign-up form as posted; with ``store`` False (a language switch, the honeypot,
    a form with errors) it is only counted against the address's limit."""

    form: ParticipantForm
    locale: str
    client: str
    now: datetime
    store: bool


@dataclass(frozen=True)
class Outcome:
    """What the request answers with: ``place_unknown`` when the town is not one Tandem
    serves (nothing stored); ``places`` are the town suggestions for a form shown again;
    ``refused`` the 429 when the address is over a limit (nothing stored)."""

    place_unknown: bool = False
    places: list[str] = field(default_factory=list)
    refused: TooManyRequestsException | None = None


class _Item:
    """A pending sign-up and how to hand its result back to the waiting request."""

    def __init__(self, pending: PendingSignUp, loop: asyncio.AbstractEventLoop) -> None:
        self.pending = pending
        self.loop = loop
        self.future: asyncio.Future[Outcome] = loop.create_future()
        self.town: participants.ServedPlace | None = None  # set before counting, if to store

    def resolve(self, outcome: Outcome | BaseException) -> None:
        def hand_over() -> None:
            if self.future.done():  # the request went away (client disconnected)
                return
            if isinstance(outcome, BaseException):
                self.future.set_exception(outcome)
            else:
                self.future.set_result(outcome)

        self.loop.call_soon_threadsafe(hand_over)


_STOP = object()


class SignUpWriter:
    def __init__(self, engine: Engine, settings: Settings, *, batch_max: int = BATCH_MAX):
        self.engine = engine
        self.settings = settings
        self.batch_max = batch_max
        self.limit = limits.signup_limit(settings)
        self.attempt_limit = limits.signup_attempt_limit(settings)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def submit(self, pending: PendingSignUp) -> Outcome:
        """Count the sign-up and, if it is to be stored, store it (or, for a known
        address, tell its owner); return once that has committed. An address over its
        limit gets an outcome with ``refused`` set."""
        if self._thread is None:
            raise RuntimeError("the sign-up writer is not running (see running())")
        item = _Item(pending, asyncio.get_running_loop())
        self._queue.put(item)
        return await item.future

    # --- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.batch_max and not self._queue.empty():
                batch.append(self._queue.get())
            stopping = _STOP in batch
            items = [item for item in batch if item is not _STOP]
            try:
                self._handle(items)
            except Exception:  # a bug here must not end the thread: later sign-ups would hang
                logger.exception("the sign-up writer failed on a batch")
                for item in items:
                    with suppress(Exception):
                        item.resolve(RuntimeError("the sign-up could not be stored"))
            if stopping:
                return

    def _handle(self, items: list[_Item]) -> None:
        if not items:
            return
        try:
            admitted = self._count(items)
        except Exception as exc:  # the database is gone: nothing was counted or stored
            logger.exception("counting sign-ups failed")
            for item in items:
                item.resolve(exc)
            return
        if len(admitted) > 1:
            try:
                with transaction(self.engine) as session:
                    outcomes = self._store(session, admitted)
            except Exception:
                # One at a time, so that one bad sign-up fails only its own request.
                logger.exception("a batch of sign-ups failed; storing them one at a time")
            else:
                for item, outcome in zip(admitted, outcomes, strict=True):
                    item.resolve(outcome)
                return
        for item in admitted:
            self._store_one(item)

    def _store_one(self, item: _Item) -> None:
        try:
            with transaction(self.engine) as session:
                [outcome] = self._store(session, [item])
        except Exception as exc:
            logger.exception("storing a sign-up failed")
            item.resolve(exc)
        else:
            item.resolve(outcome)

    def _count(self, items: list[_Item]) -> list[_Item]:
        """Count every request (committed at once, whatever happens next); answer those
        over a limit with their 429 and return the others.

        Every post counts as an attempt; a post to be stored whose town Tandem serves
        also counts as a sign-up. A form with mistakes, an unknown town, a language
        switch or the honeypot count as attempts only."""
        with Session(self.engine.execution_options(**{READ_ONLY: True})) as session:
            places = participants.place_suggestions(session)
            for item in items:
                if item.pending.store:
                    item.town = participants.served_place(session, item.pending.form.place)
        admitted = []
        with limits.autocommit(self.engine) as connection:
            for item in items:
                pending = item.pending
                refusal = limits.hit(
                    connection, self.attempt_limit, pending.client, now=pending.now
                )
                if refusal is None and item.town is not None:
                    refusal = limits.hit(connection, self.limit, pending.client, now=pending.now)
                if refusal is None:
                    admitted.append(item)
                else:
                    item.resolve(Outcome(places=places, refused=refusal))
        return admitted

    def _store(self, session: Session, items: list[_Item]) -> list[Outcome]:
        places = participants.place_suggestions(session)
        new = [
            participants.NewPerson(
                item.pending.form, item.town, item.pending.locale, item.pending.now
            )
            for item in items
            if item.town is not None
        ]
        stored = iter(participants.register(session, new) if new else [])
        known: list[PendingSignUp] = []  # the address signed up before (or earlier here)
        for item in items:
            if item.town is None:
                continue
            person = next(stored)
            if person is not None:
                send_profile_link(session, person, self.settings, now=item.pending.now)
            else:
                known.append(item.pending)
        # The same answer whether or not the address was known: no enumeration. In the
        # order of the addresses, as every process locks them: no deadlock between two.
        for pending in sorted(known, key=lambda pending: pending.form.email):
            tell_owner_of_repeated_sign_up(
                session, pending.form.email, self.settings, now=pending.now
            )
        return [
            Outcome(place_unknown=item.pending.store and item.town is None, places=places)
            for item in items
        ]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SignUpWriter]:
        self._thread = threading.Thread(target=self._run, name="tandem-signup-writer")
        self._thread.start()
        try:
            yield self
        finally:
            self._queue.put(_STOP)  # what is queued before it is still written
            await anyio.to_thread.run_sync(self._thread.join)
            self._thread = None


def tell_owner_of_repeated_sign_up(
    db: Session, email: str, settings: Settings, *, now: datetime
) -> None:
    """Someone signed up with an address we know: tell its owner, nothing else changes.

    At most one e-mail per address and ``REPEAT_MAIL_INTERVAL``: none if a link went to
    the address in that time (also the first sign-up's own confirmation e-mail, so that
    a double click sends one e-mail). The person's row is locked first, so that two
    processes taking repeated sign-ups at once cannot both decide to write."""
    owner = db.scalars(
        select(Participant).where(col(Participant.email) == email).with_for_update()
    ).first()
    if owner is None:  # erased in the meantime
        return
    recent = db.scalars(
        select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.participant_id) == owner.id,
            col(OutboxMessage.kind).in_(LINK_MAILS),
            col(OutboxMessage.created_at) > now - REPEAT_MAIL_INTERVAL,
        )
        .limit(1)
    ).first()
    if recent is not None:
        return
    events = nearby.suggested_in_mail(db, owner, now=now)  # while they wait (issue 17)
    send_profile_link(
        db, owner, settings, now=now, template="signup_again", context={"events": events}
    )


def background_writer() -> Callable[[Litestar], AbstractAsyncContextManager[SignUpWriter]]:
    """For ``Litestar(lifespan=[...])``: the app's writer, as ``app.state.signup_writer``."""

    def lifespan(app: Litestar) -> AbstractAsyncContextManager[SignUpWriter]:
        writer = SignUpWriter(app.state.engine, app.state.settings)
        app.state.signup_writer = writer
        return writer.running()

    return lifespan
