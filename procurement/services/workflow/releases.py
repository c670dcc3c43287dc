"""The process's chain of immutable OCDS releases: locking the process, appending, verifying."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from procurement.models import ContractingProcess, OcdsRelease
from procurement.ocds.builder import chained_sha256, release_payload


def process_lock(process: ContractingProcess) -> ContractingProcess:
    """Lock the process row: releases, transitions and payments of one process are serialized through it."""
    return ContractingProcess.objects.select_for_update().get(pk=process.pk)


def release_id_next(process: ContractingProcess) -> tuple[int, str, OcdsRelease | None]:
    previous = OcdsRelease.objects.filter(process=process).order_by("-sequence").first()
    sequence = previous.sequence + 1 if previous else 1
    return sequence, f"{process.ocid}-{sequence:04d}", previous


def release_tag_next(process: ContractingProcess, first: str, update: str) -> str:
    """`first` (e.g. `award`) the first time a stage is released, `update` (e.g. `awardUpdate`) afterwards."""
    for tags in OcdsRelease.objects.filter(process=process).values_list("tags", flat=True):
        if first in tags:
            return update
    return first


def release_date_next(process: ContractingProcess, published_at: dt.datetime | None = None) -> dt.datetime:
    """The date of the process's next release: when its information was first published (default now).

    Release dates are whole seconds in UTC, so that their text sorts as they do. A given date may be neither in
    the future nor before the previous release of the same ocid: the chain's order is its dates' order. Such a
    date is refused (ValidationError on `published_at`), never moved, because a silently changed date would
    misstate when something was published. Only the default (now) is raised to the previous release's date,
    which can happen only if the clock went back.
    """
    previous = OcdsRelease.objects.filter(process=process).order_by("-sequence").values_list("date", flat=True).first()
    return _release_date(published_at, previous)


def _release_date(published_at: dt.datetime | None, previous: dt.datetime | None) -> dt.datetime:
    now = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    if published_at is None:
        return max(now, previous) if previous is not None else now
    date = published_at.astimezone(dt.UTC).replace(microsecond=0)
    if date > now:
        raise ValidationError(
            {"published_at": [_("The date of first publication may not be in the future.")]}, code="future"
        )
    if previous is not None and date < previous:
        raise ValidationError(
            {
                "published_at": [
                    _(
                        "The date of first publication may not be before the previous release of this process "
                        "(%(date)s): releases are dated in the order they were published."
                    )
                    % {"date": formats.date_format(timezone.localtime(previous), "DATETIME_FORMAT")}
                ]
            },
            code="before_previous_release",
        )
    return date


def release_append(
    *, process: ContractingProcess, tags: Sequence[str], published_at: dt.datetime | None = None
) -> OcdsRelease:
    """Append an immutable release with the full current state, chained by SHA-256 to the previous one.

    It is dated when its information was first published (`published_at`, default now; see `release_date_next`).
    """
    sequence, release_id, previous = release_id_next(process)
    date = _release_date(published_at, previous.date if previous else None)
    payload = release_payload(process, release_id=release_id, date=date, tags=tags)
    previous_sha = previous.sha256 if previous else ""
    release = OcdsRelease(
        process=process,
        ocid=process.ocid,
        sequence=sequence,
        release_id=release_id,
        date=date,
        tags=list(tags),
        payload=payload,
        previous_sha256=previous_sha,
        sha256=chained_sha256(previous_sha, payload),
    )
    release.full_clean()
    release.save()
    return release


def release_chain_verify(*, process: ContractingProcess) -> bool:
    """True if every stored release hashes to its stored SHA-256 and links to its predecessor."""
    previous_sha = ""
    for release in OcdsRelease.objects.filter(process=process).order_by("sequence"):
        if release.previous_sha256 != previous_sha or chained_sha256(previous_sha, release.payload) != release.sha256:
            return False
        previous_sha = release.sha256
    return True
