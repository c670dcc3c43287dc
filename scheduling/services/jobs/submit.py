"""Submitting a job: one circuit or a batch, compiled outside the lock, then checked and saved under the lock
of its booking (the row lock booking cancellation takes), so that no job is accepted onto a cancelled booking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.db import fields_validate
from core.errors import DomainError
from scheduling.calibration import timing_from_backend
from scheduling.choices import PENDING_JOB_STATUSES, BookingStatus, JobStatus
from scheduling.models import (
    MAX_BATCH_CIRCUITS,
    MAX_BATCH_SHOTS,
    MAX_SHOTS,
    Backend,
    Booking,
    BookingPolicy,
    Job,
    JobCircuit,
    Project,
)
from scheduling.selectors.jobs import booking_is_usable_for_jobs, membership_exists
from scheduling.services.jobs.publish import job_publish_on_commit
from scheduling.simulator import (
    MAX_SEED,
    CircuitError,
    TranspiledCircuit,
    check_batch_seed,
    check_batch_shots,
    estimate_seconds,
    prepare_batch,
)

DEFAULT_SHOTS = 1000


class CircuitInput(TypedDict):
    """One circuit of a batch: its OpenQASM source and an optional name."""

    qasm: str
    name: NotRequired[str]


@dataclass(frozen=True)
class PreparedBatch:
    """The circuits of a job, compiled for its backend, with the job's estimated QPU seconds."""

    circuits: list[CircuitInput]
    transpiled: list[TranspiledCircuit]
    compiled: list[bytes]  # QPY of each transpiled circuit
    estimated_seconds: float


def _invalid_circuit(exc: CircuitError) -> DomainError:
    return DomainError(
        _("The circuit cannot run on this backend."),
        code="invalid_circuit",
        errors=[
            {"circuit": getattr(i, "circuit", None), "line": i.line, "column": i.column, "message": i.message}
            for i in exc.issues
        ],
    )


def _refused(check: Callable[..., None], *args: object) -> bool:
    try:
        check(*args)
    except CircuitError:
        return True
    return False


def job_request_check(*, shots: int, seed: int | None, circuits: int) -> None:
    """A job's shots, seed and number of circuits against the simulator's limits (the rules live there, once;
    this names the field and says it in the user's language): ValidationError by field."""
    errors: dict[str, str] = {}
    if _refused(check_batch_shots, 1, shots):  # the shots per circuit alone
        errors["shots"] = _("Shots must be a whole number from 1 to %(max)s.") % {"max": MAX_SHOTS}
    elif _refused(check_batch_shots, circuits, 1):  # the size of the batch alone
        errors["circuits"] = _("A job takes from 1 to %(max)s circuits.") % {"max": MAX_BATCH_CIRCUITS}
    elif _refused(check_batch_shots, circuits, shots):
        errors["shots"] = _(
            "A batch runs at most %(max)s shots in all; %(n)s circuits of %(shots)s shots is %(all)s."
        ) % {
            "max": MAX_BATCH_SHOTS,
            "n": circuits,
            "shots": shots,
            "all": shots * circuits,
        }
    if _refused(check_batch_seed, max(circuits, 1), seed):
        errors["seed"] = _(
            "The seed must be a whole number from 0 to %(max)s (less in a large batch: each circuit's seed is "
            "derived from it)."
        ) % {"max": MAX_SEED}
    if errors:
        raise ValidationError(errors, code="invalid")


def _circuits(qasm: str | None, circuits: Sequence[CircuitInput] | None) -> list[CircuitInput]:
    if (qasm is None) == (circuits is None):
        raise ValidationError(
            {"qasm": _("Give either one circuit (qasm) or a batch (circuits), not both.")}, code="invalid"
        )
    if qasm is not None:
        return [{"qasm": qasm}]
    return list(circuits or [])


def job_circuits_prepare(*, backend: Backend, circuits: list[CircuitInput], shots: int) -> PreparedBatch:
    """Parse and transpile every circuit for the backend (CPU time: call it outside any transaction).

    DomainError `invalid_circuit` listing every issue of every circuit, each with its circuit's index.
    """
    timing = timing_from_backend(backend)
    try:
        transpiled = prepare_batch([c["qasm"] for c in circuits], timing=timing)
    except CircuitError as exc:
        raise _invalid_circuit(exc) from exc
    compiled = [c.to_bytes() for c in transpiled]
    return PreparedBatch(circuits, transpiled, compiled, estimate_seconds(transpiled, shots=shots, timing=timing))


def job_submit(
    *,
    user: User,
    backend: Backend,
    project: Project,
    qasm: str | None = None,
    circuits: Sequence[CircuitInput] | None = None,
    shots: int = DEFAULT_SHOTS,
    seed: int | None = None,
    name: str = "",
    booking: Booking | None = None,
) -> Job:
    """Queue one circuit (`qasm`) or a batch (`circuits`) in the project's booking in progress (or the next
    confirmed one, which it waits for). Compiled first, outside the transaction; then, under the booking's row
    lock, the booking, the project's queue (`queue_full`) and the booking's remaining time (`exceeds_booking`)
    are checked and the job is saved and published."""
    if not membership_exists(project=project, user=user):
        raise DomainError(_("You are not a member of this project."), code="not_member")
    batch = _circuits(qasm, circuits)
    job_request_check(shots=shots, seed=seed, circuits=len(batch))
    prepared = job_circuits_prepare(backend=backend, circuits=batch, shots=shots)
    return _job_create(
        user=user,
        backend=backend,
        project=project,
        prepared=prepared,
        shots=shots,
        seed=seed,
        name=name,
        booking=booking,
    )


def _booking_locked(*, project: Project, backend: Backend, booking: Booking | None, now: datetime) -> Booking:
    """The job's booking, locked (`select_for_update`, as `booking_cancel` locks it) and read again under the lock."""
    if booking is not None:
        if booking.project_id != project.pk or booking.backend_id != backend.pk:
            raise ValidationError(
                {"booking": _("This is not a booking of the project on this backend.")}, code="booking_mismatch"
            )
        candidates = Booking.objects.filter(pk=booking.pk)
    else:
        candidates = Booking.objects.filter(project=project, backend=backend).order_by("starts_at", "pk")
    locked = (
        candidates.filter(status=BookingStatus.CONFIRMED, ends_at__gt=now)
        .select_related("backend__policy")
        .select_for_update(of=("self",))
        .first()
    )
    if locked is None or not booking_is_usable_for_jobs(booking=locked, now=now):
        if booking is not None:
            raise DomainError(
                _("This booking has ended or is not confirmed; jobs need a booking in progress or a future one."),
                code="no_active_booking",
            )
        raise DomainError(
            _("The project has no booking on this backend in progress or to come; book time first."),
            code="no_active_booking",
        )
    return locked


def _check_room(*, backend: Backend, project: Project, booking: Booking, estimate: float, now: datetime) -> None:
    """`queue_full`: the project holds its policy's maximum of queued + running jobs on the backend;
    `exceeds_booking`: the job's estimate is more than what remains of the booking after its pending jobs."""
    policy = getattr(booking.backend, "policy", None) or BookingPolicy(backend=backend)
    pending = Job.objects.filter(project=project, backend=backend, status__in=PENDING_JOB_STATUSES).aggregate(
        jobs=Count("pk"), booked=Sum("estimated_qpu_seconds", filter=Q(booking=booking))
    )
    if pending["jobs"] >= policy.max_queued_jobs:
        raise DomainError(
            _("The project already has %(limit)s queued or running jobs on this backend; wait for some to finish.")
            % {"limit": policy.max_queued_jobs},
            code="queue_full",
            limit=policy.max_queued_jobs,
        )
    left = (booking.ends_at - max(now, booking.starts_at)).total_seconds() - (pending["booked"] or 0.0)
    if estimate > left:
        raise DomainError(
            _("The job needs an estimated %(needed).1f s of QPU time; %(left).1f s remain in its booking.")
            % {"needed": estimate, "left": max(left, 0.0)},
            code="exceeds_booking",
            estimated_seconds=round(estimate, 3),
            remaining_seconds=round(max(left, 0.0), 3),
        )


@transaction.atomic
def _job_create(
    *,
    user: User,
    backend: Backend,
    project: Project,
    prepared: PreparedBatch,
    shots: int,
    seed: int | None,
    name: str,
    booking: Booking | None,
) -> Job:
    now = timezone.now()
    locked = _booking_locked(project=project, backend=backend, booking=booking, now=now)
    _check_room(backend=backend, project=project, booking=locked, estimate=prepared.estimated_seconds, now=now)
    transpiled = prepared.transpiled
    job = Job(
        backend=backend,
        project=project,
        user=user,
        booking=locked,
        name=name,
        qasm=prepared.circuits[0]["qasm"],
        shots=shots,
        seed=seed,
        status=JobStatus.QUEUED,
        submitted_at=now,
        enqueued_at=now,
        estimated_qpu_seconds=prepared.estimated_seconds,
        depth=sum(c.depth for c in transpiled),
        prx_count=sum(c.prx_count for c in transpiled),
        cz_count=sum(c.cz_count for c in transpiled),
    )
    fields_validate(job)  # every related row is loaded and the rules checked under the lock above
    job.save()
    JobCircuit.objects.bulk_create(
        JobCircuit(
            job=job,
            index=index,
            name=circuit.get("name", ""),
            qasm=circuit["qasm"],
            depth=compiled.depth,
            prx_count=compiled.prx_count,
            cz_count=compiled.cz_count,
            duration_ns=compiled.duration_ns,
            compiled=data,
        )
        for index, (circuit, compiled, data) in enumerate(
            zip(prepared.circuits, transpiled, prepared.compiled, strict=True)
        )
    )
    job_publish_on_commit(job=job, eta=locked.starts_at)
    return job
