"""Bookings: create (every rule of DESIGN.md 3.4), cancel with the refund rules, approve, reject, series,
the sweeper and the reminders."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.db import fields_validate
from core.errors import DomainError
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus, CancelReason, MembershipRole
from scheduling.models import Allocation, Backend, Booking, BookingPolicy, Job, Membership, Project
from scheduling.selectors.bookings import interval_conflicts
from scheduling.selectors.common import hours_between, hours_str, on_slot_boundary, slot_floor
from scheduling.selectors.projects import allocation_usage
from scheduling.services.notifications import booking_notify, booking_notify_on_commit

ZERO = Decimal("0")
MAX_SERIES_OCCURRENCES = 100
EXCLUSION_CONSTRAINT = "booking_no_overlap"
REMINDER_LEAD = datetime.timedelta(hours=24)


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
    candidates = list(allocation_usage(project=project, backend=backend, on=local_day).order_by("valid_until", "pk"))
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
    return Membership.objects.filter(project=project, user=user).exists()


@transaction.atomic
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
    if (override_policy or created_by.pk != user.pk) and not (
        created_by.is_staff and created_by.has_perm("scheduling.add_booking")
    ):
        raise PermissionDenied(_("Only staff may book for someone else or outside the policy."))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError(_("Times need a UTC offset."))
    if ends_at <= starts_at:
        raise ValidationError({"end": [_("The end must be after the start.")]})
    if not _is_member(user, project):
        raise DomainError(
            _("%(user)s is not a member of project %(project)s.") % {"user": user.username, "project": project.code},
            code="not_member",
        )
    if not project.active:
        raise _policy_violation("project_inactive", _("The project is not active."))
    # Lock the backend row so two concurrent bookings cannot both pass the overlap check
    # (on SQLite the IMMEDIATE transaction already serializes writers).
    backend = Backend.objects.select_related("site", "policy").select_for_update(of=("self",)).get(pk=backend.pk)
    policy = getattr(backend, "policy", None) or BookingPolicy(backend=backend)
    if not override_policy:
        _check_policy(policy=policy, project=project, starts_at=starts_at, ends_at=ends_at, now=now)
    conflicts = interval_conflicts(backend=backend, starts_at=starts_at, ends_at=ends_at, now=now)
    if conflicts:
        raise _booking_conflict_error(conflicts)
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
    # Every relation was loaded above and every rule checked under the lock; the database enforces the constraints.
    fields_validate(booking)
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if EXCLUSION_CONSTRAINT in str(exc):
            raise DomainError(
                _("The time overlaps another booking."),
                code="booking_conflict",
                conflicts=[
                    c.as_dict()
                    for c in interval_conflicts(backend=backend, starts_at=starts_at, ends_at=ends_at, now=now)
                ],
            ) from exc
        raise
    if notify:
        booking_notify_on_commit(booking.pk, "pending" if needs_approval else "confirmed")
    return booking


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling a booking now would do: whether it may be cancelled, and what is refunded or kept."""

    cancellable: bool
    late: bool
    refund_hours: Decimal
    kept_hours: Decimal
    free_until: datetime.datetime

    def as_dict(self) -> dict[str, Any]:
        from scheduling.selectors.common import iso_z

        return {
            "cancellable": self.cancellable,
            "late_cancellation": self.late,
            "refund_hours": hours_str(self.refund_hours),
            "kept_hours": hours_str(self.kept_hours),
            "free_cancellation_until": iso_z(self.free_until),
        }


def booking_cancel_preview(*, booking: Booking, now: datetime.datetime | None = None) -> CancellationPreview:
    """What `booking_cancel` would refund now: everything before the free-cancellation cutoff (and for pending
    requests), nothing after it (a late cancellation)."""
    now = now or timezone.now()
    policy = getattr(booking.backend, "policy", None) or BookingPolicy(backend=booking.backend)
    free_until = booking.starts_at - datetime.timedelta(hours=policy.free_cancel_hours)
    cancellable = booking.status in ACTIVE_BOOKING_STATUSES and booking.ends_at > now
    if not cancellable:
        return CancellationPreview(False, False, ZERO, booking.charged_hours, free_until)
    late = booking.status == BookingStatus.CONFIRMED and now > free_until
    refund = ZERO if late else booking.charged_hours
    return CancellationPreview(True, late, refund, booking.charged_hours - refund, free_until)


def _lock_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_related("backend", "backend__policy", "project")
        .select_for_update(of=("self",))
        .get(pk=booking.pk)
    )


def _not_cancellable(booking: Booking) -> DomainError:
    return DomainError(
        _("This booking is past, finished or already cancelled."), code="not_cancellable", status=booking.status
    )


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by: User, reason: str = CancelReason.USER, now: datetime.datetime | None = None
) -> Booking:
    """Cancel a pending or confirmed booking that has not ended, refunding per `booking_cancel_preview`.

    The booking's user, the project's PI and staff may cancel.
    """
    now = now or timezone.now()
    booking = _lock_booking(booking)
    is_pi = Membership.objects.filter(project=booking.project_id, user=by, role=MembershipRole.PI).exists()
    if not (by.pk == booking.user_id or by.is_staff or is_pi):
        raise PermissionDenied(_("Only the booking's user, the project's PI or staff may cancel it."))
    if reason not in (CancelReason.USER, CancelReason.MAINTENANCE) or (
        reason == CancelReason.MAINTENANCE and not by.is_staff
    ):
        raise ValidationError({"reason": [_("Give user (or, staff only, maintenance).")]})
    preview = booking_cancel_preview(booking=booking, now=now)
    if not preview.cancellable:
        raise _not_cancellable(booking)
    if reason == CancelReason.MAINTENANCE:  # the facility's fault: always refunded
        preview = CancellationPreview(True, False, booking.charged_hours, ZERO, preview.free_until)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.late_cancellation = preview.late
    booking.charged_hours = preview.kept_hours
    booking.full_clean()
    booking.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "late_cancellation", "charged_hours", "updated_at"]
    )
    return booking


def _require_approver(by: User) -> None:
    if not (by.is_staff and by.has_perm("scheduling.change_booking")):
        raise PermissionDenied(_("Only staff may approve or reject bookings."))


def _not_pending(booking: Booking) -> DomainError:
    return DomainError(
        _("Only pending bookings can be approved or rejected."),
        code="invalid_transition",
        status=booking.status,
        allowed=[],
    )


@transaction.atomic
def booking_approve(*, booking: Booking, by: User, now: datetime.datetime | None = None) -> Booking:
    """Confirm a pending booking (staff); its time was already held and charged."""
    now = now or timezone.now()
    _require_approver(by)
    booking = _lock_booking(booking)
    if booking.status != BookingStatus.PENDING:
        raise _not_pending(booking)
    booking.status = BookingStatus.CONFIRMED
    booking.approved_by, booking.approved_at = by, now
    booking.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    booking_notify_on_commit(booking.pk, "approved")
    return booking


@transaction.atomic
def booking_reject(*, booking: Booking, by: User, now: datetime.datetime | None = None) -> Booking:
    """Refuse a pending booking (staff): cancelled with reason `rejected`, fully refunded."""
    now = now or timezone.now()
    _require_approver(by)
    booking = _lock_booking(booking)
    if booking.status != BookingStatus.PENDING:
        raise _not_pending(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = CancelReason.REJECTED
    booking.charged_hours = ZERO
    booking.approved_by, booking.approved_at = by, now
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancel_reason",
            "charged_hours",
            "approved_by",
            "approved_at",
            "updated_at",
        ]
    )
    booking_notify_on_commit(booking.pk, "rejected")
    return booking


@dataclass
class SeriesResult:
    """The bookings a series created and, per occurrence, why the others were not."""

    series: uuid.UUID
    created: list[Booking] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def series_occurrences(
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    freq: str,
    count: int | None,
    until: datetime.date | None,
    time_zone: str,
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Occurrences stepping the local wall-clock time of the site (DST-safe), by `count` and/or `until`."""
    if freq not in ("daily", "weekly"):
        raise ValidationError({"repeat": [_("freq is daily or weekly.")]})
    if count is None and until is None:
        raise ValidationError({"repeat": [_("Give count or until.")]})
    if count is not None and not 1 <= count <= MAX_SERIES_OCCURRENCES:
        raise ValidationError({"repeat": [_("count is 1 to %(max)d.") % {"max": MAX_SERIES_OCCURRENCES}]})
    zone = ZoneInfo(time_zone)
    local_start = timezone.localtime(starts_at, zone).replace(tzinfo=None)
    length = ends_at - starts_at
    step = datetime.timedelta(days=1 if freq == "daily" else 7)
    occurrences: list[tuple[datetime.datetime, datetime.datetime]] = []
    index = 0
    while len(occurrences) < (count or MAX_SERIES_OCCURRENCES):
        local = local_start + index * step
        if until is not None and local.date() > until:
            break
        start = local.replace(tzinfo=zone).astimezone(datetime.UTC)
        occurrences.append((start, start + length))
        index += 1
    if until is not None and count is None and len(occurrences) >= MAX_SERIES_OCCURRENCES:
        last_local = local_start + (MAX_SERIES_OCCURRENCES - 1) * step
        if last_local.date() < until:
            raise ValidationError(
                {"repeat": [_("A series has at most %(max)d occurrences.") % {"max": MAX_SERIES_OCCURRENCES}]}
            )
    return occurrences


@transaction.atomic
def booking_series_create(
    *,
    backend: Backend,
    project: Project,
    user: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    freq: str,
    count: int | None = None,
    until: datetime.date | None = None,
    purpose: str = "",
    created_by: User | None = None,
    override_policy: bool = False,
    now: datetime.datetime | None = None,
) -> SeriesResult:
    """Book a daily or weekly series: every occurrence that passes the rules is created; the others are
    reported with their error code and detail."""
    if ends_at <= starts_at:
        raise ValidationError({"end": [_("The end must be after the start.")]})
    occurrences = series_occurrences(
        starts_at=starts_at, ends_at=ends_at, freq=freq, count=count, until=until, time_zone=backend.site.time_zone
    )
    result = SeriesResult(series=uuid.uuid4())
    for occ_start, occ_end in occurrences:
        try:
            booking = booking_create(
                backend=backend,
                project=project,
                user=user,
                starts_at=occ_start,
                ends_at=occ_end,
                purpose=purpose,
                created_by=created_by,
                override_policy=override_policy,
                series=result.series,
                now=now,
            )
        except DomainError as exc:
            if exc.code == "not_member":
                raise
            result.skipped.append({"start": occ_start, "end": occ_end, "code": exc.code, "detail": exc.detail})
        except ValidationError as exc:
            result.skipped.append(
                {"start": occ_start, "end": occ_end, "code": "invalid", "detail": " ".join(exc.messages)}
            )
        else:
            result.created.append(booking)
    return result


@transaction.atomic
def booking_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Settle ended bookings: `completed` if a job ran in it, else `no_show`; pending ones never approved are
    cancelled as rejected (refunded). Idempotent."""
    now = now or timezone.now()
    ended = Booking.objects.filter(status=BookingStatus.CONFIRMED, ends_at__lte=now)
    ran = Job.objects.filter(booking=OuterRef("pk"), started_at__isnull=False)
    completed = ended.filter(Exists(ran)).update(status=BookingStatus.COMPLETED, updated_at=now)
    no_show = ended.update(status=BookingStatus.NO_SHOW, updated_at=now)
    expired = Booking.objects.filter(status=BookingStatus.PENDING, ends_at__lte=now).update(
        status=BookingStatus.CANCELLED,
        cancelled_at=now,
        cancel_reason=CancelReason.REJECTED,
        charged_hours=ZERO,
        updated_at=now,
    )
    return {"completed": completed, "no_show": no_show, "expired": expired}


def booking_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """E-mail a reminder for each confirmed booking starting within 24 h, once (`reminder_sent_at` claims it)."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_LEAD,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        # Compare-and-set: a second sweeper running at the same time claims nothing.
        if Booking.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
            sent += booking_notify(booking_id=pk, kind="reminder")
    return sent
