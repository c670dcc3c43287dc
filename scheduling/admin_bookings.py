"""Admin of bookings: a calendar-like changelist; adding a booking for a project member, approving, rejecting with
a reason and cancelling, each through the booking services (the rules of the portal and the API); never a hard
delete (DESIGN.md 3.4). Every time on these pages is in the site's time zone, the title included.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ServiceAdmin
from core.errors import DomainError
from scheduling.choices import BookingStatus, CancelReason
from scheduling.models import Booking, Membership, Project
from scheduling.selectors import backend_time_zone_get
from scheduling.services import booking_approve, booking_cancel, booking_cancel_preview, booking_create, booking_reject

ADD_FIELDS = ["backend", "project", "user", "starts_at", "ends_at", "purpose", "override_policy"]
RECORD_FIELDS = [
    "backend",
    "project",
    "user",
    "allocation",
    "starts_at",
    "ends_at",
    "purpose",
    "status",
    "charged_hours",
    "credited_hours",
    "cancelled_at",
    "cancel_reason",
    "rejection_reason",
    "late_cancellation",
    "override_policy",
    "series",
    "approved_by",
    "approved_at",
    "reminder_sent_at",
    "created_by",
    "created_at",
]

RECORD_RELATIONS = [
    "backend",
    "project",
    "user",
    "allocation__project",
    "allocation__backend",
    "approved_by",
    "created_by",
]


def _record_zone(object_id: str) -> tzinfo:
    """The zone of a booking's site (the user's for an id that names no booking: the admin answers that)."""
    found = object_id.isdigit() and (
        Booking.objects.filter(pk=object_id).values_list("backend__site__time_zone", flat=True).first()
    )
    return ZoneInfo(found) if found else timezone.get_current_timezone()


class AwaitingApprovalFilter(admin.SimpleListFilter):
    """The bookings that wait for a decision (the admin index links here with their count)."""

    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("waiting", _("Awaiting approval"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Booking]) -> QuerySet[Booking]:
        return queryset.filter(status=BookingStatus.PENDING) if self.value() == "waiting" else queryset


class MemberSelect(forms.Select):
    """Project members grouped by project; each option carries its project's id, so the form's script can offer
    only the members of the chosen project (the service refuses anyone else anyway: `not_member`)."""

    project_ids: dict[str, int]

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> Any:
        groups = super().optgroups(name, value, attrs)
        for group_name, options, _index in groups:
            for option in options:
                if group_name:
                    option["attrs"]["data-project"] = str(self.project_ids[group_name])
        return groups


class BookingAddForm(forms.ModelForm[Booking]):
    """A booking for a member of an active project; the booking service checks it like any other."""

    user = forms.ChoiceField(label=_("for"), widget=MemberSelect, help_text=_("A member of the project."))

    class Meta:
        model = Booking
        fields = ADD_FIELDS

    zone_name = ""  # set by the admin: the time zone the times are entered in

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        memberships = (
            Membership.objects.filter(project__active=True)
            .select_related("user", "project")
            .order_by("project__code", "role", "user__username")
        )
        self.members: dict[str, User] = {}
        groups: dict[str, list[tuple[str, str]]] = {}
        project_ids: dict[str, int] = {}
        for membership in memberships:
            user = membership.user
            self.members[str(user.pk)] = user
            project_ids[membership.project.code] = membership.project_id
            label = f"{user} ({user.username}, {membership.get_role_display()})"
            groups.setdefault(membership.project.code, []).append((str(user.pk), label))
        member_field = self.fields["user"]
        assert isinstance(member_field, forms.ChoiceField)
        member_field.choices = [("", "---------"), *groups.items()]
        assert isinstance(member_field.widget, MemberSelect)
        member_field.widget.project_ids = project_ids
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)
        project_field.queryset = Project.objects.filter(active=True).order_by("code")
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = gettext("In %(zone)s, the site's time zone.") % {"zone": self.zone_name}
        self.fields["override_policy"].help_text = _(
            "Staff only: skip the slot, length, horizon, past-start and cap rules (history from another system, a "
            "class block). Overlaps and downtime are refused all the same."
        )

    def clean_user(self) -> User:
        user = self.members.get(self.cleaned_data["user"])
        if user is None:
            raise ValidationError(_("Choose a member of an active project."))
        return user


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("E-mailed to the booking's user with the rejection; optional."),
    )


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (CancelReason.USER, _("On the user's behalf (refund rules apply)")),
            (CancelReason.MAINTENANCE, _("For maintenance (always refunded)")),
        ],
        initial=CancelReason.USER,
        widget=forms.RadioSelect,
    )


@admin.register(Booking)
class BookingAdmin(ServiceAdmin):
    """A calendar-like changelist (bookings grouped by day above the list) with approval and cancel actions."""

    change_list_template = "admin/scheduling/booking/change_list.html"
    change_form_template = "admin/scheduling/booking/change_form.html"
    list_display = [
        "starts_at",
        "ends_at",
        "backend",
        "project",
        "user",
        "status",
        "charged_hours",
        "late_cancellation",
    ]
    list_filter = [AwaitingApprovalFilter, "status", "backend", "project"]
    list_select_related = ["backend", "project", "user"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    search_fields = ["project__code", "user__username", "purpose"]
    actions = ["approve_selected", "reject_selected", "cancel_selected"]
    readonly_fields = RECORD_FIELDS

    create_service = staticmethod(booking_create)
    keep_input_on_refusal = True

    class Media:
        js = ["js/admin-booking-form.js"]

    def has_delete_permission(self, request: HttpRequest, obj: Booking | None = None) -> bool:
        return False  # cancelled or rejected, never deleted: no-shows and history stay in the statistics

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Booking | None:
        """The record with everything its page shows, in one query."""
        try:
            booking: Booking = self.get_queryset(request).select_related(*RECORD_RELATIONS).get(pk=int(object_id))
        except (Booking.DoesNotExist, ValueError):
            return None
        return booking

    def get_fields(self, request: HttpRequest, obj: Booking | None = None) -> Any:
        return RECORD_FIELDS if obj is not None else ADD_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Booking | None = None) -> list[str]:
        return RECORD_FIELDS if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = type(
                "BookingAddForm", (BookingAddForm,), {"zone_name": str(timezone.get_current_timezone())}
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        assert isinstance(request.user, User)
        return {**super().service_fields(request, form, change), "created_by": request.user}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:  # a booking's record is read-only: it changes through the actions
            super().save_model(request, obj, form, change)

    # Every page in the site's time zone: rendered while it is active (TemplateResponses render late otherwise).

    def _in_zone(self, zone: tzinfo, view: Callable[[], HttpResponse]) -> HttpResponse:
        with timezone.override(zone):
            response = view()
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.render()
        return response

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        def view() -> HttpResponse:
            response = super(BookingAdmin, self).changelist_view(request, extra_context)
            if isinstance(response, TemplateResponse) and response.context_data and "cl" in response.context_data:
                rows = list(response.context_data["cl"].result_list)
                response.context_data["calendar_days"] = [
                    (day, list(items))
                    for day, items in itertools.groupby(rows, key=lambda b: timezone.localtime(b.starts_at).date())
                ]
                response.context_data["time_zone"] = timezone.get_current_timezone_name()
            return response

        return self._in_zone(backend_time_zone_get(), view)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "show_save_and_add_another": False}
        if object_id is not None:  # a record: read-only, in its own site's zone
            extra |= {"show_save": False, "show_save_and_continue": False}
        zone = backend_time_zone_get() if object_id is None else _record_zone(object_id)
        extra["time_zone"] = str(zone)
        return self._in_zone(
            zone, lambda: super(BookingAdmin, self).changeform_view(request, object_id, form_url, extra)
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        zone = _record_zone(object_id)
        return self._in_zone(zone, lambda: super(BookingAdmin, self).history_view(request, object_id, extra_context))

    # Actions: each booking through its service; a refusal is a message and leaves that booking unchanged.

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Booking], step: Callable[[Booking], object], done: str
    ) -> None:
        count = 0
        for booking in queryset.select_related("backend", "project", "user"):
            try:
                step(booking)
            except (DomainError, PermissionDenied, ValidationError) as exc:
                text = exc.detail if isinstance(exc, DomainError) else "; ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"#{booking.pk}: {text}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[Booking],
        form: forms.Form,
        *,
        action: str,
        title: str,
        button: str,
    ) -> TemplateResponse:
        """The small intermediate page of an action that asks for something (a reason) before it runs."""
        bookings = list(queryset.select_related("backend", "backend__policy", "project", "user"))
        rows = [(b, booking_cancel_preview(booking=b)) for b in bookings]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "rows": rows,
            "form": form,
            "action": action,
            "button": button,
            "time_zone": timezone.get_current_timezone_name(),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/scheduling/booking/action_confirmation.html", context)

    @admin.action(description=_("Approve selected pending bookings"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        assert isinstance(request.user, User)
        by = request.user
        self._each(
            request, queryset, lambda b: booking_approve(booking=b, by=by), gettext("Approved %(count)d booking(s).")
        )

    @admin.action(description=_("Reject selected pending bookings…"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> TemplateResponse | None:
        assert isinstance(request.user, User)
        by = request.user
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._confirm(
                request,
                queryset,
                form,
                action="reject_selected",
                title=gettext("Reject bookings"),
                button=gettext("Reject"),
            )
        reason = form.cleaned_data["reason"]
        self._each(
            request,
            queryset,
            lambda b: booking_reject(booking=b, by=by, reason=reason),
            gettext("Rejected %(count)d booking(s); their users were e-mailed."),
        )
        return None

    @admin.action(description=_("Cancel selected bookings…"), permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> TemplateResponse | None:
        assert isinstance(request.user, User)
        by = request.user
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._confirm(
                request,
                queryset,
                form,
                action="cancel_selected",
                title=gettext("Cancel bookings"),
                button=gettext("Cancel bookings"),
            )
        reason = form.cleaned_data["reason"]
        self._each(
            request,
            queryset,
            lambda b: booking_cancel(booking=b, by=by, reason=reason),
            gettext("Cancelled %(count)d booking(s)."),
        )
        return None
