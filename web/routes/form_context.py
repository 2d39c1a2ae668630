"""What the participant form template needs, for sign-up and for profile edits."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from web.forms import ParticipantForm
from web.participants import place_suggestions


def form_context(session: Session, form: ParticipantForm, mode: str) -> dict[str, Any]:
    return {
        "form": form,
        "mode": mode,  # "signup" or "edit"
        "action": f"/signup/{form.role}" if mode == "signup" else "/me/edit",
        "switch_form": "participant-form",  # the language switch submits this form
        "places": place_suggestions(session),
    }
