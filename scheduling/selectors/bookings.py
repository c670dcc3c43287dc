"""Reads of bookings: what a user may see, what overlaps an interval, what blocks it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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


def _conflict_sql(*, exclude_booking: bool, ongoing_outages: bool, membership: bool = False) -> str:
    """The one query of `booking_conflict_list` (and of `booking_slot_check`, with the membership row), written
    out: it runs on every booking request, and composing the same three-way union through the ORM cost three times
    its round trip."""
    models = (Booking, MaintenanceWindow, Outage, Membership)
    booking, window, outage, member = (connection.ops.quote_name(model._meta.db_table) for model in models)
    statuses = ", ".join(["%s"] * len(ACTIVE_BOOKING_STATUSES))
    ongoing = " OR ends_at IS NULL" if ongoing_outages else ""
    member_row = f" UNION ALL SELECT 3, NULL, NULL, 'member' FROM {member} WHERE project_id = %s AND user_id = %s"  # noqa: S608
    # Table names come from the models and every value is a parameter.
    return (
        f"SELECT 0, starts_at, ends_at, 'booking' FROM {booking} WHERE backend_id = %s AND status IN ({statuses})"  # noqa: S608
        f" AND starts_at < %s AND ends_at > %s{' AND id <> %s' if exclude_booking else ''}"
        f" UNION ALL SELECT 1, starts_at, ends_at, 'maintenance' FROM {window}"
        " WHERE backend_id = %s AND starts_at < %s AND ends_at > %s"
        f" UNION ALL SELECT 2, starts_at, ends_at, 'outage' FROM {outage}"
        f" WHERE backend_id = %s AND starts_at < %s AND ((ends_at IS NOT NULL AND ends_at > %s){ongoing})"
        f"{member_row if membership else ''} ORDER BY 1, 2"
    )


def _as_datetime(value: datetime.datetime | str | None) -> datetime.datetime | None:
    # PostgreSQL answers aware datetimes; SQLite answers the stored text, in UTC.
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a stored datetime: {value!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.UTC)


def _conflict_rows(
    *,
    backend: Backend,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
    exclude_booking: int | None = None,
    member: tuple[int, int] | None = None,
) -> list[tuple[datetime.datetime | None, datetime.datetime | None, str]]:
    # Times as each database stores them (SQLite: naive UTC text), as the ORM would pass them.
    end, start = (connection.ops.adapt_datetimefield_value(moment) for moment in (ends_at, starts_at))
    params: list[Any] = [backend.pk, *ACTIVE_BOOKING_STATUSES, end, start]
    if exclude_booking is not None:
        params.append(exclude_booking)
    params += [backend.pk, end, start, backend.pk, end, start]
    if member is not None:
        params += list(member)
    sql = _conflict_sql(
        exclude_booking=exclude_booking is not None,
        ongoing_outages=starts_at < now + OUTAGE_LOOKAHEAD,
        membership=member is not None,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(_as_datetime(start), _as_datetime(end), kind) for _rank, start, end, kind in rows]


def booking_conflict_list(
    *,
    backend: Backend,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
    exclude_booking: int | None = None,
) -> list[Conflict]:
    """Every booking, maintenance window and outage that blocks `[starts_at, ends_at)` on the backend, in one
    query: bookings, then maintenance, then outages, each by start.

    An ongoing outage blocks bookings that start within the next hour.
    """
    rows = _conflict_rows(
        backend=backend, starts_at=starts_at, ends_at=ends_at, now=now, exclude_booking=exclude_booking
    )
    return [Conflict(start, end, kind) for start, end, kind in rows]  # type: ignore[arg-type]


@dataclass(frozen=True)
class SlotCheck:
    """What a booking request reads before any lock: whether its user is a member of its project, and what holds
    its interval (as `booking_conflict_list` gives it)."""

    member: bool
    conflicts: list[Conflict]


def booking_slot_check(
    *,
    backend: Backend,
    project_id: int,
    user_id: int,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
) -> SlotCheck:
    """The membership of `user_id` in `project_id` and the conflicts of `[starts_at, ends_at)`, in one query."""
    rows = _conflict_rows(backend=backend, starts_at=starts_at, ends_at=ends_at, now=now, member=(project_id, user_id))
    return SlotCheck(
        member=any(kind == "member" for _start, _end, kind in rows),
        conflicts=[Conflict(start, end, kind) for start, end, kind in rows if kind != "member"],  # type: ignore[arg-type]
    )
