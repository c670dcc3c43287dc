"""Reads of the reports app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from reports.models import Report


def user_sees_all_reports(user: User) -> bool:
    """Staff with the view permission see every report; everyone else only their own."""
    return user.is_active and user.is_staff and user.has_perm("reports.view_report")


def report_list(*, user: User, kind: str | None = None, status: str | None = None) -> QuerySet[Report]:
    """Reports the user may see, newest first, without their (possibly large) snapshots."""
    reports = Report.objects.select_related("requester").defer("snapshot")
    if not user_sees_all_reports(user):
        reports = reports.filter(requester=user)
    if kind:
        reports = reports.filter(kind=kind)
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("-created_at", "-pk")


def report_get(*, user: User, report_id: int) -> Report:
    """One report the user may see; 404 for others' reports, as for any object outside the user's reach."""
    reports = Report.objects.select_related("requester")
    if not user_sees_all_reports(user):
        reports = reports.filter(requester=user)
    try:
        return reports.get(pk=report_id)
    except Report.DoesNotExist:
        raise Http404 from None
