"""How participants reach a region's programme: the contact person, e-mail and phone that
sign its e-mails (issue 15 §3). Coordinators of the region keep them; changes are audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from web.core import audit, phones
from web.core.forms import EMAIL_ERROR, PHONE_ERROR, clean_text, is_email, single
from web.core.i18n import N_
from web.core.models import Coordinator, Region

NAME_MAX = 120


@dataclass
class ContactForm:
    """What the coordinator typed, and the errors to show next to each field."""

    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    phone_e164: str | None = None

    @classmethod
    def of(cls, region: Region) -> ContactForm:
        return cls(
            contact_name=region.contact_name or "",
            contact_email=region.contact_email or "",
            contact_phone=phones.national(region.contact_phone),
        )


def parse(data: dict[str, Any]) -> ContactForm:
    form = ContactForm(
        contact_name=clean_text(single(data, "contact_name"), max_length=None),
        contact_email=clean_text(single(data, "contact_email"), max_length=None),
        contact_phone=clean_text(single(data, "contact_phone"), max_length=None),
    )
    if len(form.contact_name) > NAME_MAX:
        form.errors["contact_name"] = N_("Please keep the name under 120 characters.")
    if form.contact_email and not is_email(form.contact_email):
        form.errors["contact_email"] = EMAIL_ERROR
    if form.contact_phone:
        form.phone_e164 = phones.parse(form.contact_phone[: phones.PHONE_MAX])
        if form.phone_e164 is None or len(form.contact_phone) > phones.PHONE_MAX:
            form.errors["contact_phone"] = PHONE_ERROR
    return form


def save(
    session: Session, region: Region, form: ContactForm, *, coordinator: Coordinator, now: datetime
) -> None:
    region.contact_name = form.contact_name or None
    region.contact_email = form.contact_email or None
    region.contact_phone = form.phone_e164
    session.add(region)
    session.flush()
    audit.write(session, now=now, actor=coordinator, action="region.contact_saved",
                subject_type="region", subject_id=region.id)  # fmt: skip
