"""Daily and weekly series of bookings."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from scheduling.models import Backend, Booking, Project
from scheduling.services.bookings.create import booking_create

MAX_SERIES_OCCURRENCES = 100


@dataclass
class SeriesResult:
    """The bookings a series created and, per occurrence, why the others were not."""

    series: uuid.UUID
    created: list[Booking] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def booking_series_occurrences(
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
    occurrences = booking_series_occurrences(
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
