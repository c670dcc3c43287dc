"""Sealing and resealing the per-day job rollups the utilization report reads."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.metrics import rollups
from reports.models import JobRollupDay


def job_days_seal() -> dict[str, int]:
    """Seal every day that can be sealed on every backend (nightly): reports then read those days' rollups.

    Idempotent: a day already sealed is left alone (and checked for jobs inserted into it since).
    Returns the number of sealed days per backend.
    """
    from scheduling.models import Backend, Job

    sealed: dict[str, int] = {}
    today = timezone.now().astimezone(dt.UTC).date()
    for backend in Backend.objects.order_by("name"):
        oldest = Job.objects.filter(backend=backend, started_at__isnull=False).aggregate(oldest=Min("started_at"))
        if oldest["oldest"] is None:
            continue
        first = oldest["oldest"].astimezone(dt.UTC).date()
        sealed[backend.name] = len(rollups.sealed_days(backend=backend, first=first, last=today))
    return sealed


def job_days_reseal(*, backend_name: str, first: dt.date, last: dt.date) -> int:
    """Drop the sealed days `[first, last)` of a backend and seal them again from the jobs; the days sealed.

    For repairs only: the application never changes a finished job, but a correction made directly in the
    database (not an insert, which the watermark notices) would otherwise stay invisible to reports.
    """
    from scheduling.models import Backend

    if first >= last:
        raise ValidationError(_("The first day must come before the last."))
    backend = Backend.objects.filter(name=backend_name).first()
    if backend is None:
        raise ValidationError(_("There is no backend “%(name)s”.") % {"name": backend_name})
    with transaction.atomic():
        JobRollupDay.objects.filter(backend=backend, day__gte=first, day__lt=last).delete()
        return len(rollups.sealed_days(backend=backend, first=first, last=last))
