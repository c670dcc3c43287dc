"""Admin for reports: request one with real fields (kind, backend or project, period, time zone) through the report
service, follow its status, download its files through the permission-checked download."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ServiceAdmin
from facility.models import RegionalOffice
from reports.access import report_kinds_requestable, report_visible_q
from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.kinds import REGISTRY
from reports.models import Report
from reports.services import report_kind_clean, report_request
from scheduling.models import Backend, Project
from scheduling.selectors import backend_time_zone_get

# The form's fields that are parameters of some kind; each kind takes those its own form declares.
PARAM_FIELDS = ("backend", "project", "office", "start", "end", "time_zone")


@cache
def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


def kind_fields() -> dict[str, list[str]]:
    """kind -> the parameters it takes (what the form's script shows for it)."""
    return {kind: [f for f in PARAM_FIELDS if f in spec.form_class.base_fields] for kind, spec in REGISTRY.items()}


class ReportRequestForm(forms.ModelForm[Report]):
    """A report request: the kind and its parameters as fields, validated as the API validates them."""

    kind = forms.ChoiceField(label=_("kind"), choices=ReportKind.choices)
    backend = forms.ModelChoiceField(
        label=_("backend"), queryset=Backend.objects.select_related("site").order_by("name"), required=False
    )
    project = forms.ModelChoiceField(label=_("project"), queryset=Project.objects.order_by("code"), required=False)
    office = forms.ModelChoiceField(
        label=_("regional office"),
        queryset=RegionalOffice.objects.order_by("name"),
        required=False,
        help_text=_("Empty: every office."),
    )
    start = forms.DateField(label=_("first day"), widget=AdminDateWidget, required=False)
    end = forms.DateField(
        label=_("end (exclusive)"),
        widget=AdminDateWidget,
        required=False,
        help_text=_("The day after the last day: 2026-03-01 to 2026-04-01 is March."),
    )
    time_zone = forms.ChoiceField(
        label=_("time zone"),
        required=False,
        help_text=_("Days start at local midnight here; the site's by default."),
    )
    email_to = forms.CharField(
        label=_("e-mail the PDF to"), required=False, help_text=_("Comma-separated addresses; optional.")
    )

    class Meta:
        model = Report
        fields = ["kind"]

    user: User | None = None  # set by the admin: who asks (the kinds offered, the permission checked)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        if self.user is not None:  # offer only the kinds of the user's area
            allowed = report_kinds_requestable(self.user)
            kind_field.choices = [(k, label) for k, label in ReportKind.choices if k in allowed]
        kind_field.widget.attrs["data-kind-fields"] = json.dumps(kind_fields())
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = _zone_choices()
        zone_field.initial = str(backend_time_zone_get())

    def clean_email_to(self) -> list[str]:
        addresses = [a.strip() for a in (self.cleaned_data.get("email_to") or "").split(",") if a.strip()]
        for address in addresses:
            forms.EmailField().clean(address)
        return addresses

    def params(self) -> dict[str, Any]:
        """The kind's parameters from the fields it takes (a model as its id, a date as ISO 8601)."""
        spec = REGISTRY[self.cleaned_data["kind"]]
        params: dict[str, Any] = {}
        for name in PARAM_FIELDS:
            value = self.cleaned_data.get(name)
            if name not in spec.form_class.base_fields or value in (None, ""):
                continue
            params[name] = (
                value.pk if isinstance(value, Model) else value.isoformat() if isinstance(value, dt.date) else value
            )
        return params

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if not kind or self.errors:
            return cleaned
        try:  # the check the API makes (report_request makes it again when it saves)
            spec, params = report_kind_clean(kind=kind, params=self.params())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in PARAM_FIELDS else None, messages)
            return cleaned
        if self.user is not None and not spec.can_request(self.user, params):
            raise ValidationError(_("You may not request this report."))
        return cleaned


@admin.register(Report)
class ReportAdmin(ServiceAdmin):
    list_display = ["id", "kind", "period", "status", "progress", "requester", "created_at", "download_links"]
    list_filter = ["kind", "status"]
    list_select_related = ["requester"]
    search_fields = ["requester__username", "error"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "params",
        "period",
        "requester",
        "status",
        "progress",
        "error",
        "email_to",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "delivered_at",
        "download_links",  # through the permission-checked download: the stored files are not served from /media/
    ]
    add_fields = ["kind", "backend", "project", "office", "start", "end", "time_zone", "email_to"]

    create_service = staticmethod(report_request)
    keep_input_on_refusal = True

    class Media:
        js = ["js/admin-report-form.js"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        """Only the reports of the user's area, and their own (reports.access), as in the API."""
        user = request.user
        assert isinstance(user, User)
        return super().get_queryset(request).filter(report_visible_q(user)).defer("snapshot")

    def get_form(self, request: HttpRequest, obj: Report | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = type("ReportRequestForm", (ReportRequestForm,), {"user": request.user})
            kwargs["fields"] = ["kind"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Report | None = None) -> Any:
        return self.add_fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Report | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False  # a report is a record of a computation: it is never edited

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        """The request as the API makes it: kind, parameters, who asks, who gets the PDF."""
        assert isinstance(request.user, User)
        return {
            "kind": form.cleaned_data["kind"],
            "params": form.params(),
            "requester": request.user,
            "email_to": form.cleaned_data.get("email_to") or [],
        }

    @admin.display(description=_("period"))
    def period(self, obj: Report) -> str:
        params = obj.params or {}
        if not params.get("start"):
            return "-"
        return f"{params['start']} \u2013 {params.get('end', '')}"  # an en dash: the end is exclusive

    @admin.display(description=_("downloads"))
    def download_links(self, obj: Report) -> str:
        if obj.status != ReportStatus.SUCCEEDED:  # (not `is_ready`: the list does not load the snapshots)
            return format_html('<span class="quiet">{}</span>', gettext("when it has succeeded"))
        path = reverse("reports:report-download", kwargs={"pk": obj.pk})
        return format_html_join(
            " · ", '<a href="{}?format={}">{}</a>', ((path, fmt, label) for fmt, label in ReportFormat.choices)
        )
