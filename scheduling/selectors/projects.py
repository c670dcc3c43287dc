"""Reads of projects and allocations, with allocation usage computed in SQL."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from scheduling.models import Allocation, Backend, Booking, Membership, Project

HOURS: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)


def project_list_for_user(user: User) -> QuerySet[Project]:
    """Projects the user may see (staff: all; researchers: those they are members of), members prefetched."""
    qs = Project.objects.select_related("institution", "pi").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("pk"))
    )
    if not (user.is_staff and user.has_perm("scheduling.view_project")):
        qs = qs.filter(memberships__user=user)
    return qs.order_by("code")


def project_members_manageable(*, project: Project, by: User) -> bool:
    """Whether `by` may change the project's members: its PI, or staff who may change projects."""
    return project.pi_id == by.pk or (by.is_staff and by.has_perm("scheduling.change_project"))


def allocation_list_with_usage(
    queryset: QuerySet[Allocation] | None = None,
    *,
    project: Project | None = None,
    backend: Backend | None = None,
    on: datetime.date | None = None,
) -> QuerySet[Allocation]:
    """Allocations annotated with `charged_hours` (what their bookings hold) and `remaining_hours`, in SQL."""
    qs = queryset if queryset is not None else Allocation.objects.all()
    if project is not None:
        qs = qs.filter(project=project)
    if backend is not None:
        qs = qs.filter(backend=backend)
    if on is not None:
        qs = qs.filter(valid_from__lte=on, valid_until__gte=on)
    charged = (
        Booking.objects.filter(allocation=OuterRef("pk"))
        .order_by()
        .values("allocation")
        .annotate(total=Sum("charged_hours"))
        .values("total")
    )
    return qs.select_related("project", "backend").annotate(
        charged_hours=Coalesce(Subquery(charged, output_field=HOURS), Value(Decimal("0")), output_field=HOURS),
        remaining_hours=F("hours") - F("charged_hours"),
    )


def allocation_list_for_user(user: User) -> QuerySet[Allocation]:
    """Allocations of the projects the user may see, with usage."""
    qs = Allocation.objects.all()
    if not (user.is_staff and user.has_perm("scheduling.view_allocation")):
        qs = qs.filter(project__memberships__user=user)
    return allocation_list_with_usage(qs).order_by("project__code", "-valid_from", "pk")
