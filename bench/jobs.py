"""Benchmark: GHZ jobs through the whole queue against the true floor, raw Aer, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qfr_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python bench/jobs.py --jobs 50 --batch 100 --shots 1000

Floor: one AerSimulator with the prebuilt noise model of the backend's calibration, the GHZ(5) circuits already
transpiled and scheduled (idle relaxation in place), one ``run(...).result()`` per job and one for the whole
batch; measured in this process just before and just after each phase (the mean is that phase's floor: this
machine's speed drifts from minute to minute), while the worker waits. The jobs without a seed are also set
against their circuits in one Aer run, the floor of a pass of such jobs (scheduling.services.jobs.execute).

Set-up: `gunicorn config.wsgi -w 2` and `celery -A config worker -Q qpu -P solo` (Redis broker; the README's
production qpu worker) on the production settings, after unmeasured warm-up jobs.

Through the queue (the targets: 1.5x the floor for single jobs, 1.2x for the batch): `--jobs` single-circuit jobs
are POSTed while the worker takes nothing from the qpu queue, then it is let go; once with a seed each, once
without; then one job of `--batch` circuits the same way; `--rounds` times (the round with the median ratio is
shown, and every round's ratio). Wall time is from letting the worker go (the control message included) to the
last `finished_at`: the messages' delivery, the claims, the simulation process and the results written, against
raw Aer on circuits ready to run.

Submitted over HTTP: the same jobs POSTed to /api/v1/jobs/ with a token (`--clients` at a time) while the worker
runs, then the batch; from the first POST to the last `finished_at`, with p50/p95 submit-to-finish. These are
bound by submission, which compiles every circuit (the floor's circuits are compiled beforehand, by
definition): the run also measures what submitting cannot take less than, the API's floor (as many trivial
authenticated GETs) and compiling the same circuits in this process.

Prints jobs/s, circuits/s, the ratios to the floor and the worker's memory; then the simulator-level table of
bench/simulator.py (no queue). Migrates the database it is given; only bench data lives on its backend.
Never part of the test run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import HOST, SERVER_ENV, ensure_database, free_port, percentile, stop, wait_until_up  # noqa: E402
from bench.simulator import Floor, ghz, measure, rss_mb  # noqa: E402

BACKEND = "jobs-bench-star"
TARGETS = {"single": 1.5, "batch": 1.2}


def seed() -> dict[str, Any]:
    """The bench backend (a queue cap that lets every job in), a project, a token, a booking in progress."""
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from facility.choices import EquipmentKind, OrganizationKind
    from facility.models import Equipment, Organization, Site
    from scheduling.choices import BookingStatus, MembershipRole
    from scheduling.models import Allocation, Backend, Booking, BookingPolicy, Job, Membership, Project
    from scheduling.services.backends import backend_create, booking_policy_update

    call_command("migrate", verbosity=0)
    org, _ = Organization.objects.get_or_create(
        name="Jobs Bench University", defaults={"kind": OrganizationKind.UNIVERSITY, "country": "KR"}
    )
    site, _ = Site.objects.get_or_create(
        name="Jobs bench site", defaults={"organization": org, "city": "Cheongju", "country": "KR", "time_zone": "UTC"}
    )
    equipment, _ = Equipment.objects.get_or_create(
        serial_number="JOBS-BENCH-1",
        manufacturer="Bench",
        defaults={"site": site, "name": "Jobs bench QPU", "kind": EquipmentKind.QPU},
    )
    policy: dict[str, Any] = {"max_future_bookings": 1000}
    if any(f.name == "max_queued_jobs" for f in BookingPolicy._meta.get_fields()):
        policy["max_queued_jobs"] = 100_000
    backend = Backend.objects.filter(name=BACKEND).first() or backend_create(
        name=BACKEND, display_name="Jobs bench star", site=site, equipment=equipment
    )
    booking_policy_update(backend=backend, **policy)
    Job.objects.filter(backend=backend).delete()  # only bench data lives on this backend
    Booking.objects.filter(backend=backend).delete()
    user, _ = User.objects.get_or_create(username="jobs-bench", defaults={"email": "jobs-bench@example.org"})
    project, _ = Project.objects.get_or_create(
        code="JOBS-BENCH-1", defaults={"title": "Jobs benchmark", "institution": org, "pi": user}
    )
    Membership.objects.get_or_create(project=project, user=user, defaults={"role": MembershipRole.PI})
    now = timezone.now()
    Allocation.objects.get_or_create(
        project=project,
        backend=backend,
        defaults={
            "hours": 100_000,
            "valid_from": now.date() - timedelta(days=1),
            "valid_until": now.date() + timedelta(days=60),
        },
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    Booking.objects.create(
        backend=backend,
        project=project,
        user=user,
        starts_at=hour,
        ends_at=hour + timedelta(hours=4),
        status=BookingStatus.CONFIRMED,
        override_policy=True,
        purpose="jobs benchmark",
    )
    return {"backend": backend, "project": project.pk, "token": Token.objects.get_or_create(user=user)[0].key}


class Floors:
    """The floor, raw Aer with the prebuilt noise model of the backend's calibration on GHZ(5) circuits compiled
    and scheduled beforehand (idle relaxation in place), and the compiler's share of a submission, which the
    floor leaves out by definition. Each method returns the wall seconds of one measurement, in this process."""

    def __init__(self, backend: Any, jobs: int, batch: int, shots: int) -> None:
        from scheduling.calibration import calibration_from_record, timing_from_backend
        from scheduling.selectors import calibration_latest
        from scheduling.simulator import prepare_batch

        calibration = calibration_from_record(calibration_latest(backend=backend))
        self.timing, self.jobs, self.batch_size, self.shots = timing_from_backend(backend), jobs, batch, shots
        (circuit,) = prepare_batch([ghz(5)], timing=self.timing)
        self.singles = Floor([circuit] * jobs, calibration, self.timing)
        self.many = Floor([circuit] * batch, calibration, self.timing)
        self.singles.run_each(shots)  # warm: the first Aer run of a process pays for loading its libraries

    @staticmethod
    def _wall(method: Callable[[], object]) -> float:
        started = time.perf_counter()
        method()
        return time.perf_counter() - started

    def single(self) -> float:
        """`jobs` one-circuit runs, one `run().result()` each."""
        return self._wall(lambda: self.singles.run_each(self.shots))

    def batch(self) -> float:
        """One run of the batch's circuits."""
        return self._wall(lambda: self.many.run_all(self.shots))

    def single_one_run(self) -> float:
        """The `jobs` circuits in one run: what a pass of jobs without a seed comes down to."""
        return self._wall(lambda: self.singles.run_all(self.shots))

    def compile_single(self) -> float:
        """Parsing and transpiling `jobs` circuits one at a time, as that many POSTs must."""
        from scheduling.simulator import prepare_batch

        return self._wall(lambda: [prepare_batch([ghz(5)], timing=self.timing) for _ in range(self.jobs)])

    def compile_batch(self) -> float:
        """Parsing and transpiling the batch's circuits, as its POST must."""
        from scheduling.simulator import prepare_batch

        return self._wall(lambda: prepare_batch([ghz(5)] * self.batch_size, timing=self.timing))


def paired(
    floor: Callable[[], float], phase: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """`phase(*args, **kwargs)` with the floor measured just before and just after it (the mean is its floor), so
    that a machine whose speed drifts from minute to minute slows both alike."""
    before = floor()
    result = phase(*args, **kwargs)
    return {**result, "floor": (before + floor()) / 2}


class Client:
    """POSTs jobs to the API over one keep-alive-less HTTP connection per request (gunicorn sync workers)."""

    def __init__(self, port: int, token: str, backend: int, project: int) -> None:
        self.port, self.token, self.backend, self.project = port, token, backend, project

    def submit(self, body: dict[str, Any]) -> int:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        payload = {"backend": self.backend, "project": self.project} | body
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        conn.request("POST", "/api/v1/jobs/", body=json.dumps(payload).encode(), headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        if response.status != 201:
            raise RuntimeError(f"POST /api/v1/jobs/ answered {response.status}: {data[:500]!r}")
        return int(json.loads(data)["id"])

    def floor_request(self, _index: int) -> None:
        """The API's floor (bench/load.py's `drf floor`): GET /api/v1/users/me/, token auth, throttle, one small
        serializer, over the same kind of connection as a POST."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        conn.request("GET", "/api/v1/users/me/", headers={"Authorization": f"Token {self.token}"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET /api/v1/users/me/ answered {response.status}")


def api_floor(client: Client, count: int, clients: int) -> float:
    """Wall seconds of `count` requests to the API's floor, `clients` at a time: what submitting `count` jobs
    cannot go below, however little a job's POST did. The best of three rounds, after an unmeasured one (a web
    worker's first requests to an endpoint pay for what it loads once)."""
    rounds = []
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(4):
            started = time.perf_counter()
            list(pool.map(client.floor_request, range(count)))
            rounds.append(time.perf_counter() - started)
    return min(rounds[1:])


def wait_finished(ids: list[int], timeout: float) -> list[Any]:
    from scheduling.models import Job

    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs still unfinished after {timeout:.0f} s")
        time.sleep(0.02)
    return list(Job.objects.filter(pk__in=ids))


def not_completed(jobs: list[Any]) -> list[str]:
    """Each job that did not complete, with its status and error."""
    return [
        f"{job.pk}: {job.status} {job.error_code or ''} {job.error[:200]}" for job in jobs if job.status != "completed"
    ]


def through_queue(client: Client, bodies: list[dict[str, Any]], timeout: float, clients: int = 1) -> dict[str, Any]:
    """Submit every body (`clients` at a time), wait for all to finish; wall from the first POST to the last finish."""
    started = time.time()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        ids = list(pool.map(client.submit, bodies))
    submitted_s = time.time() - started
    jobs = wait_finished(ids, timeout)
    failed = not_completed(jobs)
    latencies = [(job.finished_at - job.submitted_at).total_seconds() for job in jobs]
    last = max(job.finished_at.timestamp() for job in jobs)
    # The worker's share: from the first job it started to the last one it finished (submission excluded).
    run_s = last - min(job.started_at.timestamp() for job in jobs if job.started_at)
    return {
        "wall": last - started,
        "run": run_s,
        "submitted": submitted_s,
        "latencies": latencies,
        "failed": failed,
        "jobs": len(jobs),
    }


def through_held_queue(client: Client, bodies: list[dict[str, Any]], worker: str, timeout: float) -> dict[str, Any]:
    """The queue's own pace: every body submitted (and so compiled and stored) while the worker consumes nothing
    from the qpu queue; then the worker is let go. `run` is from the moment it is let go (before the control
    message is sent, so the messages' delivery counts) to the last finish."""
    from config.celery import app

    app.control.cancel_consumer("qpu", destination=[worker], reply=True, timeout=10)
    try:
        ids = [client.submit(body) for body in bodies]
    finally:
        released = time.time()
        app.control.add_consumer("qpu", destination=[worker], reply=True, timeout=10)
    jobs = wait_finished(ids, timeout)
    failed = not_completed(jobs)
    last = max(job.finished_at.timestamp() for job in jobs)
    first = min(job.started_at.timestamp() for job in jobs if job.started_at)
    return {"run": last - released, "first_start": first - released, "failed": failed, "jobs": len(jobs)}


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=out, start_new_session=True)  # noqa: S603


def run_queue(args: argparse.Namespace, plan: dict[str, Any], env: dict[str, str], floors: Floors) -> dict[str, Any]:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("qpu")
    bin_dir, log_dir, port = Path(sys.executable).parent, Path(tempfile.mkdtemp(prefix="qfr-jobs-")), free_port()
    server = start(
        [str(bin_dir / "gunicorn"), "config.wsgi", "-b", f"{HOST}:{port}", "-w", str(args.web_workers)],
        env,
        log_dir / "web.log",
    )
    worker = start(
        [str(bin_dir / "celery"), "-A", "config", "worker", "-Q", "qpu", "-P", "solo", "-c", "1", "-l", "WARNING",
         "-n", "jobsbench@%h"],
        env,
        log_dir / "worker.log",
    )  # fmt: skip
    try:
        wait_until_up(port, server)
        client = Client(port, plan["token"], plan["backend"].pk, plan["project"])
        # Warm-up, not measured: a job POST at a time per web worker, so that each has loaded the circuit compiler.
        warm = [{"qasm": ghz(5), "shots": 10, "seed": 1}] * (2 * args.web_workers)
        through_queue(client, warm, timeout=300, clients=2 * args.web_workers)
        out: dict[str, Any] = {"rss_idle": rss_mb(worker.pid), "api_floor": api_floor(client, args.jobs, args.clients)}
        singles = [{"qasm": ghz(5), "shots": args.shots, "seed": i} for i in range(args.jobs)]
        circuits = [{"qasm": ghz(5), "name": f"ghz-{i}"} for i in range(args.batch)]
        out["single"] = paired(floors.single, through_queue, client, singles, timeout=600, clients=args.clients)
        out["batch"] = paired(
            floors.batch, through_queue, client, [{"circuits": circuits, "shots": args.shots, "seed": 1}], timeout=600
        )
        name = f"jobsbench@{socket.gethostname()}"
        held: dict[str, list[dict[str, Any]]] = {"single_held": [], "single_held_unseeded": [], "batch_held": []}
        for round_ in range(1, args.rounds + 1):
            seeded = [{**body, "seed": body["seed"] + round_ * args.jobs} for body in singles]
            unseeded = [{"qasm": ghz(5), "shots": args.shots} for _ in range(args.jobs)]
            batch = [{"circuits": circuits, "shots": args.shots, "seed": 1 + round_}]
            held["single_held"].append(paired(floors.single, through_held_queue, client, seeded, name, timeout=600))
            unseeded_run = paired(floors.single, through_held_queue, client, unseeded, name, timeout=600)
            held["single_held_unseeded"].append({**unseeded_run, "one_run": floors.single_one_run()})
            held["batch_held"].append(paired(floors.batch, through_held_queue, client, batch, name, timeout=600))
        out |= held
        out["rss"], out["hwm"] = rss_mb(worker.pid), hwm_mb(worker.pid)
        out["family"] = family_memory(worker.pid)
        out["logs"] = str(log_dir)
        return out
    finally:
        stop(server)
        stop(worker)


def descendants(pid: int) -> list[int]:
    """The processes below a process (Linux): the worker's simulation process (and a pool's processes, if any)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def pss_mb(pid: int) -> float:
    """Proportional set size in MB (Linux): resident pages, shared ones divided among the processes sharing them."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def family_memory(pid: int) -> str:
    """The worker with the processes below it: their proportional set sizes summed, and each one's."""
    family = [pid, *descendants(pid)]
    each = " + ".join(f"{rss_mb(member):.0f}" for member in family)
    shares = " + ".join(f"{pss_mb(member):.0f}" for member in family)
    return f"{sum(pss_mb(member) for member in family):.0f} MB PSS ({shares}; {len(family)} processes, RSS {each} MB)"


def hwm_mb(pid: int) -> float:
    """Peak resident set size of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _median_row(rounds: list[dict[str, Any]], circuits: int, target: float) -> str:
    ratios = [r["run"] / r["floor"] for r in rounds]
    middle = sorted(rounds, key=lambda r: r["run"] / r["floor"])[len(rounds) // 2]
    failed = [f for r in rounds for f in r["failed"]]
    return (
        f"{middle['run']:8.2f}{middle['floor']:9.3f}{middle['run'] / middle['floor']:8.2f}{target:7.1f}"
        f"{middle['jobs'] / middle['run']:8.1f}{circuits / middle['run']:8.1f}{middle['first_start'] * 1000:8.0f}ms"
        f"   rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)}; not completed: {failed or 'none'}"
    )


def report(args: argparse.Namespace, queue: dict[str, Any], compiled: dict[str, float], db: str) -> list[str]:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"GHZ(5), {args.shots} shots; load average {load} on {os.cpu_count()} CPUs; database {db}, broker Redis, "
        f"gunicorn -w {args.web_workers}, {args.clients} submitting clients, the README's qpu worker (-P solo);",
        "floor = raw Aer (prebuilt noise model, circuits compiled and scheduled beforehand), measured just before "
        "and just after each phase (the mean)",
        "",
        "Through the queue (the targets): the jobs submitted while the worker takes nothing from the qpu queue, then "
        f"it is let go; from letting it go to the last finish; the round with the median ratio of {args.rounds}",
        f"{'':40}{'wall s':>8}{'floor s':>9}{'x floor':>8}{'target':>7}{'jobs/s':>8}{'circ/s':>8}{'1st start':>10}",
    ]
    for key, label, phase, circuits in (
        ("single_held", f"{args.jobs} single-circuit jobs, each seeded", "single", args.jobs),
        ("single_held_unseeded", f"{args.jobs} single-circuit jobs, no seed", "single", args.jobs),
        ("batch_held", f"1 job of {args.batch} circuits", "batch", args.batch),
    ):
        lines.append(f"{label:40}" + _median_row(queue[key], circuits, TARGETS[phase]))
    shared = ", ".join(f"{r['run'] / r['one_run']:.2f}x {r['one_run']:.3f} s" for r in queue["single_held_unseeded"])
    lines.append(f"(the jobs without a seed share Aer runs; against their circuits in one Aer run: {shared})")
    lines += [
        "",
        "Submitted over HTTP while the worker runs: from the first POST to the last finish (bound by submission: "
        "every POST compiles its circuits, which the floor has done beforehand)",
        f"{'':40}{'wall s':>8}{'floor s':>9}{'x floor':>8}{'jobs/s':>8}{'circ/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'POSTs s':>8}{'worker x':>9}",
    ]
    for phase, circuits in (("single", args.jobs), ("batch", args.batch)):
        result = queue[phase]
        wall, lat, floor = result["wall"], result["latencies"], result["floor"]
        label = f"{args.jobs} single-circuit jobs" if phase == "single" else f"1 job of {circuits} circuits"
        lines.append(
            f"{label:40}{wall:8.2f}{floor:9.3f}{wall / floor:8.2f}{result['jobs'] / wall:8.1f}"
            f"{circuits / wall:8.1f}{statistics.median(lat) * 1000:8.0f}{percentile(lat, 0.95) * 1000:8.0f}"
            f"{result['submitted']:8.2f}{result['run'] / floor:9.2f}"
            f"   not completed: {result['failed'] or 'none'}"
        )
    lines += [
        "(worker x: from the first job the worker started to the last it finished, against the floor)",
        f"what submitting cannot take less than, in this run: the API's floor, {args.jobs} GET /api/v1/users/me/, "
        f"{args.clients} at a time, {queue['api_floor']:.2f} s at best; compiling the circuits in this process, "
        f"{args.jobs} one at a time {compiled['single']:.2f} s, the {args.batch} of the batch "
        f"{compiled['batch']:.2f} s",
        "",
        f"worker main process RSS: {queue['rss_idle']:.0f} MB after the warm-up job, {queue['rss']:.0f} MB at the end, "
        f"peak {queue['hwm']:.0f} MB (target < 250 MB); logs in {queue['logs']}",
        f"worker with its simulation process, at the end: {queue['family']}",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent submitters of the single jobs")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the queued-then-run phases (the median)")
    parser.add_argument("--simulator-rounds", type=int, default=3, help="0 skips the simulator-level table")
    args = parser.parse_args()
    if not (
        1 <= args.jobs <= 500
        and 1 <= args.batch <= 500
        and 1 <= args.shots <= 100_000
        and 1 <= args.clients <= 16
        and 1 <= args.rounds <= 9
    ):
        parser.error("keep it bounded: 1-500 jobs, 1-500 circuits, 1-100000 shots, 1-16 clients")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not os.environ.get("DATABASE_URL") or not broker_url.startswith("redis://"):
        parser.error("DATABASE_URL (the bench's own database) and a redis:// CELERY_BROKER_URL are required")
    os.environ.update(SERVER_ENV, CACHE_URL=broker_url)
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings

    plan = seed()
    floors = Floors(plan["backend"], args.jobs, args.batch, args.shots)
    queue = run_queue(args, plan, dict(os.environ), floors)
    compiled = {"single": floors.compile_single(), "batch": floors.compile_batch()}
    lines = report(args, queue, compiled, settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1])
    if args.simulator_rounds:
        lines += ["", "Simulator alone (bench/simulator.py):"]
        lines += measure(args.jobs, args.batch, args.shots, args.simulator_rounds)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
