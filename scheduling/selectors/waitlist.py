"""Reads of the waitlist: what a user may see, and who waits for time that has just freed."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import User
from scheduling.choices import WaitlistStatus
from scheduling.models import WaitlistEntry


def waitlist_list_for_user(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[WaitlistEntry]:
    """Waitlist entries the user may see (staff with the view permission: all; others: their own), oldest first.

    `filters` keys: backend, project, status.
    """
    qs = WaitlistEntry.objects.select_related("backend", "project", "user", "booking")
    if not (user.is_staff and user.has_perm("scheduling.view_waitlistentry")):
        qs = qs.filter(user=user)
    filters = filters or {}
    for key in ("backend", "project", "status"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    return qs.order_by("created_at", "pk")


def waitlist_get_for_user(*, user: User, pk: int) -> WaitlistEntry | None:
    """One entry if the user may see it, else None."""
    return waitlist_list_for_user(user=user).filter(pk=pk).first()


def waitlist_list_mine(*, user: User) -> QuerySet[WaitlistEntry]:
    """The user's own entries for the portal: the waiting ones first, each group by start."""
    waiting_first = Case(
        When(status=WaitlistStatus.WAITING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        WaitlistEntry.objects.select_related("backend", "project", "booking")
        .filter(user=user)
        .annotate(waiting_first=waiting_first)
        .order_by("waiting_first", "starts_at", "pk")
    )


def waitlist_waiting_overlapping(
    *, backend_id: int, starts_at: datetime.datetime, ends_at: datetime.datetime, now: datetime.datetime
) -> list[int]:
    """Ids of the entries still waiting for time overlapping `[starts_at, ends_at)` that has not ended (one query;
    the check every cancellation makes)."""
    return list(
        WaitlistEntry.objects.filter(
            backend=backend_id,
            status=WaitlistStatus.WAITING,
            starts_at__lt=ends_at,
            ends_at__gt=max(starts_at, now),
        ).values_list("pk", flat=True)
    )
