"""Coordinator accounts: invitations instead of shared passwords, a password policy,
and the TOTP second factor. Functions take a session and never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from web.core import links, mail, params
from web.core.auth import hash_password
from web.core.i18n import N_
from web.core.models import Coordinator, CoordinatorInvitation, Region
from web.core.settings import Settings
from web.core.sql import id_of, rowcount

INVITATION_LIFETIME = timedelta(hours=24)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOTP_ISSUER = "Tandem"
# The most common passwords of at least twelve characters (a short list; a breach
# corpus would be better and is left for a later step).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "qwertyuiopas",
        "passwordpassword",
        "password1234",
        "password12345",
        "iloveyou1234",
        "111111111111",
        "000000000000",
        "123123123123",
        "abcdefghijkl",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "letmein12345",
        "welcome12345",
        "adminadmin12",
        "administrator",
        "passwort1234",
        "hallohallo12",
        "tandemtandem",
    }
)


# Whatever is wrong with an invitation link, its page says this.
INVITATION_PROBLEM = N_("This invitation link is not valid any more.")


def invite(
    session: Session,
    *,
    email: str,
    role: str,
    regions: list[Region],
    invited_by: Coordinator | None,
    now: datetime,
) -> str:
    """Store an invitation and return the raw token for its link (only its hash is kept)."""
    raw, digest = links.new_token()
    session.add(
        CoordinatorInvitation(
            email=email.strip().lower(),
            role=role,
            region_ids=[id_of(region) for region in regions],
            token_hash=digest,
            created_by_id=invited_by.id if invited_by else None,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
    )
    session.flush()
    return raw


def send_invitation(
    session: Session,
    *,
    email: str,
    role: str,
    regions: list[Region],
    invited_by: Coordinator,
    settings: Settings,
    now: datetime,
) -> str:
    """Store an invitation and e-mail its link to the new coordinator only (the admin never
    sees it); returns the raw token."""
    raw = invite(session, email=email, role=role, regions=regions, invited_by=invited_by, now=now)
    links.mail_link(
        session,
        links.url(settings, "invitation", raw),
        to_address=email,
        locale="de",
        template="coordinator_invitation",
        context={"role": role, "inviter": invited_by.display_name},
        participant_id=None,
        now=now,
    )
    return raw


def open_invitations(session: Session, *, now: datetime) -> list[CoordinatorInvitation]:
    """The invitations not used yet and still valid, newest first (for the admins' page)."""
    return list(
        session.scalars(
            select(CoordinatorInvitation)
            .where(
                col(CoordinatorInvitation.used_at).is_(None),
                col(CoordinatorInvitation.expires_at) > now,
            )
            .order_by(col(CoordinatorInvitation.created_at).desc())
        ).all()
    )


def open_invitation(session: Session, raw: str, *, now: datetime) -> CoordinatorInvitation:
    """The invitation of a link that can still be used; else a ``links.LinkError``."""
    invitation = links.find(session, CoordinatorInvitation, raw)
    links.check(invitation, now=now)
    return invitation


def password_problem(password: str, *, email: str) -> str | None:
    """Why a password is refused (a message id), or None. No composition rules (ASVS V6.2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("Please choose a password of at least 12 characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return N_("This password is too long.")
    if password.lower() in COMMON_PASSWORDS or password.lower() == email.lower():
        return N_("This password is too easy to guess. Please choose another one.")
    return None


def accept_invitation(
    session: Session,
    invitation: CoordinatorInvitation,
    *,
    display_name: str,
    password: str,
    now: datetime,
) -> Coordinator:
    """Create the account; the invitation is consumed with a compare-and-set (single use)."""
    links.use_up(session, invitation, now=now)
    regions = [session.get(Region, region_id) for region_id in invitation.region_ids]
    coordinator = Coordinator(
        email=invitation.email,
        display_name=display_name,
        role=invitation.role,
        password_hash=hash_password(password),
        regions=[region for region in regions if region is not None],
        created_at=now,
    )
    session.add(coordinator)
    session.flush()
    return coordinator


# --- TOTP ---------------------------------------------------------------------------------------

STEP_SECONDS = 30


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    uri: str
    qr_svg_data_uri: str


def new_totp_setup(email: str) -> TotpSetup:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)
    return TotpSetup(secret=secret, uri=uri, qr_svg_data_uri=segno.make(uri).svg_data_uri(scale=4))


def matching_step(secret: str, code: str, *, now: datetime, after: int | None) -> int | None:
    """The time step whose code is ``code`` (now ± one step), if later than ``after``."""
    try:
        code = params.digits(code.replace(" ", ""), length=6)
    except params.BadValue:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and secrets.compare_digest(
            totp.at(step * STEP_SECONDS), code
        ):
            return step
    return None


def verify_totp(session: Session, coordinator: Coordinator, code: str, *, now: datetime) -> bool:
    """Check a code and remember its step, so that the same code never works twice."""
    if not coordinator.totp_secret:
        return False
    step = matching_step(coordinator.totp_secret, code, now=now, after=coordinator.totp_last_step)
    if step is None:
        return False
    claimed = session.execute(
        update(Coordinator)
        .where(col(Coordinator.id) == coordinator.id)
        .where(
            (col(Coordinator.totp_last_step).is_(None)) | (col(Coordinator.totp_last_step) < step)
        )
        .values(totp_last_step=step)
    )
    return rowcount(claimed) == 1


def warn_of_login_attack(
    session: Session, email: str, *, settings: Settings, now: datetime
) -> None:
    """Tell a coordinator that someone keeps failing to log in to their account (the
    throttle decides when, at most once an hour). An e-mail that belongs to no active
    account gets nothing."""
    coordinator = session.scalars(
        select(Coordinator).where(func.lower(col(Coordinator.email)) == email.strip().lower())
    ).first()
    if coordinator is None or not coordinator.is_active:
        return
    mail.enqueue(
        session,
        to_address=coordinator.email,
        locale=settings.default_locale,
        template="login_attack",
        context={"name": coordinator.display_name},
        now=now,
    )
