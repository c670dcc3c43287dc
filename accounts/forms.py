"""Portal forms of the accounts app: they parse input only; accounts' services change the user."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Language
from core.validators import validate_time_zone


@cache
def time_zone_names() -> list[str]:
    """Every IANA time zone name, sorted: the searchable list of the profile's time zone field."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


class ProfileForm(forms.Form):
    """Name, time zone (typed with suggestions from a `<datalist>`: searchable without any script) and language."""

    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("Start typing a city or region, e.g. Seoul or Helsinki, and pick from the list."),
        widget=forms.TextInput(
            attrs={
                "list": "time-zones",
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-describedby": "id_time_zone_helptext",
            }
        ),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
