"""What the participant form template needs, for sign-up and for profile edits."""

from __future__ import annotations

from typing import Any

from web.core.forms import SOLAR_HIJRI_LOCALES, ParticipantForm


def form_context(form: ParticipantForm, mode: str, places: list[str]) -> dict[str, Any]:
    """``places``: the town suggestions (``participants.place_suggestions``)."""
    return {
        "form": form,
        "mode": mode,  # "signup" or "edit"
        "action": f"/signup/{form.role}" if mode == "signup" else "/me/edit",
        "switch_form": "participant-form",  # the language switch submits this form
        "places": places,
        "solar_hijri_locales": SOLAR_HIJRI_LOCALES,  # where a birth year may be Solar Hijri
    }
