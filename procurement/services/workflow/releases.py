"""The process's chain of immutable OCDS releases: locking the process, appending, verifying."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

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


def release_append(*, process: ContractingProcess, tags: Sequence[str]) -> OcdsRelease:
    """Append an immutable release with the full current state, chained by SHA-256 to the previous one."""
    sequence, release_id, previous = release_id_next(process)
    now = timezone.now()
    payload = release_payload(process, release_id=release_id, date=now, tags=tags)
    previous_sha = previous.sha256 if previous else ""
    release = OcdsRelease(
        process=process,
        ocid=process.ocid,
        sequence=sequence,
        release_id=release_id,
        date=now,
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


# --- the process ---
