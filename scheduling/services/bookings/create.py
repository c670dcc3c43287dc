"""Booking creation: every rule of DESIGN.md 3.4, checked under a lock on the backend row.

A taken slot is refused before the transaction, from one read of the membership and of what holds the slot: most
refusals under contention are conflicts, and they need neither the transaction nor the lock. A slot found free is
checked again under the lock (and on PostgreSQL backed up by the exclusion constraint)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.db import fields_validate
from core.errors import DomainError
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus
from scheduling.models import Allocation, Backend, Booking, BookingPolicy, Membership, Project
from scheduling.selectors.bookings import booking_conflict_list, booking_slot_check
from scheduling.selectors.common import hours_between, hours_str, on_slot_boundary, slot_floor
from scheduling.selectors.projects import allocation_list_with_usage
from scheduling.services.notifications import booking_notify_on_commit

ZERO = Decimal("0")
EXCLUSION_CONSTRAINT = "booking_no_overlap"


def _policy_violation(rule: str, detail: str) -> DomainError:
    return DomainError(detail, code="policy_violation", rule=rule)


def _booking_conflict_error(conflicts: list[Any]) -> DomainError:
    items = [c.as_dict() for c in conflicts]
    if any(c["kind"] == "booking" for c in items):
        return DomainError(_("The time overlaps another booking."), code="booking_conflict", conflicts=items)
    return DomainError(
        _("The time overlaps maintenance or an outage of the backend."), code="maintenance_conflict", conflicts=items
    )


def _check_policy(
    *,
    policy: BookingPolicy,
    project: Project,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """Every rule of the backend's booking policy: the times' own rules, then the project's cap."""
    _check_policy_times(policy=policy, starts_at=starts_at, ends_at=ends_at, now=now)
    _check_project_cap(policy=policy, project=project, now=now)


def _check_policy_times(
    *, policy: BookingPolicy, starts_at: datetime.datetime, ends_at: datetime.datetime, now: datetime.datetime
) -> None:
    """Slot alignment, length, past start and horizon: rules of the times alone (no query)."""
    slot = policy.slot_minutes
    if not (on_slot_boundary(starts_at, slot) and on_slot_boundary(ends_at, slot)):
        raise _policy_violation(
            "slot_alignment",
            _("Bookings start and end on %(slot)d-minute slot boundaries.") % {"slot": slot},
        )
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    if minutes < policy.min_minutes or minutes > policy.max_minutes:
        raise _policy_violation(
            "length",
            _("A booking lasts from %(min)d to %(max)d minutes.")
            % {"min": policy.min_minutes, "max": policy.max_minutes},
        )
    if starts_at < slot_floor(now, slot):
        raise _policy_violation("past_start", _("A booking cannot start before the current slot."))
    if starts_at > now + datetime.timedelta(days=policy.horizon_days):
        raise _policy_violation(
            "horizon", _("Bookings can be made at most %(days)d days ahead.") % {"days": policy.horizon_days}
        )


def _check_project_cap(*, policy: BookingPolicy, project: Project, now: datetime.datetime) -> None:
    """The project's future bookings on the backend against the policy's cap (one query; under the lock)."""
    future = Booking.objects.filter(
        project=project, backend=policy.backend_id, status__in=ACTIVE_BOOKING_STATUSES, ends_at__gt=now
    ).count()
    if future >= policy.max_future_bookings:
        raise _policy_violation(
            "max_future_bookings",
            _("A project may hold at most %(cap)d future bookings on a backend.") % {"cap": policy.max_future_bookings},
        )


def _choose_allocation(
    *, backend: Backend, project: Project, starts_at: datetime.datetime, hours: Decimal
) -> Allocation:
    """The project's allocation on the backend valid at the start (site's local date) with enough hours left."""
    local_day = timezone.localtime(starts_at, ZoneInfo(backend.site.time_zone)).date()
    # Their usage only (the project and backend are at hand): no joins.
    usage = allocation_list_with_usage(project=project, backend=backend, on=local_day).select_related(None)
    candidates = list(usage.order_by("valid_until", "pk"))
    for allocation in candidates:
        if allocation.remaining_hours >= hours:  # type: ignore[attr-defined]
            return allocation
    remaining = max((a.remaining_hours for a in candidates), default=ZERO)  # type: ignore[attr-defined]
    raise DomainError(
        _("The project's allocation on this backend has %(remaining)s hours left; the booking needs %(requested)s.")
        % {"remaining": hours_str(remaining), "requested": hours_str(hours)},
        code="allocation_exceeded",
        requested_hours=hours_str(hours),
        remaining_hours=hours_str(remaining),
    )


def _is_member(user: User, project: Project) -> bool:
    return Membership.objects.filter(project_id=project.pk, user_id=user.pk).exists()


def _check_times_given(*, starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError(_("Times need a UTC offset."))
    if ends_at <= starts_at:
        raise ValidationError({"end": [_("The end must be after the start.")]})


def _check_member_and_active(*, user: User, project: Project, member: bool) -> None:
    if not member:
        raise DomainError(
            _("%(user)s is not a member of project %(project)s.") % {"user": user.username, "project": project.code},
            code="not_member",
        )
    if not project.active:
        raise _policy_violation("project_inactive", _("The project is not active."))


def _booking_request_check(
    *, user: User, project: Project, starts_at: datetime.datetime, ends_at: datetime.datetime
) -> None:
    """Refuse times without an offset or out of order, a user outside the project, an inactive project."""
    _check_times_given(starts_at=starts_at, ends_at=ends_at)
    _check_member_and_active(user=user, project=project, member=_is_member(user, project))


def _check_requester(*, user: User, created_by: User, override_policy: bool) -> None:
    if (override_policy or created_by.pk != user.pk) and not (
        created_by.is_staff and created_by.has_perm("scheduling.add_booking")
    ):
        raise PermissionDenied(_("Only staff may book for someone else or outside the policy."))


def _refuse_taken_slot(
    *,
    backend: Backend,
    project: Project,
    user: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    override_policy: bool,
    now: datetime.datetime,
) -> None:
    """The request's checks up to the overlap, before the transaction: the times, membership (read with what holds
    the slot) and an active project; then a taken slot is refused (after the policy's rules of the times, as under
    the lock)."""
    _check_times_given(starts_at=starts_at, ends_at=ends_at)
    slot = booking_slot_check(
        backend=backend, project_id=project.pk, user_id=user.pk, starts_at=starts_at, ends_at=ends_at, now=now
    )
    _check_member_and_active(user=user, project=project, member=slot.member)
    if not slot.conflicts:
        return
    if not override_policy:
        policy = BookingPolicy.objects.filter(backend_id=backend.pk).first() or BookingPolicy(backend=backend)
        _check_policy_times(policy=policy, starts_at=starts_at, ends_at=ends_at, now=now)
    raise _booking_conflict_error(slot.conflicts)


def _overlap_refused(
    exc: IntegrityError,
    *,
    backend: Backend,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime,
) -> DomainError | None:
    """The booking_conflict an overlap caught by the PostgreSQL exclusion constraint means; None for other errors."""
    if EXCLUSION_CONSTRAINT not in str(exc):
        return None
    conflicts = booking_conflict_list(backend=backend, starts_at=starts_at, ends_at=ends_at, now=now)
    return DomainError(
        _("The time overlaps another booking."), code="booking_conflict", conflicts=[c.as_dict() for c in conflicts]
    )


def booking_create(
    *,
    backend: Backend,
    project: Project,
    user: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    purpose: str = "",
    created_by: User | None = None,
    override_policy: bool = False,
    series: uuid.UUID | None = None,
    notify: bool = True,
    now: datetime.datetime | None = None,
) -> Booking:
    """Book `[starts_at, ends_at)` on the backend for the project, charging its allocation.

    `user` is who the booking is for (a project member); `created_by` who asks (defaults to `user`; staff may
    book for a member and `override_policy`). Refusals are DomainErrors with API.md's codes; the overlap check
    runs under a lock on the backend row, and the PostgreSQL exclusion constraint backs it up.
    """
    now = now or timezone.now()
    created_by = created_by or user
    _check_requester(user=user, created_by=created_by, override_policy=override_policy)
    _refuse_taken_slot(
        backend=backend,
        project=project,
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        override_policy=override_policy,
        now=now,
    )
    # The transaction (a savepoint when the caller has one) is rolled back before the refusal is worked out, so
    # the booking's own INSERT needs no savepoint of its own.
    try:
        return _booking_create(
            backend=backend,
            project=project,
            user=user,
            starts_at=starts_at,
            ends_at=ends_at,
            purpose=purpose,
            created_by=created_by,
            override_policy=override_policy,
            series=series,
            notify=notify,
            now=now,
        )
    except IntegrityError as exc:
        refusal = _overlap_refused(exc, backend=backend, starts_at=starts_at, ends_at=ends_at, now=now)
        if refusal is None:
            raise
        raise refusal from exc


@transaction.atomic
def _booking_create(
    *,
    backend: Backend,
    project: Project,
    user: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    purpose: str,
    created_by: User,
    override_policy: bool,
    series: uuid.UUID | None,
    notify: bool,
    now: datetime.datetime,
) -> Booking:
    # Who asks, the times and membership were checked by `_refuse_taken_slot`. Lock the backend row so two
    # concurrent bookings cannot both pass the overlap check (on SQLite the IMMEDIATE transaction already
    # serializes writers).
    backend = Backend.objects.select_related("site", "policy").select_for_update(of=("self",)).get(pk=backend.pk)
    policy = getattr(backend, "policy", None) or BookingPolicy(backend=backend)
    if not override_policy:
        _check_policy_times(policy=policy, starts_at=starts_at, ends_at=ends_at, now=now)
    # Checked again under the lock (the slot may have been taken since it was read free), before the project's
    # bookings are counted: a taken slot is refused with everything that holds it.
    conflicts = booking_conflict_list(backend=backend, starts_at=starts_at, ends_at=ends_at, now=now)
    if conflicts:
        raise _booking_conflict_error(conflicts)
    if not override_policy:
        _check_project_cap(policy=policy, project=project, now=now)
    hours = hours_between(starts_at, ends_at)
    allocation = _choose_allocation(backend=backend, project=project, starts_at=starts_at, hours=hours)
    needs_approval = (
        policy.approval_over_minutes is not None
        and (ends_at - starts_at) > datetime.timedelta(minutes=policy.approval_over_minutes)
        and not created_by.is_staff
    )
    booking = Booking(
        backend=backend,
        project=project,
        user=user,
        allocation=allocation,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose,
        status=BookingStatus.PENDING if needs_approval else BookingStatus.CONFIRMED,
        charged_hours=hours,
        override_policy=override_policy,
        series=series,
        created_by=created_by,
    )
    if created_by.is_staff and not needs_approval:
        booking.approved_by, booking.approved_at = created_by, now
    # Every relation was loaded above and every rule checked under the lock; the database enforces the constraints
    # (its exclusion constraint backs the overlap check up: booking_create turns that refusal into booking_conflict).
    fields_validate(booking)
    booking.save()
    if notify:
        booking_notify_on_commit(booking.pk, "pending" if needs_approval else "confirmed")
        if needs_approval:  # the staff who may approve it are told that it waits
            booking_notify_on_commit(booking.pk, "approval_requested")
    return booking
