"""Admin for procurement officers: processes with stage records, workflow buttons, releases and history.

Writes go through the services; nothing here deletes (published records are never hard-deleted).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.errors import DomainError
from procurement import selectors, services
from procurement.models import (
    Amendment,
    Award,
    Bid,
    ChangeRecord,
    Contract,
    ContractingProcess,
    Document,
    ExchangeRate,
    Milestone,
    OcdsRelease,
    Payment,
    Tender,
)


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    """Stage records shown on the process page; they change through their own pages and the services."""

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
    fields = readonly_fields = ("title", "status", "date", "value_display")

    @admin.display(description=_("value"))
    def value_display(self, obj: Award) -> str:
        return str(obj.value)


class ContractInline(ReadOnlyInline):
    model = Contract
    fields = readonly_fields = ("number", "title", "status", "signed_on", "value_display")

    @admin.display(description=_("value"))
    def value_display(self, obj: Contract) -> str:
        return str(obj.value)


class AmendmentInline(ReadOnlyInline):
    model = Amendment
    fields = readonly_fields = ("date", "tender", "contract", "rationale", "release_id")


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = readonly_fields = ("title", "stage", "document_type", "media_type", "size", "sha256", "supersedes")


class NoDeleteAdmin(admin.ModelAdmin[Any]):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContractingProcess)
class ContractingProcessAdmin(NoDeleteAdmin):
    change_form_template = "admin/procurement/contractingprocess/change_form.html"
    list_display = ["ocid", "title", "status", "buyer", "procuring_entity", "budget_display"]
    list_filter = ["status", "main_category", "method", "foreign_procurement"]
    search_fields = ["ocid", "title", "notice_number", "contract_number"]
    list_select_related = ["buyer", "procuring_entity"]
    readonly_fields = ["ocid", "status"]
    inlines = [TenderInline, AwardInline, ContractInline, AmendmentInline, DocumentInline]
    fields = [
        "ocid",
        "status",
        "title",
        "description",
        "buyer",
        "procuring_entity",
        "main_category",
        "method",
        "method_details",
        "foreign_procurement",
        "international_tender",
        ("plan_number", "request_number", "prespec_number"),
        ("notice_number", "notice_order", "contract_number"),
        ("budget_minor", "budget_currency"),
        "fiscal_year",
        "funding_source",
        "project_name",
        "notes",
    ]

    @admin.display(description=_("budget"))
    def budget_display(self, obj: ContractingProcess) -> str:
        return str(obj.budget) if obj.budget is not None else "-"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status in services.workflow.TERMINAL:
            return [f.name for f in obj._meta.fields]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ContractingProcess, form: Any, change: bool) -> None:
        user = request.user if isinstance(request.user, User) else None
        data = {name: form.cleaned_data[name] for name in form.changed_data if name not in ("ocid", "status")}
        if not change:
            fields = {name: form.cleaned_data[name] for name in form.cleaned_data if name not in ("ocid", "status")}
            created = services.process_create(user=user, **fields)
            obj.pk, obj.ocid = created.pk, created.ocid
            return
        saved = ContractingProcess.objects.get(pk=obj.pk)
        services.process_update(process=saved, user=user, **data)

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "<int:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def transition_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """POST `to`: one workflow step through `process_transition`."""
        process = get_object_or_404(ContractingProcess, pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, process):
            raise PermissionDenied
        user = request.user if isinstance(request.user, User) else None
        try:
            services.process_transition(
                process=process, to=request.POST.get("to", ""), user=user, note=request.POST.get("note", "")
            )
        except DomainError as error:
            self.message_user(request, error.detail, messages.ERROR)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, _("The process moved to %(to)s.") % {"to": request.POST["to"]})
        return HttpResponseRedirect(reverse("admin:procurement_contractingprocess_change", args=[object_id]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        process = get_object_or_404(ContractingProcess, pk=object_id)
        extra = extra_context or {}
        extra.update(
            {
                "allowed_transitions": services.process_transitions_allowed(process),
                "transition_url": reverse("admin:procurement_contractingprocess_transition", args=[process.pk]),
                "releases": selectors.release_list(process=process),
                "history": selectors.process_history_list(process=process),
                "summary": next(iter(selectors.procurement_summary(process_ids=[process.pk])), None),
                "chain_ok": services.release_chain_verify(process=process),
            }
        )
        response = super().change_view(request, object_id, form_url, extra)
        assert isinstance(response, TemplateResponse | HttpResponse)
        return response


class ServiceOnlyAdmin(NoDeleteAdmin):
    """Stage records are written by the API and the services; the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tender)
class TenderAdmin(ServiceOnlyAdmin):
    list_display = ["title", "process", "status", "tender_start", "tender_end"]
    list_select_related = ["process"]


@admin.register(Bid)
class BidAdmin(ServiceOnlyAdmin):
    list_display = ["tender", "tenderer", "status", "rank", "submitted_at"]
    list_select_related = ["tender", "tenderer"]


@admin.register(Award)
class AwardAdmin(ServiceOnlyAdmin):
    list_display = ["__str__", "process", "status", "date"]
    list_select_related = ["process"]


@admin.register(Contract)
class ContractAdmin(ServiceOnlyAdmin):
    list_display = ["__str__", "process", "status", "signed_on", "value_display", "krw_paid"]
    list_select_related = ["process"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).prefetch_related("payments")

    @admin.display(description=_("value"))
    def value_display(self, obj: Contract) -> str:
        return str(obj.value)

    @admin.display(description=_("paid (KRW)"))
    def krw_paid(self, obj: Contract) -> str:
        return f"{sum(p.krw_amount_minor for p in obj.payments.all()):,} KRW"


@admin.register(Milestone)
class MilestoneAdmin(ServiceOnlyAdmin):
    list_display = ["title", "contract", "code", "due_date", "date_met", "status"]
    list_select_related = ["contract"]


@admin.register(Payment)
class PaymentAdmin(ServiceOnlyAdmin):
    list_display = ["date", "contract", "value_display", "rate_to_krw", "krw_display"]
    list_select_related = ["contract"]

    @admin.display(description=_("value"))
    def value_display(self, obj: Payment) -> str:
        return str(obj.value)

    @admin.display(description=_("KRW"))
    def krw_display(self, obj: Payment) -> str:
        return str(obj.krw_amount)


@admin.register(Amendment)
class AmendmentAdmin(ServiceOnlyAdmin):
    list_display = ["date", "process", "tender", "contract", "rationale"]
    list_select_related = ["process", "tender", "contract"]


@admin.register(Document)
class DocumentAdmin(ServiceOnlyAdmin):
    list_display = ["title", "process", "stage", "document_type", "media_type", "size"]
    list_select_related = ["process"]


@admin.register(OcdsRelease)
class OcdsReleaseAdmin(ServiceOnlyAdmin):
    list_display = ["release_id", "date", "tags", "sha256"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ServiceOnlyAdmin):
    list_display = ["at", "user", "object_repr", "field", "old", "new"]
    list_select_related = ["user"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(NoDeleteAdmin):
    list_display = ["date", "currency", "rate_to_krw", "source"]
    list_filter = ["currency"]
