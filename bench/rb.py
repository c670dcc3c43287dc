"""Benchmark of the facility: randomized benchmarking through the job API on every qubit (StandardRB: PRX) and
every coupler (InterleavedRB: CZ), the recovered average gate fidelity next to the calibration's.

Against a running site (staff or a researcher with a booking in progress or to come on the backend):

    .venv/bin/python bench/rb.py --url https://qfr.example.ac.kr --token TOKEN --backend spark [--booking ID]

Locally (`make bench`), on the database and broker given, with gunicorn and a worker of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qfr_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python bench/rb.py --local

`--local` migrates the database, adds a `bench-rb` backend (default calibration), a project with a member, an
allocation and a booking in progress if missing, starts the site (tests/clients/site.py) and stops it at the
end. Prints per qubit and coupler: configured and recovered fidelity with its standard error, the difference,
circuits, jobs, metered QPU seconds and wall time. Never part of the test run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def local_site(workdir: Path) -> tuple[Any, str, str, int]:
    """Set up the local database and start the site: (site, url, token, booking id)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.clients.site_settings")
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from scheduling.choices import BookingStatus
    from scheduling.models import Backend, Booking, Project
    from scheduling.selectors.common import slot_floor
    from scheduling.services import allocation_create, booking_create, project_create
    from tests.clients.site import LiveSite
    from tests.factories import OrganizationFactory, UserFactory, make_backend

    call_command("migrate", verbosity=0)
    backend = Backend.objects.filter(name="bench-rb").first() or make_backend(name="bench-rb", display_name="RB")
    project = Project.objects.filter(code="BENCH-RB").first()
    if project is None:
        pi: Any = UserFactory(username="bench-rb")
        project = project_create(code="BENCH-RB", title="RB", institution=OrganizationFactory(), pi=pi)
        today = timezone.now().date()
        allocation_create(
            project=project,
            backend=backend,
            hours=Decimal(1000),
            valid_from=today - dt.timedelta(days=1),
            valid_until=today + dt.timedelta(days=365),
        )
    member: Any = project.pi  # the PI is a member (project_create)
    now = timezone.now()
    booking = Booking.objects.filter(
        backend=backend, project=project, status=BookingStatus.CONFIRMED, starts_at__lte=now, ends_at__gt=now
    ).first()
    if booking is None or booking.ends_at - now < dt.timedelta(hours=1):
        start = booking.ends_at if booking is not None else slot_floor(now, 15)
        booking = booking_create(
            backend=backend, project=project, user=member, starts_at=start, ends_at=start + dt.timedelta(hours=2)
        )
    token = str(Token.objects.get_or_create(user=member)[0].key)
    site = LiveSite(logs=workdir, broker_url=settings.CELERY_BROKER_URL).start()
    return site, site.url, token, booking.pk


def row(result: Any) -> str:
    configured = "—" if result.configured is None else f"{result.configured:.5f}"
    delta = "—" if result.configured is None else f"{abs(result.recovered - result.configured):.5f}"
    return (
        f"| {result.gate} | {result.where} | {configured} | {result.recovered:.5f} ± {result.stderr:.5f} | {delta} "
        f"| {result.circuits} | {len(result.jobs)} | {result.qpu_seconds:.1f} | {result.wall_seconds:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--token", default=os.environ.get("QFR_TOKEN"))
    parser.add_argument("--backend", default="spark")
    parser.add_argument("--booking", type=int)
    parser.add_argument("--local", action="store_true", help="start a local site on DATABASE_URL")
    parser.add_argument("--qubits", help="comma-separated, e.g. QB1,QB3 (default: every qubit)")
    parser.add_argument("--couplers", help="comma-separated, e.g. QB1-QB3 (default: every coupler)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--qasm-version", type=int, default=2, choices=(2, 3))
    args = parser.parse_args()

    from qfr_qiskit import QFRProvider
    from qfr_qiskit.benchmarking import cz_fidelity, prx_fidelity

    site = None
    with tempfile.TemporaryDirectory(prefix="bench-rb-") as workdir:
        if args.local:
            site, args.url, args.token, args.booking = local_site(Path(workdir))
            args.backend = "bench-rb"
        if not args.url or not args.token:
            parser.error("give --url and --token (or QFR_TOKEN), or --local")
        try:
            started = time.monotonic()
            backend = QFRProvider(url=args.url, token=args.token).get_backend(args.backend)
            qubits = args.qubits.split(",") if args.qubits else backend.qubit_names
            names = backend.qubit_names
            couplers = (
                args.couplers.split(",") if args.couplers else [f"{names[a]}-{names[b]}" for a, b in backend.couplers]
            )
            # Each qubit and coupler gets sequences of its own (seed + its position): independent estimates.
            options = {"booking": args.booking, "qasm_version": args.qasm_version}
            calibration = backend.calibration or {}
            print(f"{backend.name}: calibration {calibration.get('id')} measured {calibration.get('measured_at')}")
            print("| gate | where | configured | recovered ± stderr | abs. diff. | circuits | jobs | QPU s | wall s |")
            print("|---|---|---|---|---|---|---|---|---|")
            results = []
            for position, qubit in enumerate(qubits):
                results.append(prx_fidelity(backend, qubit, seed=args.seed + position, **options))
                print(row(results[-1]), flush=True)
            for position, coupler in enumerate(couplers):
                results.append(cz_fidelity(backend, coupler, seed=args.seed + position, **options))
                print(row(results[-1]), flush=True)
            qpu = sum(result.qpu_seconds for result in results)
            circuits = sum(result.circuits for result in results)
            jobs = sum(len(result.jobs) for result in results)
            print(f"| total | | | | | {circuits} | {jobs} | {qpu:.1f} | {time.monotonic() - started:.1f} |")
        finally:
            if site is not None:
                site.stop()


if __name__ == "__main__":
    main()
