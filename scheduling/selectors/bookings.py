"""Reads of bookings: what a user may see, what overlaps an interval, what blocks it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, IntegerField, Q, QuerySet, Value

from accounts.models import User
from scheduling.choices import ACTIVE_BOOKING_STATUSES
from scheduling.models import Backend, Booking, MaintenanceWindow, Membership, Outage
from scheduling.selectors.common import OUTAGE_LOOKAHEAD, iso_z


@dataclass(frozen=True)
class Conflict:
    """Something that holds part of an interval: another booking, a maintenance window or an outage."""

    start: datetime.datetime
    end: datetime.datetime | None  # None: an ongoing outage
    kind: str  # booking | maintenance | outage

    def as_dict(self) -> dict[str, Any]:
        return {"start": iso_z(self.start), "end": iso_z(self.end), "kind": self.kind}


def booking_approver_list() -> QuerySet[User]:
    """Active staff with an e-mail address who may approve bookings (`scheduling.change_booking`, held directly,
    through a group, or as superuser)."""
    holds = {"content_type__app_label": "scheduling", "codename": "change_booking"}
    may_approve = (
        Q(is_superuser=True)
        | Q(**{f"user_permissions__{k}": v for k, v in holds.items()})
        | Q(**{f"groups__permissions__{k}": v for k, v in holds.items()})
    )
    return User.objects.filter(may_approve, is_active=True, is_staff=True).exclude(email="").distinct().order_by("pk")


def _booking_base() -> QuerySet[Booking]:
    return Booking.objects.select_related("backend", "project", "user")


def booking_list_for_user(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Booking]:
    """Bookings the user may see (staff: all; researchers: their projects'), newest start last.

    `filters` keys: backend, project, status, start_after, start_before, mine.
    """
    qs = _booking_base()
    # Staff outside scheduling (procurement, office) have no view permission: they see their own projects only.
    if not (user.is_staff and user.has_perm("scheduling.view_booking")):
        # Their projects' bookings, and their own anywhere (a former member keeps their history).
        qs = qs.filter(Q(project__in=Membership.objects.filter(user=user).values("project_id")) | Q(user=user))
    filters = filters or {}
    if filters.get("backend") is not None:
        qs = qs.filter(backend=filters["backend"])
    if filters.get("project") is not None:
        qs = qs.filter(project=filters["project"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("start_after") is not None:
        qs = qs.filter(starts_at__gte=filters["start_after"])
    if filters.get("start_before") is not None:
        qs = qs.filter(starts_at__lt=filters["start_before"])
    if filters.get("mine"):
        qs = qs.filter(user=user)
    return qs.order_by("starts_at", "pk")


def booking_get_for_user(*, user: User, pk: int) -> Booking | None:
    """One booking if the user may see it, else None (the API answers 404)."""
    return booking_list_for_user(user=user).filter(pk=pk).first()


def booking_list_overlapping(
    *,
    backend: Backend,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    statuses: tuple[str, ...] = ACTIVE_BOOKING_STATUSES,
) -> QuerySet[Booking]:
    """Bookings of the backend in `statuses` that overlap `[starts_at, ends_at)`."""
    return (
        _booking_base()
        .filter(backend=backend, status__in=statuses, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at", "pk")
    )


def booking_conflict_list(
    *,
    backend: Backend,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
    exclude_booking: int | None = None,
) -> list[Conflict]:
    """Every booking, maintenance window and outage that blocks `[starts_at, ends_at)` on the backend.

    An ongoing outage blocks bookings that start within the next hour.
    """
    bookings = Booking.objects.filter(
        backend=backend, status__in=ACTIVE_BOOKING_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_booking is not None:
        bookings = bookings.exclude(pk=exclude_booking)
    windows = MaintenanceWindow.objects.filter(backend=backend, starts_at__lt=ends_at, ends_at__gt=starts_at)
    outage_q = Q(ends_at__isnull=False, ends_at__gt=starts_at)
    if starts_at < now + OUTAGE_LOOKAHEAD:
        outage_q |= Q(ends_at__isnull=True)
    outages = Outage.objects.filter(outage_q, backend=backend, starts_at__lt=ends_at)

    def rows(queryset: QuerySet[Any], kind: str, rank: int) -> QuerySet[Any]:
        annotated: QuerySet[Any] = (
            queryset.order_by()
            .annotate(
                conflict_rank=Value(rank, output_field=IntegerField()),
                conflict_kind=Value(kind, output_field=CharField()),
            )
            .values_list("conflict_rank", "starts_at", "ends_at", "conflict_kind")
        )
        return annotated

    # One query (it runs while the backend row is locked): bookings, then maintenance, then outages, each by start.
    union = rows(bookings, "booking", 0).union(rows(windows, "maintenance", 1), rows(outages, "outage", 2), all=True)
    return [Conflict(start, end, kind) for _rank, start, end, kind in union.order_by("conflict_rank", "starts_at")]
