"""Admin of the waitlist: who waits for which time and what became of it (read-only; staff take entries off)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.errors import DomainError
from scheduling.models import WaitlistEntry
from scheduling.services.bookings import waitlist_leave


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin[WaitlistEntry]):
    """Who waits for which time, and what became of it; researchers join in the portal or the API, where a
    booking's checks apply. Staff may take waiting entries off the list."""

    list_display = ["starts_at", "ends_at", "backend", "project", "user", "status", "booking", "created_at"]
    list_filter = ["status", "backend"]
    list_select_related = ["backend", "project", "user", "booking__backend", "booking__project"]
    date_hierarchy = "starts_at"
    ordering = ["-created_at"]
    search_fields = ["project__code", "user__username"]
    actions = ["leave_selected"]
    readonly_fields = [
        "backend",
        "project",
        "user",
        "starts_at",
        "ends_at",
        "purpose",
        "status",
        "booking",
        "created_at",
        "closed_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WaitlistEntry | None = None) -> bool:
        return False  # an entry is left, never deleted

    @admin.action(description=_("Take selected waiting entries off the waitlist"), permissions=["change"])
    def leave_selected(self, request: HttpRequest, queryset: QuerySet[WaitlistEntry]) -> None:
        assert isinstance(request.user, User)
        count = 0
        for entry in queryset:
            try:
                waitlist_leave(entry=entry, by=request.user)
            except (DomainError, PermissionDenied) as exc:
                self.message_user(request, f"#{entry.pk}: {exc}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, gettext("Took %(count)d entry(s) off the waitlist.") % {"count": count})
