"""Benchmark: N GHZ jobs through the real queue (Redis + a worker subprocess + the database) versus Aer direct.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qfr_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python bench/jobs.py --jobs 50 --shots 1000

Migrates the database it is given, adds a `bench-star` backend, a project and a booking in progress if
missing, starts `celery -A config worker -Q qpu -P solo -c 1`, submits the jobs through `job_submit` (as the
API does) and waits for them; then runs the same circuits with `scheduling.simulator.run` in this process.
Prints jobs/s of both, p50/p95 submit-to-finish of the queued jobs and the overhead ratio. Never part of the
test run.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def ghz(n: int) -> str:
    chain = "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(n - 1))
    return f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q[0];\n{chain}measure q -> c;\n'


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--shots", type=int, default=1000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from config.celery import app
    from facility.choices import EquipmentKind, OrganizationKind
    from facility.models import Equipment, Organization, Site
    from scheduling.calibration import calibration_from_record, timing_from_backend
    from scheduling.choices import BookingStatus, JobStatus
    from scheduling.models import Backend, Booking, Job, Membership, Project
    from scheduling.selectors import calibration_latest
    from scheduling.services.jobs import job_submit
    from scheduling.simulator import run

    call_command("migrate", verbosity=0)
    app.conf.task_always_eager = False
    org, _ = Organization.objects.get_or_create(
        name="Bench University", defaults={"kind": OrganizationKind.UNIVERSITY, "country": "KR"}
    )
    site, _ = Site.objects.get_or_create(
        name="Bench site", defaults={"organization": org, "city": "Cheongju", "country": "KR", "time_zone": "UTC"}
    )
    equipment, _ = Equipment.objects.get_or_create(
        serial_number="BENCH-1",
        manufacturer="Bench",
        defaults={"site": site, "name": "Bench QPU", "kind": EquipmentKind.QPU},
    )
    backend, _ = Backend.objects.get_or_create(
        name="bench-star", defaults={"display_name": "Bench star", "site": site, "equipment": equipment}
    )
    user, _ = User.objects.get_or_create(username="bench", defaults={"email": "bench@example.org"})
    project, _ = Project.objects.get_or_create(
        code="BENCH-1", defaults={"title": "Benchmark", "institution": org, "pi": user}
    )
    Membership.objects.get_or_create(project=project, user=user)
    now = timezone.now()
    if not Booking.objects.filter(
        backend=backend, starts_at__lte=now, ends_at__gt=now + timedelta(minutes=30)
    ).exists():
        start = now.replace(minute=0, second=0, microsecond=0)
        Booking.objects.filter(backend=backend, ends_at__gt=start).delete()  # only bench data lives here
        Booking.objects.create(
            backend=backend,
            project=project,
            user=user,
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            status=BookingStatus.CONFIRMED,
            override_policy=True,
            purpose="benchmark",
        )

    circuits = [ghz(2 + i % 4) for i in range(args.jobs)]
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("qpu")
    env = {**os.environ, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    celery = str(Path(sys.executable).with_name("celery"))
    worker = subprocess.Popen(  # noqa: S603 (fixed command line)
        [celery, "-A", "config", "worker", "-Q", "qpu", "-P", "solo", "-c", "1", "-l", "WARNING", "-n", "bench@%h"],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        warm = job_submit(user=user, backend=backend, project=project, qasm=circuits[0], shots=10, seed=1)
        while not Job.objects.filter(pk=warm.pk, status=JobStatus.COMPLETED).exists():
            time.sleep(0.05)

        started = time.perf_counter()
        ids = [
            job_submit(user=user, backend=backend, project=project, qasm=qasm, shots=args.shots, seed=i).pk
            for i, qasm in enumerate(circuits)
        ]
        submitted_s = time.perf_counter() - started
        while Job.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
            time.sleep(0.05)
        queued_s = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    jobs = list(Job.objects.filter(pk__in=ids))
    failed = [job.pk for job in jobs if job.status != JobStatus.COMPLETED]
    latencies = [(job.finished_at - job.submitted_at).total_seconds() for job in jobs if job.finished_at]

    calibration = calibration_from_record(calibration_latest(backend=backend))
    timing = timing_from_backend(backend)
    started = time.perf_counter()
    for i, qasm in enumerate(circuits):
        run(qasm, shots=args.shots, seed=i, calibration=calibration, timing=timing)
    direct_s = time.perf_counter() - started

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = [
        f"{args.jobs} GHZ jobs (2-5 qubits), {args.shots} shots each; database {db}, broker Redis, 1 solo worker",
        f"queued:  {queued_s:.2f} s wall ({submitted_s:.2f} s to submit), {args.jobs / queued_s:.1f} jobs/s, "
        f"submit-to-finish p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms; not completed: {failed or 'none'}",
        f"direct:  {direct_s:.2f} s wall, {args.jobs / direct_s:.1f} jobs/s (Aer in-process, same circuits)",
        f"overhead ratio (queued wall / direct wall): {queued_s / direct_s:.2f}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
