"""Portal forms: they parse and validate input only; the scheduling services apply the domain rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from scheduling.models import MAX_SHOTS, Backend, Booking, BookingPolicy, Project
from scheduling.services.bookings.series import MAX_SERIES_OCCURRENCES

BELL_CIRCUIT = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class AccessibleFormMixin:
    """Tie every field to its help text and errors (aria-describedby) and flag invalid ones (aria-invalid)."""

    fields: dict[str, forms.Field]
    auto_id: str | bool

    def mark_fields(self, errors: Iterable[str]) -> None:
        invalid = set(errors)
        for name, field in self.fields.items():
            field_id = f"id_{name}"
            described = []
            if field.help_text:
                described.append(f"{field_id}_helptext")
            if name in invalid:
                described.append(f"{field_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
            else:
                field.widget.attrs.pop("aria-describedby", None)


def duration_label(minutes: int) -> str:
    """`45 min`, `1 h`, `1 h 30 min` (translated)."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": rest}
    text = ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    if rest:
        text += " " + ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": rest}
    return text


def duration_choices(policy: BookingPolicy | None) -> list[tuple[int, str]]:
    """Every allowed length: multiples of the slot from the shortest to the longest booking."""
    slot, low, high = (policy.slot_minutes, policy.min_minutes, policy.max_minutes) if policy else (15, 15, 240)
    return [(m, duration_label(m)) for m in range(low, high + 1, slot) if m % slot == 0]


class BookingForm(AccessibleFormMixin, forms.Form):
    """Pick a backend, project, start and length; the service decides whether the slot can be booked."""

    backend = forms.ModelChoiceField(queryset=Backend.objects.none(), label=_("Backend"), empty_label=None)
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("Project"), empty_label=None)
    start = forms.DateTimeField(
        label=_("Start"),
        input_formats=[DATETIME_LOCAL_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 900}, format=DATETIME_LOCAL_FORMAT),
        help_text=_("In your time zone. Starts on a quarter hour."),
    )
    duration = forms.TypedChoiceField(label=_("Length"), coerce=int, choices=())
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=500,
        help_text=_("What you plan to run; shown only to your project and the facility staff."),
    )

    repeat = forms.ChoiceField(
        label=_("Repeat"),
        required=False,
        choices=[("", _("Does not repeat")), ("daily", _("Every day")), ("weekly", _("Every week"))],
    )
    count = forms.IntegerField(
        label=_("Number of bookings"),
        required=False,
        min_value=1,
        max_value=MAX_SERIES_OCCURRENCES,
        help_text=_("The first one included."),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day of the series."),
    )

    def __init__(
        self,
        *args: Any,
        backends: QuerySet[Backend],
        projects: QuerySet[Project],
        policy: BookingPolicy | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        backend_field = self.fields["backend"]
        project_field = self.fields["project"]
        duration_field = self.fields["duration"]
        assert isinstance(backend_field, forms.ModelChoiceField)
        assert isinstance(project_field, forms.ModelChoiceField)
        assert isinstance(duration_field, forms.TypedChoiceField)
        backend_field.queryset = backends
        project_field.queryset = projects
        duration_field.choices = duration_choices(policy)
        self.mark_fields(())

    def clean(self) -> dict[str, Any]:
        """A series needs a count or an end date on or after its first day; without `repeat` both are ignored."""
        data = super().clean() or {}
        if not data.get("repeat"):
            data["count"] = data["until"] = None
            return data
        if data.get("count") is None and data.get("until") is None and "count" not in self.errors:
            self.add_error("count", _("Give the number of bookings or the last day."))
        start, until = data.get("start"), data.get("until")
        if start is not None and until is not None and until < timezone.localtime(start).date():
            self.add_error("until", _("The series ends before its first booking."))
        return data

    @property
    def is_series(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("repeat"))

    @property
    def repeat_label(self) -> str:
        """The chosen repeat in words (`Every week`)."""
        labels = {"daily": _("Every day"), "weekly": _("Every week")}
        return str(labels.get(getattr(self, "cleaned_data", {}).get("repeat", ""), ""))

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:
            self.mark_fields(self.errors)


class JobForm(AccessibleFormMixin, forms.Form):
    """A circuit to run: the project, the booking it runs in, the OpenQASM source and the shots."""

    backend = forms.ModelChoiceField(queryset=Backend.objects.none(), label=_("Backend"), empty_label=None)
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("Project"), empty_label=None)
    booking = forms.ModelChoiceField(
        queryset=Booking.objects.none(),
        label=_("Booking"),
        required=False,
        empty_label=_("Automatic: the booking in progress, or the next one"),
        help_text=_("The job runs when this booking is in progress."),
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    qasm = forms.CharField(
        label=_("OpenQASM circuit"),
        initial=BELL_CIRCUIT,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_("OpenQASM 2.0 or 3. At most 5 qubits; measure at least one qubit."),
    )
    shots = forms.IntegerField(label=_("Shots"), min_value=1, max_value=MAX_SHOTS, initial=1000)
    seed = forms.IntegerField(
        label=_("Seed"), required=False, min_value=0, help_text=_("The same seed gives the same counts.")
    )

    def __init__(
        self,
        *args: Any,
        backends: QuerySet[Backend],
        projects: QuerySet[Project],
        bookings: QuerySet[Booking],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.bookings = bookings
        for name, queryset in (("backend", backends), ("project", projects), ("booking", bookings)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        self.fields["booking"].label_from_instance = self.booking_label  # type: ignore[attr-defined]
        self.mark_fields(())

    @staticmethod
    def booking_label(booking: Booking) -> str:
        start = timezone.localtime(booking.starts_at)
        end = timezone.localtime(booking.ends_at)
        return f"{booking.project.code} · {date_format(start, 'D Y-m-d H:i')}\u2013{date_format(end, 'H:i')}"

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:
            self.mark_fields(self.errors)
