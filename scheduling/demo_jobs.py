"""Demo data: a history of jobs in the past completed bookings, with counts from the real simulator.

Called by scheduling/demo.py after bookings exist. Every past completed booking gets its jobs (a completed booking
is one in which a job ran), once: a booking that already has jobs is left alone. Each circuit is simulated once per
calibration and seed, and its jobs share that result, so seeding stays quick however long the history is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from scheduling.calibration import calibration_from_record, timing_from_backend
from scheduling.choices import BookingStatus, JobErrorCode, JobStatus
from scheduling.models import Booking, CalibrationRecord, Job, JobCircuit
from scheduling.simulator import RunResult, run

SHOTS = 200
SEEDS_PER_CIRCUIT = 3  # a little variety in the counts; each (circuit, seed, calibration) is simulated once


def _ghz(n: int) -> str:
    chain = "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(n - 1))
    return f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q[0];\n{chain}measure q -> c;\n'


CIRCUITS: list[tuple[str, str]] = [
    ("bell pair", _ghz(2)),
    ("GHZ-3", _ghz(3)),
    ("GHZ-5", _ghz(5)),
    (
        "Rabi sweep point",
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\nrx(1.2) q[0];\nc[0] = measure q[0];\n',
    ),
]
# Illustrative: the story gives no real failure; this one stands for a control-electronics fault.
DEMO_FAILURE = "Illustrative demo failure: the control electronics lost synchronisation during readout."


def seed(log: Callable[[str], object]) -> None:
    """Add two to four jobs (mostly completed, every fifth booking one failed) to past completed bookings."""
    now = timezone.now()
    bookings = (
        Booking.objects.filter(status=BookingStatus.COMPLETED, ends_at__lte=now, jobs__isnull=True)
        .select_related("backend")
        .order_by("starts_at")
    )
    created = 0
    results: dict[tuple[int, int, int | None], RunResult] = {}
    for number, booking in enumerate(bookings):
        created += _seed_booking(booking, number, results)
    if created:
        log(f"Created {created} demo jobs in past bookings.")


@transaction.atomic
def _seed_booking(booking: Booking, number: int, results: dict[tuple[int, int, int | None], RunResult]) -> int:
    calibration = (
        CalibrationRecord.objects.filter(backend=booking.backend, measured_at__lte=booking.starts_at)
        .order_by("-measured_at")
        .first()
    )
    noise = calibration_from_record(calibration)
    timing = timing_from_backend(booking.backend)
    submitted = booking.starts_at + timedelta(minutes=2)
    count = 2 + number % 3
    created = 0
    for index in range(count):
        circuit = (number + index) % len(CIRCUITS)
        name, qasm = CIRCUITS[circuit]
        seed = 1000 * circuit + (number % SEEDS_PER_CIRCUIT)
        key = (circuit, seed, calibration.pk if calibration else None)
        if key not in results:
            results[key] = run(qasm, shots=SHOTS, seed=seed, calibration=noise, timing=timing)
        result = results[key]
        started = submitted + timedelta(seconds=5)
        finished = started + timedelta(seconds=result.qpu_seconds)
        if finished >= booking.ends_at:
            break
        failed = number % 5 == 4 and index == count - 1
        job = Job(
            backend=booking.backend,
            project_id=booking.project_id,
            user_id=booking.user_id,
            booking=booking,
            name=f"{name} (demo)",
            qasm=qasm,
            shots=SHOTS,
            seed=seed,
            status=JobStatus.FAILED if failed else JobStatus.COMPLETED,
            submitted_at=submitted,
            started_at=started,
            finished_at=finished,
            calibration=calibration,
            attempts=1,
            enqueued_at=submitted,
            error=DEMO_FAILURE if failed else "",
            error_code=JobErrorCode.SIMULATION_ERROR if failed else "",
            estimated_qpu_seconds=result.qpu_seconds,
            depth=result.depth,
            prx_count=result.prx_count,
            cz_count=result.cz_count,
            counts=None if failed else result.counts,
            qpu_seconds=None if failed else result.qpu_seconds,
        )
        job.full_clean()
        job.save()
        JobCircuit.objects.create(
            job=job,
            index=0,
            qasm=qasm,
            depth=result.depth,
            prx_count=result.prx_count,
            cz_count=result.cz_count,
            duration_ns=result.duration_ns,
            seed=None if failed else seed,
            counts=None if failed else result.counts,
        )
        created += 1
        submitted = finished + timedelta(minutes=3)
    return created
