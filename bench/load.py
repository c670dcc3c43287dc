"""Load benchmark: bookings, availability and job submission through gunicorn, against a DRF floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qfr_loadbench CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \
        .venv/bin/python bench/load.py [--clients 16] [--seconds 10] [--max-requests 4000] [--worker]

Creates the database if it is missing and migrates it, seeds a `load-star` backend (a policy that lets the
load through: no per-project cap, no approval), projects with ample allocations, one user and API token per
client, and a booking in progress for the jobs project. Starts `gunicorn config.wsgi -w 2` on a free loopback
port with the production settings (`config.settings.base`), then a second process drives it: for each phase
`--clients` threads send requests with `http.client` for at most `--seconds` seconds and `--max-requests`
requests (after an unmeasured warm-up of two requests per client), one endpoint per phase:

- `healthz`:   GET /healthz (plain Django, no database): the process floor;
- `drf floor`: GET /api/v1/users/me/ (token auth, throttle, one small serializer): the framework floor the
  endpoints below are compared with (the project has no emptier DRF view); measured again as `drf floor 2`
  after the other phases, and the mean of the two is the floor;
- `availability`: GET /api/v1/backends/{id}/availability/ over the 7 days the bookings fill;
- `bookings`:  POST /api/v1/bookings/ of 15-60 min at random slots in those 7 days, overlapping on purpose:
  201 or 409 `booking_conflict` are expected, anything else is an error;
- `jobs`:      POST /api/v1/jobs/ of a 3-qubit GHZ circuit (parsed and transpiled in the request).

Prints requests/s, p50/p95/p99 latency, errors, and each endpoint's ratio to the DRF floor (p50 latency and
throughput); then checks in the database that no two active bookings of a backend overlap and that every 201
left exactly one row. Exits 1 on any error or double booking. Without `--worker` the queued jobs stay
queued (a Celery worker would compete with gunicorn for the two cores); the qpu queue is purged at the end.
Loopback only; every loop is bounded in count and time. Never part of the test run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DJANGO_SECRET_KEY": "load-bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": HOST,
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "DJANGO_LOG_LEVEL": "ERROR",
    "API_THROTTLE_ANON": "1000000/min",
    "API_THROTTLE_USER": "1000000/min",
}
GHZ3 = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
    "h q[0];\ncx q[0], q[1];\ncx q[1], q[2];\nmeasure q -> c;\n"
)
SLOT = timedelta(minutes=15)
DAYS = 7
FLOOR = "drf floor"
FLOOR_AGAIN = "drf floor 2"
BOOKING_TARGET = 2.0  # the booking path's target: POST p50 within 2x the DRF floor


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the driving process (no Django in it) ---


@dataclass
class Phase:
    """One endpoint driven by every client: method, path, and a body maker (None for GET)."""

    name: str
    method: str
    path: str
    body: str | None = None  # "booking" or "job"
    expected: frozenset[tuple[int, str]] = frozenset({(200, "")})


@dataclass
class PhaseResult:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def _body(kind: str | None, plan: dict[str, Any], client: int, rng: random.Random, purpose: str) -> bytes | None:
    if kind == "booking":
        first = datetime.fromisoformat(plan["first_slot"])
        start = first + rng.randrange(DAYS * 24 * 4) * SLOT
        end = start + rng.randint(1, 4) * SLOT
        body = {
            "backend": plan["backend"],
            "project": plan["projects"][client % len(plan["projects"])],
            "start": iso_z(start),
            "end": iso_z(end),
            "purpose": purpose,
        }
    elif kind == "job":
        body = {"backend": plan["backend"], "project": plan["jobs_project"], "qasm": GHZ3, "shots": 100, "seed": 7}
    else:
        return None
    return json.dumps(body).encode()


def _client_loop(
    phase: Phase,
    plan: dict[str, Any],
    client: int,
    deadline: float,
    budget: list[int],
    result: PhaseResult,
    purpose: str = "load",
) -> None:
    rng = random.Random(client)  # reproducible load
    lock = plan["_lock"]
    headers = {"Authorization": f"Token {plan['tokens'][client]}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(HOST, plan["port"], timeout=30)
    try:
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            body = _body(phase.body, plan, client, rng, purpose)
            started = time.perf_counter()
            try:
                conn.request(phase.method, phase.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                    result.outcomes["exception"] += 1
                continue
            elapsed = time.perf_counter() - started
            if response.getheader("Connection", "").lower() == "close":
                conn.close()  # gunicorn's sync workers close after each response; reconnect next time
            code = ""
            if response.status >= 400:
                try:
                    code = str(json.loads(payload).get("code", ""))
                except (ValueError, AttributeError):
                    code = ""
            outcome = f"{response.status} {code}".strip()
            with lock:
                result.latencies.append(elapsed)
                result.outcomes[outcome] += 1
                if (response.status, code) not in phase.expected and len(result.errors) < 5:
                    result.errors.append(f"{outcome}: {payload[:200]!r}")
    finally:
        conn.close()


def drive(plan: dict[str, Any], phases: list[Phase], out: Any) -> None:
    """Run each phase with `clients` threads; put the results (as plain dicts) on the `out` queue."""
    plan["_lock"] = threading.Lock()
    results = []
    for phase in phases:
        # Warm-up, not measured (first requests of a worker import and connect): a few requests per client.
        warm = PhaseResult(phase.name)
        _run_clients(phase, plan, [2 * plan["clients"]], warm, "warm-up")
        result = PhaseResult(phase.name)
        result.seconds = _run_clients(phase, plan, [plan["max_requests"]], result, "load")
        result.outcomes.update({f"warm-up {k}": v for k, v in warm.outcomes.items() if not _expected(phase, k)})
        result.errors.extend(warm.errors)
        errors = sum(n for outcome, n in result.outcomes.items() if not _expected(phase, outcome))
        results.append(
            {
                "name": result.name,
                "seconds": result.seconds,
                "latencies": result.latencies,
                "outcomes": dict(result.outcomes),
                "errors": errors,
                "samples": result.errors,
            }
        )
    out.put(results)


def _run_clients(phase: Phase, plan: dict[str, Any], budget: list[int], result: PhaseResult, purpose: str) -> float:
    """Every client in its own thread until the budget or the phase's time runs out; the seconds it took."""
    started = time.monotonic()
    deadline = started + plan["seconds"]
    threads = [
        threading.Thread(target=_client_loop, args=(phase, plan, c, deadline, budget, result, purpose), daemon=True)
        for c in range(plan["clients"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=plan["seconds"] + 60)
    return time.monotonic() - started


def _expected(phase: Phase, outcome: str) -> bool:
    status, _, code = outcome.partition(" ")
    return status.isdigit() and (int(status), code) in phase.expected


# --- the controlling process ---


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it is missing (SQLite creates its file itself)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return
    params = {"host": config.get("HOST") or HOST, "port": config.get("PORT") or 5432, "user": config.get("USER")}
    if config.get("PASSWORD"):
        params["password"] = config["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def seed(clients: int) -> dict[str, Any]:
    """Bench data (idempotent); earlier runs' bookings and jobs on the bench backend are removed."""
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from facility.choices import EquipmentKind, OrganizationKind
    from facility.models import Equipment, Organization, Site
    from scheduling.choices import BookingStatus, MembershipRole
    from scheduling.models import Allocation, Backend, Booking, Job, Membership, Project
    from scheduling.services.backends import backend_create, booking_policy_update

    call_command("migrate", verbosity=0)
    org, _ = Organization.objects.get_or_create(
        name="Load Bench University", defaults={"kind": OrganizationKind.UNIVERSITY, "country": "KR"}
    )
    site, _ = Site.objects.get_or_create(
        name="Load bench site", defaults={"organization": org, "city": "Cheongju", "country": "KR", "time_zone": "UTC"}
    )
    equipment, _ = Equipment.objects.get_or_create(
        serial_number="LOAD-1",
        manufacturer="Bench",
        defaults={"site": site, "name": "Load bench QPU", "kind": EquipmentKind.QPU},
    )
    backend = Backend.objects.filter(name="load-star").first() or backend_create(
        name="load-star",
        display_name="Load bench star",
        site=site,
        equipment=equipment,
        policy={"max_future_bookings": 100_000, "approval_over_minutes": None, "horizon_days": 28},
    )
    # The jobs phase measures submission, not the fair-queue cap (queue_full is tested in the suite).
    booking_policy_update(backend=backend, max_queued_jobs=1_000_000)
    Job.objects.filter(backend=backend).delete()  # only bench data lives on this backend
    Booking.objects.filter(backend=backend).delete()

    now = timezone.now()
    users = []
    for i in range(clients):
        user, created = User.objects.get_or_create(username=f"load{i}", defaults={"email": f"load{i}@example.org"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    projects = []
    for i in range(4):
        project, _ = Project.objects.get_or_create(
            code=f"LOAD-{i}", defaults={"title": f"Load bench {i}", "institution": org, "pi": users[0]}
        )
        projects.append(project)
        Allocation.objects.get_or_create(
            project=project,
            backend=backend,
            defaults={
                "hours": 1_000_000,
                "valid_from": now.date() - timedelta(days=1),
                "valid_until": now.date() + timedelta(days=60),
            },
        )
    for project in projects:
        for user in users:
            Membership.objects.get_or_create(
                project=project,
                user=user,
                defaults={"role": MembershipRole.PI if user == users[0] else MembershipRole.MEMBER},
            )
    jobs_project = projects[0]
    hour = now.replace(minute=0, second=0, microsecond=0)
    Booking.objects.create(  # the booking the submitted jobs run in
        backend=backend,
        project=jobs_project,
        user=users[0],
        starts_at=hour,
        ends_at=hour + timedelta(hours=4),
        status=BookingStatus.CONFIRMED,
        override_policy=True,
        purpose="load bench jobs",
    )
    first_slot = (hour + timedelta(days=1)).replace(hour=0)
    return {
        "backend": backend.pk,
        "projects": [p.pk for p in projects],
        "jobs_project": jobs_project.pk,
        "tokens": [Token.objects.get_or_create(user=user)[0].key for user in users],
        "user_ids": [u.pk for u in users],
        "first_slot": first_slot.isoformat(),
        "last_slot": (first_slot + timedelta(days=DAYS + 1)).isoformat(),
    }


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def check_bookings(plan: dict[str, Any], created: int) -> tuple[int, int]:
    """(overlapping pairs of active bookings on the bench backend, active bench bookings made by the load)."""
    from django.db import connection

    from scheduling.choices import ACTIVE_BOOKING_STATUSES
    from scheduling.models import Booking

    statuses = [str(s) for s in ACTIVE_BOOKING_STATUSES]
    table = Booking._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} a JOIN {table} b ON a.backend_id = b.backend_id AND a.id < b.id "
            "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            f"WHERE a.backend_id = %s AND a.status IN ({', '.join(['%s'] * len(statuses))}) "
            f"AND b.status IN ({', '.join(['%s'] * len(statuses))})",
            [plan["backend"], *statuses, *statuses],
        )
        overlaps = int(cursor.fetchone()[0])
    made = Booking.objects.filter(backend=plan["backend"], purpose="load", status__in=statuses).count()
    return overlaps, made


def report(results: list[dict[str, Any]], args: argparse.Namespace, db: str, cache: str) -> list[str]:
    # The floor is measured before the endpoints and again after them; its figures are the mean of the two, so
    # that a machine that slows down or speeds up during the run moves the floor with the endpoints.
    floors = [r for r in results if r["name"] in (FLOOR, FLOOR_AGAIN) and r["latencies"]]
    floor_rps = statistics.mean(len(r["latencies"]) / r["seconds"] for r in floors)
    floor_p50 = statistics.mean(statistics.median(r["latencies"]) for r in floors)
    lines = [
        f"gunicorn -w 2 (sync) on {HOST}, database {db}, cache {cache}; {args.clients} clients in a second process,"
        f" each phase at most {args.seconds:g} s and {args.max_requests} requests",
        f"{'endpoint':<14}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'p50/floor':>11}{'floor rps/rps':>15}  outcomes",
    ]
    for r in results:
        lat = r["latencies"]
        if not lat:
            lines.append(f"{r['name']:<14} no answers; errors {r['errors']} {r['samples']}")
            continue
        rps = len(lat) / r["seconds"]
        p50 = statistics.median(lat)
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(r["outcomes"].items()))
        lines.append(
            f"{r['name']:<14}{len(lat):>9}{rps:>9.1f}{p50 * 1000:>9.1f}{percentile(lat, 0.95) * 1000:>9.1f}"
            f"{percentile(lat, 0.99) * 1000:>9.1f}{r['errors']:>8}{p50 / floor_p50:>11.2f}{floor_rps / rps:>15.2f}"
            f"  {outcomes}"
        )
        lines.extend(f"    sample error: {s}" for s in r["samples"][:3] if r["errors"])
    lines.append(
        f"floor (mean of the runs before and after): p50 {floor_p50 * 1000:.1f} ms, {floor_rps:.1f} req/s;"
        f" target: bookings p50 within {BOOKING_TARGET:g}x the floor"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="longest time of each phase")
    parser.add_argument("--max-requests", type=int, default=4000, help="most requests of each phase")
    parser.add_argument("--worker", action="store_true", help="also run a Celery worker for the jobs")
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 120 or not 1 <= args.max_requests <= 50_000:
        parser.error("keep it bounded: 1-64 clients, at most 120 s and 50000 requests a phase")

    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not database_url:
        parser.error("DATABASE_URL is required (the bench's own database)")
    cache_url = broker_url if broker_url.startswith("redis://") else "locmemcache://"
    env = {**os.environ, **SERVER_ENV, "CACHE_URL": cache_url}
    os.environ.update(SERVER_ENV)
    os.environ["CACHE_URL"] = cache_url
    sys.path.insert(0, str(BASE_DIR))

    ensure_database(database_url)
    import django

    django.setup()
    from django.conf import settings

    plan = seed(args.clients)
    port = free_port()
    plan.update(port=port, clients=args.clients, seconds=args.seconds, max_requests=args.max_requests)
    window = f"start={plan['first_slot'][:19]}Z&end={plan['last_slot'][:19]}Z"
    conflict = frozenset({(201, ""), (409, "booking_conflict")})
    phases = [
        Phase("healthz", "GET", "/healthz"),
        Phase(FLOOR, "GET", "/api/v1/users/me/"),
        Phase("availability", "GET", f"/api/v1/backends/{plan['backend']}/availability/?{window}"),
        Phase("bookings", "POST", "/api/v1/bookings/", body="booking", expected=conflict),
        Phase("jobs", "POST", "/api/v1/jobs/", body="job", expected=frozenset({(201, "")})),
        Phase(FLOOR_AGAIN, "GET", "/api/v1/users/me/"),
    ]

    bin_dir = Path(sys.executable).parent
    log_dir = Path(tempfile.mkdtemp(prefix="qfr-load-"))
    server = worker = None
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    try:
        with (log_dir / "gunicorn.log").open("wb") as server_log:
            server = subprocess.Popen(  # noqa: S603 (fixed command line)
                [str(bin_dir / "gunicorn"), "config.wsgi", "-b", f"{HOST}:{port}", "-w", "2"],
                cwd=BASE_DIR,
                env=env,
                stdout=server_log,
                stderr=server_log,
                start_new_session=True,
            )
        if args.worker:
            with (log_dir / "worker.log").open("wb") as worker_log:
                worker = subprocess.Popen(  # noqa: S603 (fixed command line)
                    [str(bin_dir / "celery"), "-A", "config", "worker", "-Q", "qpu", "-P", "solo", "-c", "1",
                     "-l", "WARNING", "-n", "load@%h"],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=worker_log,
                    stderr=worker_log,
                    start_new_session=True,
                )  # fmt: skip
        wait_until_up(port, server)
        queue = context.Queue()
        driver = context.Process(target=drive, args=(plan, phases, queue))
        driver.start()
        budget = len(phases) * 2 * (args.seconds + 60)
        results = queue.get(timeout=budget)
        driver.join(timeout=30)
        if driver.is_alive():
            driver.kill()
    finally:
        stop(server)
        stop(worker)
        if broker_url.startswith("redis://"):
            from config.celery import app

            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge("qpu")

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = report(results, args, db, cache_url.split(":", 1)[0])
    created = next(r for r in results if r["name"] == "bookings")["outcomes"].get("201", 0)
    overlaps, made = check_bookings(plan, created)
    lines.append(
        f"double bookings (overlapping active pairs on the backend): {overlaps}; "
        f"201 answers {created}, active bookings made {made}"
    )
    lines.append(f"server log: {log_dir / 'gunicorn.log'}")
    sys.stdout.write("\n".join(lines) + "\n")
    errors = sum(r["errors"] for r in results)
    return 1 if errors or overlaps or created != made else 0


if __name__ == "__main__":
    sys.exit(main())
