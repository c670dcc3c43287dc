"""Admin for reports: request one (kind + parameters), follow its status, download its files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reports.access import report_kinds_requestable, report_visible_q
from reports.choices import ReportFormat, ReportKind
from reports.models import Report
from reports.services import report_kind_clean, report_request


class ReportRequestForm(forms.ModelForm[Report]):
    """Kind and parameters (JSON); validated by the kind itself before anything is queued."""

    kind = forms.ChoiceField(label=_("kind"), choices=ReportKind.choices)
    params = forms.JSONField(
        label=_("parameters"),
        initial=dict,
        required=False,
        help_text=_('e.g. {"backend": 1, "start": "2026-03-01", "end": "2026-04-01"} for utilization.'),
    )
    email_to = forms.CharField(
        label=_("e-mail the PDF to"), required=False, help_text=_("Comma-separated addresses; optional.")
    )

    class Meta:
        model = Report
        fields = ["kind", "params"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self, "user", None)
        if isinstance(user, User):  # offer only the kinds of the user's area; clean() checks the parameters too
            allowed = report_kinds_requestable(user)
            kind_field = self.fields["kind"]
            assert isinstance(kind_field, forms.ChoiceField)
            kind_field.choices = [(k, label) for k, label in ReportKind.choices if k in allowed]

    def clean_email_to(self) -> list[str]:
        addresses = [a.strip() for a in (self.cleaned_data.get("email_to") or "").split(",") if a.strip()]
        for address in addresses:
            forms.EmailField().clean(address)
        return addresses

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind:
            try:
                spec, params = report_kind_clean(kind=kind, params=cleaned.get("params") or {})
            except ValidationError as exc:
                messages = [
                    f"{field}: {m}" if field != "__all__" else m
                    for field, msgs in exc.message_dict.items()
                    for m in msgs
                ]
                raise ValidationError({"params": messages}) from exc
            user = getattr(self, "user", None)
            if isinstance(user, User) and not spec.can_request(user, params):
                raise ValidationError(_("You may not request this report."))
        return cleaned


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    list_display = ["id", "kind", "status", "progress", "requester", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["requester"]
    search_fields = ["requester__username", "error"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "params",
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
        "downloads",  # through the permission-checked download: the stored files are not served from /media/
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        """Only the reports of the user's area, and their own (reports.access), as in the API."""
        user = request.user
        assert isinstance(user, User)
        return super().get_queryset(request).filter(report_visible_q(user)).defer("snapshot")

    def get_form(self, request: HttpRequest, obj: Report | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ReportRequestForm
            kwargs["fields"] = ["kind", "params"]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})  # the form checks who may request what

    def get_fields(self, request: HttpRequest, obj: Report | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("kind", "params", "email_to")
        return tuple(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Report | None = None) -> list[str]:
        return list(self.readonly_fields) if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False  # a report is a record of a computation: it is never edited

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Report, form: Any, change: bool) -> None:
        """Hand the request to the service, which validates again, stores the row and queues the task."""
        user = request.user
        assert isinstance(user, User)
        report = report_request(
            kind=form.cleaned_data["kind"],
            params=form.cleaned_data.get("params") or {},
            requester=user,
            email_to=form.cleaned_data.get("email_to") or [],
        )
        obj.pk = report.pk
        obj.kind = report.kind
        obj.params = report.params
        obj.created_at = report.created_at

    @admin.display(description=_("downloads"))
    def downloads(self, obj: Report) -> str:
        if not obj.is_ready:
            return str(_("Available when the report has succeeded."))
        path = reverse("reports:report-download", kwargs={"pk": obj.pk})
        return format_html_join(
            " · ", '<a href="{}?format={}">{}</a>', ((path, fmt, label) for fmt, label in ReportFormat.choices)
        )
