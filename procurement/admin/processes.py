"""The contracting process: its fields, its stage records inline, its next steps, releases and history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import refusal_text
from core.errors import DomainError
from procurement import selectors, services
from procurement.admin.common import (
    MoneyFormField,
    ProcurementAdmin,
    ProcurementForm,
    add_url,
    form_errors_text,
    published_at_field,
    request_user,
)
from procurement.choices import ProcessStatus
from procurement.models import Amendment, Award, Contract, ContractingProcess, Document, Tender
from procurement.services.workflow import NUMBER_FIELDS, TERMINAL

S = ProcessStatus


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    """Stage records shown on the process page; each changes on its own page, through its service."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenderInline(ReadOnlyInline):
    model = Tender
    fields = readonly_fields = ("title", "status", "tender_start", "tender_end", "published_at")


class AwardInline(ReadOnlyInline):
    model = Award
    fields = readonly_fields = ("title", "status", "date", "value")


class ContractInline(ReadOnlyInline):
    model = Contract
    fields = readonly_fields = ("number", "title", "status", "signed_on", "value")


class AmendmentInline(ReadOnlyInline):
    model = Amendment
    fields = readonly_fields = ("date", "tender", "contract", "rationale", "release_id")


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = readonly_fields = ("title", "stage", "document_type", "media_type", "size", "sha256", "supersedes")


class ProcessForm(ProcurementForm):
    money_fields = {"budget": "budget"}
    budget = MoneyFormField(label=_("budget"), required=False)

    class Meta:
        model = ContractingProcess
        fields = ["title", "description", "buyer", "procuring_entity", "main_category", "method", "method_details"]
        fields += ["foreign_procurement", "international_tender", *NUMBER_FIELDS.values()]
        fields += ["fiscal_year", "funding_source", "project_name", "notes"]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ProcessStatus.choices)
    note = forms.CharField(max_length=1000, required=False)
    published_at = published_at_field()


@admin.register(ContractingProcess)
class ContractingProcessAdmin(ProcurementAdmin):
    form = ProcessForm
    change_form_template = "admin/procurement/contractingprocess/change_form.html"
    list_display = ["ocid", "title", "status", "buyer", "procuring_entity", "budget"]
    list_filter = ["status", "main_category", "method", "foreign_procurement"]
    search_fields = ["ocid", "title", "notice_number", "contract_number"]
    list_select_related = ["buyer", "procuring_entity"]
    autocomplete_fields = ["buyer", "procuring_entity"]
    readonly_fields = ["ocid", "status"]
    inlines = [TenderInline, AwardInline, ContractInline, AmendmentInline, DocumentInline]
    fieldsets = [
        (None, {"fields": ["ocid", "status", "title", "description", "buyer", "procuring_entity"]}),
        (
            _("Method"),
            {"fields": ["main_category", "method", "method_details", "foreign_procurement", "international_tender"]},
        ),
        (_("Process numbers"), {"fields": list(NUMBER_FIELDS.values())}),
        (_("Budget"), {"fields": ["budget", "fiscal_year", "funding_source", "project_name", "notes"]}),
        (_("Publication"), {"fields": ["first_published_at"]}),
    ]
    create_service = staticmethod(services.process_create)
    update_service = staticmethod(services.process_update)
    instance_kwarg = "process"
    service_keys = (*ProcessForm.Meta.fields, "budget")

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        fields = super().service_fields(request, form, change)
        numbers = {key: fields.pop(column) for key, column in NUMBER_FIELDS.items() if column in fields}
        return {**fields, "numbers": numbers} if numbers else fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []  # a new process has no stage records yet

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status in TERMINAL:
            return [*self.service_keys, "ocid", "status"]
        return super().get_readonly_fields(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status in TERMINAL:
            return self.fieldsets[:-1]  # nothing to publish on a closed process
        return self.fieldsets

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.transition_view)
        return [
            path("<int:object_id>/transition/", view, name="procurement_contractingprocess_transition"),
            *super().get_urls(),
        ]

    def transition_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """POST `to` (and a note and the date of first publication): one workflow step through its service."""
        process = get_object_or_404(ContractingProcess, pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, process):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse("admin:procurement_contractingprocess_change", args=[object_id]))
        form = TransitionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, form_errors_text(form), messages.ERROR)
            return back
        data = form.cleaned_data
        try:
            services.process_transition(
                process=process,
                to=data["to"],
                user=request_user(request),
                note=data["note"],
                published_at=data["published_at"],
            )
        except (DomainError, ValidationError) as exc:
            self.message_user(request, refusal_text(exc), messages.ERROR)
        else:
            label = ProcessStatus(data["to"]).label
            self.message_user(request, gettext("The process moved to %(to)s.") % {"to": label}, messages.SUCCESS)
        return back

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        process = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if process is not None:
            extra.update(
                {
                    "next_steps": [
                        (to, ProcessStatus(to).label, reason)
                        for to, reason in services.process_transitions_next(process)
                    ],
                    "transition_form": TransitionForm(),
                    "transition_url": reverse("admin:procurement_contractingprocess_transition", args=[process.pk]),
                    "record_links": _record_links(process),
                    "releases": selectors.release_list(process=process),
                    "history": selectors.process_history_list(process=process),
                    "summary": next(iter(selectors.procurement_summary(process_ids=[process.pk])), None),
                    "chain_ok": services.release_chain_verify(process=process),
                }
            )
        return super().change_view(request, object_id, form_url, extra)


def _record_links(process: ContractingProcess) -> list[tuple[str, str]]:
    """What the officer can record at this stage: (label, add page prefilled with the process)."""
    status = process.status
    links: list[tuple[str, str]] = []
    if status == S.PLANNING and not Tender.objects.filter(process=process).exists():
        links.append((gettext("Record the tender"), add_url("tender", process=process.pk)))
    if status in (S.TENDER, S.EVALUATION):
        links.append((gettext("Record a bid"), add_url("bid")))
    if status == S.EVALUATION:
        links.append((gettext("Record an award"), add_url("award", process=process.pk)))
    if status in (S.AWARDED, S.CONTRACTED):
        links.append((gettext("Record a contract"), add_url("contract")))
    if status in (S.AWARDED, S.CONTRACTED, S.IMPLEMENTATION):
        links.append((gettext("Add a milestone"), add_url("milestone")))
    if status in (S.CONTRACTED, S.IMPLEMENTATION):
        links.append((gettext("Record a payment"), add_url("payment")))
    if status not in TERMINAL:
        links.append((gettext("Add an amendment"), add_url("amendment")))
        links.append((gettext("Upload a document"), add_url("document", process=process.pk)))
    return links
