"""E-mailed links, the one way: issue a token, build the URL, enqueue the mail; open a link.

Seven kinds of link go out by e-mail: confirm an address (``verify``), open "my profile"
(``profile``, also in the retention warning), answer a proposal (``answer``), answer a
check-in (``checkin``), create a coordinator account (``invitation``) and switch the monthly
"what's on" e-mail off or on (``whats_on``, issue 17). All of them:

- carry a random token (``secrets.token_urlsafe(32)``) in the path; the database keeps
  only its SHA-256 hash, so a leaked table yields no working link, and a token is found
  by its hash, never by comparing raw tokens (response times tell an attacker nothing);
- are opened with one error hierarchy: ``LinkError`` > ``LinkInvalid`` / ``LinkExpired``
  / ``LinkUsed``, each with a ``code`` the problem pages explain;
- are used up (single use) by a compare-and-set in the caller's transaction, so that of
  two concurrent clicks exactly one counts;
- never reach a log line: ``log_redaction`` cuts the token out of every path in ``PATHS``.

Time is an input (``now``) everywhere::

    url = links.send(session, person, "verify", settings=settings, now=now,
                     lifetime=timedelta(hours=48), template="verify_address", context={...})
    ...
    person = links.redeem(session, raw, "verify", now=now, single_use=True)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from web.core import i18n, mail, reach
from web.core.models import AccessToken, CoordinatorInvitation, Participant, Tandem
from web.core.settings import Settings
from web.core.sql import rowcount, table
from web.core.vocabulary import TOKEN_PURPOSES

if TYPE_CHECKING:
    from web.core.participants import SignUp

# The path each kind of link opens (``log_redaction`` cuts the segment after it).
PATHS = {
    "verify": "/verify/",
    "profile": "/me/open/",
    "answer": "/answer/",
    "checkin": "/check-in/",
    "invitation": "/invite/",
    "whats_on": "/whats-on/",  # switch the monthly "what's on" e-mail off (or on again)
}
# token_urlsafe(32) gives 43 characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 100
# Issued on every sign-up: one Core statement, no ORM unit of work.
_INSERT = insert(table(AccessToken))

_Row = TypeVar("_Row", AccessToken, CoordinatorInvitation)


class LinkError(Exception):
    """A link that cannot be used; the subclass (and its ``code``) says why."""

    code = "invalid"


class LinkInvalid(LinkError):
    """Unknown, malformed, or issued for another purpose or person."""

    code = "invalid"


class LinkExpired(LinkError):
    """Known, but past its lifetime."""

    code = "expired"


class LinkUsed(LinkError):
    """A single-use link that was already used (or a link that was revoked)."""

    code = "used"


# --- issuing ---------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh raw token (for the link only) and its hash (for the database)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def issue(
    session: Session,
    participant: Participant | SignUp,
    purpose: str,
    *,
    now: datetime,
    lifetime: timedelta,
    tandem: Tandem | None = None,
) -> str:
    """Store a new token for ``participant`` (about ``tandem``, for answer and check-in
    links) and return the raw value for the link."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    if participant.id is None or (tandem is not None and tandem.id is None):
        session.flush()
    raw, digest = new_token()
    session.execute(
        _INSERT,
        {
            "participant_id": participant.id,
            "tandem_id": tandem.id if tandem is not None else None,
            "purpose": purpose,
            "token_hash": digest,
            "created_at": now,
            "expires_at": now + lifetime,
            "used_at": None,
        },
    )
    return raw  # the row commits (or rolls back) with the caller's transaction


def url(settings: Settings, purpose: str, raw: str, *, locale: str | None = None) -> str:
    """The link for a raw token; with ``locale`` it opens in that language on any device."""
    link = f"{settings.base_url}{PATHS[purpose]}{raw}"
    if locale is not None:
        link += f"?{urlencode({i18n.QUERY_PARAM: locale})}"
    return link


def mail_link(
    session: Session,
    link: str,
    *,
    to_address: str,
    locale: str,
    template: str,
    context: Mapping[str, Any],
    participant_id: int | None,
    now: datetime,
) -> None:
    """Enqueue the e-mail that carries ``link`` (as ``url`` in its template)."""
    mail.enqueue(
        session,
        to_address=to_address,
        locale=locale,
        template=template,
        context={**context, "url": link},
        participant_id=participant_id,
        now=now,
    )


def send(
    session: Session,
    person: Participant | SignUp,
    purpose: str,
    *,
    settings: Settings,
    now: datetime,
    lifetime: timedelta,
    template: str,
    context: Mapping[str, Any],
    tandem: Tandem | None = None,
    with_locale: bool = False,
    attachment: mail.Attachment | None = None,
) -> str | None:
    """Issue a token, build its link and tell ``person`` (``reach.tell``: by e-mail, or a
    task for their coordinator when they have no address; a minor's guardian gets a copy
    without it); returns the link, or None when the person cannot be told (no address, and
    no task for such a link: ``reach.NOT_TOLD``), and then issues nothing."""
    if isinstance(person, Participant) and not reach.can_tell(person, template):
        return None
    raw = issue(session, person, purpose, now=now, lifetime=lifetime, tandem=tandem)
    link = url(settings, purpose, raw, locale=person.locale if with_locale else None)
    if isinstance(person, Participant):
        reach.tell(
            session,
            person,
            template=template,
            context={**context, "url": link},
            now=now,
            tandem_id=tandem.id if tandem is not None else None,
            attachment=attachment,
        )
        return link
    mail_link(
        session,
        link,
        to_address=person.email,
        locale=person.locale,
        template=template,
        context=context,
        participant_id=person.id,
        now=now,
    )
    return link


# --- opening ---------------------------------------------------------------------------------


def find(session: Session, model: type[_Row], raw: str) -> _Row:
    """The row (an ``AccessToken`` or a ``CoordinatorInvitation``) of a raw token, by its
    hash; ``LinkInvalid`` when there is none. Neither used up nor checked for age."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise LinkInvalid
    digest = hash_token(raw)
    row = session.scalars(select(model).where(col(model.token_hash) == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise LinkInvalid
    return row


def check(row: AccessToken | CoordinatorInvitation, *, now: datetime) -> None:
    """Raise ``LinkUsed`` or ``LinkExpired`` when the link cannot be used (now)."""
    if row.used_at is not None:
        raise LinkUsed
    if row.expires_at <= now:
        raise LinkExpired


def use_up(session: Session, row: AccessToken | CoordinatorInvitation, *, now: datetime) -> None:
    """Use a single-use link up: a compare-and-set, so that of two concurrent clicks
    exactly one passes and the other gets ``LinkUsed``."""
    model = type(row)
    consumed = session.execute(
        update(model)
        .where(col(model.id) == row.id, col(model.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(consumed) != 1:
        raise LinkUsed
    set_committed_value(row, "used_at", now)


def open_token(session: Session, raw: str, purpose: str) -> AccessToken:
    """The token of a link of ``purpose``, without using it up (mail scanners open links)."""
    token = find(session, AccessToken, raw)
    if token.purpose != purpose:
        raise LinkInvalid
    return token


def redeem(
    session: Session, raw: str, purpose: str, *, now: datetime, single_use: bool
) -> Participant:
    """The participant a valid link belongs to; a single-use link is used up."""
    token = open_token(session, raw, purpose)
    check(token, now=now)
    if single_use:
        use_up(session, token, now=now)
    participant = session.get(Participant, token.participant_id)
    if participant is None:  # erased between lookup and here
        raise LinkInvalid
    return participant


@dataclass(frozen=True)
class Link:
    """A link about a tandem (answer, check-in): the person it was sent to and their partner."""

    token: AccessToken
    tandem: Tandem
    person: Participant
    partner: Participant | None  # None: the partner was erased

    @property
    def side(self) -> str:
        return "local" if self.tandem.local_id == self.person.id else "newcomer"

    @property
    def my_answer(self) -> str | None:
        return getattr(self.tandem, f"{self.side}_answer")

    @property
    def partner_answer(self) -> str | None:
        other = "newcomer" if self.side == "local" else "local"
        return getattr(self.tandem, f"{other}_answer")


def open_tandem_link(session: Session, raw: str, purpose: str) -> Link:
    """The tandem behind an answer or check-in link, without using it up; ``LinkInvalid``
    for anything that is not a link of ``purpose`` of a partner of its tandem."""
    token = open_token(session, raw, purpose)
    if token.tandem_id is None:
        raise LinkInvalid
    tandem = session.get(Tandem, token.tandem_id)
    if tandem is None or token.participant_id not in (tandem.local_id, tandem.newcomer_id):
        raise LinkInvalid
    person = session.get(Participant, token.participant_id)
    if person is None:
        raise LinkInvalid
    partner = tandem.newcomer if tandem.local_id == person.id else tandem.local
    return Link(token=token, tandem=tandem, person=person, partner=partner)


# --- the way in for a participant ------------------------------------------------------------


def send_profile_link(
    session: Session,
    person: Participant | SignUp,
    settings: Settings,
    *,
    now: datetime,
    template: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> str | None:
    """E-mail a fresh link: to confirm the address while it is not confirmed, else to open
    "my profile" (in ``template``, by default the e-mail made for that link); None, and
    nothing sent, for a person without an address.

    The link names the person's language, so that it opens in the language they signed
    up in on any device (a shelter's computer, a second phone), cookie or not."""
    confirm = person.status == "unverified"
    if confirm:
        purpose, lifetime = "verify", timedelta(hours=settings.verify_link_hours)
    else:
        purpose, lifetime = "profile", timedelta(days=settings.profile_link_days)
    return send(
        session,
        person,
        purpose,
        settings=settings,
        now=now,
        lifetime=lifetime,
        template=template or ("verify_address" if confirm else "profile_link"),
        context={"first_name": person.first_name, "confirm": confirm, **(context or {})},
        with_locale=True,
    )
