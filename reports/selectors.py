"""Reads of the reports app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from reports.access import report_visible_q
from reports.models import Report


def report_list_visible(*, user: User) -> QuerySet[Report]:
    """Every report the user may see (reports.access): their own and those of the kinds their area covers."""
    return Report.objects.filter(report_visible_q(user))


def report_list(*, user: User, kind: str | None = None, status: str | None = None) -> QuerySet[Report]:
    """Reports the user may see, newest first, without their (possibly large) snapshots.

    A `kind` outside the user's area is a filter like any other, not a refusal: it lists their own reports of it.
    """
    reports = report_list_visible(user=user).select_related("requester").defer("snapshot")
    if kind:
        reports = reports.filter(kind=kind)
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("-created_at", "-pk")


def report_get(*, user: User, report_id: int) -> Report:
    """One report the user may see; 404 for a report outside the user's area, as for any object out of reach."""
    reports = report_list_visible(user=user).select_related("requester")
    try:
        return reports.get(pk=report_id)
    except Report.DoesNotExist:
        raise Http404 from None
