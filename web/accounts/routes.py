"""Coordinator accounts: invitations (admins), accepting one, and the TOTP second factor."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlalchemy import select
from sqlmodel import Session, col

from web.accounts import accounts
from web.core import audit, links
from web.core.access import visible_regions
from web.core.auth import coordinator_required
from web.core.deps import AppSettings, CurrentCoordinator, DbSession
from web.core.forms import EMAIL_MAX, FormData, clean_text, is_email, single, values
from web.core.i18n import N_
from web.core.models import Coordinator, Region, utcnow
from web.core.vocabulary import COORDINATOR_ROLES

SETUP_KEY = "totp_setup"


def _see(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


# --- second factor ---


@get(
    "/account/second-factor",
    name="second_factor_form",
    sync_to_thread=True,
    opt={"second_factor_setup": True},
)
def second_factor_form(request: Request, coordinator: CurrentCoordinator) -> Template:
    setup = accounts.new_totp_setup(coordinator.email)
    # The secret waits in the session until a correct code proves the app has it.
    request.set_session({**request.session, SETUP_KEY: setup.secret})
    return Template(
        template_name="accounts/second_factor.html",
        context={"coordinator": coordinator, "setup": setup},
    )


@post(
    "/account/second-factor",
    name="second_factor",
    sync_to_thread=True,
    opt={"second_factor_setup": True},
)
def second_factor(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, data: FormData
) -> Template | Redirect:
    secret = request.session.get(SETUP_KEY)
    now = utcnow()
    step = (
        accounts.matching_step(secret, single(data, "code"), now=now, after=None)
        if secret
        else None
    )
    if step is None:
        setup = accounts.new_totp_setup(coordinator.email)
        request.set_session({**request.session, SETUP_KEY: setup.secret})
        return Template(
            template_name="accounts/second_factor.html",
            status_code=HTTP_400_BAD_REQUEST,
            context={"coordinator": coordinator, "setup": setup, "failed": True},
        )
    coordinator.totp_secret = secret
    coordinator.totp_last_step = step
    db.add(coordinator)
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action="coordinator.second_factor_set",
        subject_type="coordinator",
        subject_id=coordinator.id,
    )
    request.set_session({k: v for k, v in request.session.items() if k != SETUP_KEY})
    return _see("/coordinator/?second_factor=1")


# --- invitations (admins) ---


def _admin(coordinator: Coordinator) -> None:
    if not coordinator.is_admin:
        raise NotFoundException()


def _invitations_page(
    db: Session, coordinator: Coordinator, *, status_code: int = 200, **context: Any
) -> Template:
    return Template(
        template_name="accounts/invitations.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "regions": visible_regions(db, coordinator),
            "open_invitations": accounts.open_invitations(db, now=utcnow()),
            "email": "",
            "role": "coordinator",
            "chosen": [],
            "errors": {},
            **context,
        },
    )


@get("/invitations", name="invitations", sync_to_thread=True)
def invitations(
    db: DbSession, coordinator: CurrentCoordinator, sent: FromQuery[bool] = False
) -> Template:
    _admin(coordinator)
    return _invitations_page(db, coordinator, sent=sent)


@post("/invitations", name="invite", sync_to_thread=True)
def invite(
    db: DbSession, coordinator: CurrentCoordinator, settings: AppSettings, data: FormData
) -> Template | Redirect:
    _admin(coordinator)
    email = clean_text(single(data, "email"), max_length=EMAIL_MAX).lower()
    role = single(data, "role") or "coordinator"
    chosen = values(data, "regions")
    regions = list(db.scalars(select(Region).where(col(Region.slug).in_(chosen)))) if chosen else []
    errors = {}
    if not is_email(email):
        errors["email"] = N_("Please enter an e-mail address like name@example.org.")
    elif db.scalars(select(Coordinator).where(col(Coordinator.email) == email)).first():
        errors["email"] = N_("There is an account with this address already.")
    if role not in COORDINATOR_ROLES:
        errors["role"] = N_("Please choose one of the options.")
    if len(regions) != len(chosen) or (role == "coordinator" and not regions):
        errors["regions"] = N_("Please choose at least one region.")
    if errors:
        return _invitations_page(
            db,
            coordinator,
            status_code=HTTP_400_BAD_REQUEST,
            email=email,
            role=role,
            chosen=chosen,
            errors=errors,
        )
    now = utcnow()
    raw = accounts.send_invitation(
        db,
        email=email,
        role=role,
        regions=regions,
        invited_by=coordinator,
        settings=settings,
        now=now,
    )
    audit.write(
        db,
        now=now,
        actor=coordinator,
        action="coordinator.invited",
        subject_type="invitation",
        subject_id=links.hash_token(raw)[:12],
    )
    return _see("/coordinator/invitations?sent=1")


# --- accepting an invitation (public) ---


def _invitation_problem() -> Template:
    return Template(
        template_name="accounts/invitation.html",
        status_code=HTTP_400_BAD_REQUEST,
        context={"problem": accounts.INVITATION_PROBLEM},
    )


@get("/invite/{token:str}", name="invitation_form", sync_to_thread=True, opt={"skip_session": True})
def invitation_form(token: FromPath[str], db: DbSession) -> Template:
    try:
        invitation = accounts.open_invitation(db, token, now=utcnow())
    except links.LinkError:
        return _invitation_problem()
    return Template(
        template_name="accounts/invitation.html",
        context={"invitation": invitation, "token": token, "name": "", "errors": {}},
    )


@post(
    "/invite/{token:str}", name="accept_invitation", sync_to_thread=True, opt={"skip_session": True}
)
def accept_invitation(token: FromPath[str], db: DbSession, data: FormData) -> Template | Redirect:
    now = utcnow()
    try:
        invitation = accounts.open_invitation(db, token, now=now)
    except links.LinkError:
        return _invitation_problem()
    name = clean_text(single(data, "name"), max_length=120)
    password = single(data, "password")
    errors = {}
    if not name:
        errors["name"] = N_("Please enter your name.")
    weak = accounts.password_problem(password, email=invitation.email)
    if weak:
        errors["password"] = weak
    elif password != single(data, "password_again"):
        errors["password_again"] = N_("The two passwords are not the same.")
    if errors:
        return Template(
            template_name="accounts/invitation.html",
            status_code=HTTP_400_BAD_REQUEST,
            context={"invitation": invitation, "token": token, "name": name, "errors": errors},
        )
    try:
        with db.begin_nested():
            created = accounts.accept_invitation(
                db, invitation, display_name=name, password=password, now=now
            )
    except links.LinkError:
        return _invitation_problem()
    audit.write(
        db,
        now=now,
        actor=created,
        action="coordinator.joined",
        subject_type="coordinator",
        subject_id=created.id,
    )
    return _see("/login?joined=1")


router = Router(
    path="/",
    route_handlers=[
        invitation_form,
        accept_invitation,
        Router(
            path="/coordinator",
            guards=[coordinator_required],
            route_handlers=[second_factor_form, second_factor, invitations, invite],
        ),
    ],
)
