"""The waitlist (DESIGN.md 3.4): wait for a taken slot; when it frees, the oldest waiting entry that now fits is
booked for its owner in the same transaction, by `booking_create` and every rule of a booking."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.db import fields_validate
from core.errors import DomainError
from scheduling.choices import WaitlistStatus
from scheduling.models import Backend, Booking, BookingPolicy, Project, WaitlistEntry
from scheduling.selectors.bookings import booking_conflict_list
from scheduling.selectors.common import hours_between
from scheduling.selectors.waitlist import waitlist_waiting_overlapping
from scheduling.services.bookings.create import (
    _booking_conflict_error,
    _booking_request_check,
    _check_policy,
    _choose_allocation,
    booking_create,
)
from scheduling.services.notifications import booking_notify_on_commit


@transaction.atomic
def waitlist_join(
    *,
    backend: Backend,
    project: Project,
    user: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    purpose: str = "",
    now: datetime.datetime | None = None,
) -> WaitlistEntry:
    """Wait for `[starts_at, ends_at)`, which a booking holds now.

    The checks of a booking apply (times, membership, active project, the policy, the allocation) except the
    overlap with other bookings; a slot nothing holds is refused with `slot_free` (book it instead), one held by
    maintenance or an outage with `maintenance_conflict` (no cancellation can free it).
    """
    now = now or timezone.now()
    _booking_request_check(user=user, project=project, starts_at=starts_at, ends_at=ends_at)
    # The same lock as a booking: the slot cannot change hands between the check and the entry.
    backend = Backend.objects.select_related("site", "policy").select_for_update(of=("self",)).get(pk=backend.pk)
    policy = getattr(backend, "policy", None) or BookingPolicy(backend=backend)
    _check_policy(policy=policy, project=project, starts_at=starts_at, ends_at=ends_at, now=now)
    conflicts = booking_conflict_list(backend=backend, starts_at=starts_at, ends_at=ends_at, now=now)
    if not conflicts:
        raise DomainError(_("Nothing holds this slot now: book it instead."), code="slot_free")
    downtime = [c for c in conflicts if c.kind != "booking"]
    if downtime:
        raise _booking_conflict_error(downtime)
    _choose_allocation(backend=backend, project=project, starts_at=starts_at, hours=hours_between(starts_at, ends_at))
    waiting = WaitlistEntry.objects.filter(
        user=user, backend=backend, starts_at=starts_at, ends_at=ends_at, status=WaitlistStatus.WAITING
    )
    if waiting.exists():
        raise ValidationError({"start": [_("You are already on the waitlist for this slot.")]})
    entry = WaitlistEntry(
        backend=backend, project=project, user=user, starts_at=starts_at, ends_at=ends_at, purpose=purpose
    )
    # As booking_create: every relation was loaded and every rule checked under the lock; the database enforces the
    # constraints (a new entry is waiting, with no booking and no closing time, one per user and slot).
    fields_validate(entry)
    entry.save()
    return entry


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, by: User, now: datetime.datetime | None = None) -> WaitlistEntry:
    """Stop waiting (the entry's owner, or staff who may change entries); only a waiting entry can be left."""
    now = now or timezone.now()
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if not (by.pk == entry.user_id or (by.is_staff and by.has_perm("scheduling.change_waitlistentry"))):
        raise PermissionDenied(_("Only the person waiting or staff may leave the waitlist for them."))
    if entry.status != WaitlistStatus.WAITING:
        raise DomainError(
            _("This entry is no longer waiting: it was booked, expired or left."),
            code="not_cancellable",
            status=entry.status,
        )
    entry.status = WaitlistStatus.LEFT
    entry.closed_at = now
    entry.save(update_fields=["status", "closed_at"])
    return entry


@transaction.atomic(savepoint=False)  # inside the caller's transaction: no savepoint queries
def waitlist_fill(
    *, backend_id: int, starts_at: datetime.datetime, ends_at: datetime.datetime, now: datetime.datetime | None = None
) -> list[WaitlistEntry]:
    """Book, for their owners, the oldest waiting entries that fit in time `[starts_at, ends_at)` just freed.

    Called inside the transaction that freed the time (a cancellation, a rejection, maintenance), after the
    booking was saved as cancelled; costs one query when nobody waits. Each entry is tried in the order it
    joined with `booking_create` (its own savepoint: an entry that does not fit, or whose project has no hours
    left, keeps waiting); a booked entry's owner is e-mailed after the commit.
    """
    now = now or timezone.now()
    candidates = waitlist_waiting_overlapping(backend_id=backend_id, starts_at=starts_at, ends_at=ends_at, now=now)
    if not candidates:
        return []
    # Lock the backend row, then the entries, to the end of this transaction (outside the bookings' savepoints,
    # whose locks a refused booking releases): a second cancellation freeing time these entries want waits here
    # and then sees this one committed, so an entry spanning time two cancellations free at once is not missed.
    list(Backend.objects.select_for_update().filter(pk=backend_id).values_list("pk", flat=True))
    entries = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("backend", "project", "user")
        .filter(pk__in=candidates, status=WaitlistStatus.WAITING)
        .order_by("created_at", "pk")
    )
    booked: list[WaitlistEntry] = []
    for entry in entries:
        try:
            booking = booking_create(
                backend=entry.backend,
                project=entry.project,
                user=entry.user,
                starts_at=entry.starts_at,
                ends_at=entry.ends_at,
                purpose=entry.purpose,
                notify=False,
                now=now,
            )
        except (DomainError, ValidationError, PermissionDenied):
            continue
        entry.status, entry.booking, entry.closed_at = WaitlistStatus.BOOKED, booking, now
        entry.save(update_fields=["status", "booking", "closed_at"])
        booking_notify_on_commit(booking.pk, "waitlist_booked")
        booked.append(entry)
    return booked


def waitlist_fill_cancelled(*, booking_ids: list[int], now: datetime.datetime | None = None) -> list[WaitlistEntry]:
    """`waitlist_fill` over the time of bookings just cancelled together on one backend (by a maintenance window)."""
    if not booking_ids:
        return []
    span = Booking.objects.filter(pk__in=booking_ids).aggregate(
        backend=Min("backend"), start=Min("starts_at"), end=Max("ends_at")
    )
    return waitlist_fill(backend_id=span["backend"], starts_at=span["start"], ends_at=span["end"], now=now)


@transaction.atomic
def waitlist_expire(*, now: datetime.datetime | None = None) -> int:
    """Entries still waiting whose start has passed become `expired` (the sweep, run by beat). Idempotent."""
    now = now or timezone.now()
    return WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, starts_at__lte=now).update(
        status=WaitlistStatus.EXPIRED, closed_at=now
    )
