"""Fault injection: a worker killed mid-report, Redis stopped while jobs are submitted, PostgreSQL restarted
under load, a job delivered while PostgreSQL is down. Every test restores the service it stopped (in `finally`)
and waits until it answers again.

The services and how to stop them come from tests/hardening/services.py: the real ones in CI, private
instances in development (`QFR_FAULT_REDIS_PORT`, `QFR_FAULT_PG_PORT`, `QFR_FAULT_PG_CLUSTER`).
"""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from config.celery import app
from core.middleware import DatabaseUnavailableMiddleware
from reports.choices import ReportStatus
from reports.models import Report
from reports.services import TEST_DELAY_ENV as REPORT_DELAY_ENV
from reports.services import report_generate, report_requeue_stale
from reports.tasks import report_generate_task
from scheduling.choices import BookingStatus, JobStatus
from scheduling.models import Backend, Booking, Job, Project
from scheduling.selectors.common import hours_between, slot_floor
from scheduling.selectors.projects import allocation_list_with_usage
from scheduling.services import allocation_create, backend_create, booking_create, membership_add, project_create
from scheduling.services.jobs import LOST_MESSAGE_AFTER, UNPUBLISHED_AFTER, job_publish_stale, job_submit
from tests.factories import EquipmentFactory, OrganizationFactory, StaffFactory, UserFactory, ghz
from tests.hardening.services import CI, postgres_service, redis_service
from tests.support import free_port, wait_for

pytestmark = pytest.mark.faults

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


# ---- helpers ---------------------------------------------------------------------------------------------


def _test_database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _spawn(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Own session: the process and anything it starts can be killed as one process group.
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603  (a fixed command line, no user input)
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _start_worker(
    name: str, queues: str, log: Path, *, pool: str = "solo", **extra_env: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.hardening.fault_worker_settings",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **extra_env,
    }
    command = [str(BIN / "celery"), "-A", "config", "worker", "-Q", queues, "-P", pool, "-c", "1"]
    return _spawn([*command, "-n", f"{name}@%h", "-l", "INFO"], env=env, log=log)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def real_broker(transactional_db) -> Iterator[None]:
    """Tasks go to the broker (not eager) for the test; its queues start empty."""
    with app.connection_for_write() as conn:
        for queue in ("default", "qpu", "reports"):
            conn.default_channel.queue_purge(queue)
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Subprocesses the test starts; all killed at the end whatever happens."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        _kill(process)


@dataclass
class World:
    """A backend with a booking in progress for `member` of `project`; `extra` projects, one member each."""

    backend: Backend
    project: Project
    member: User
    booking: Booking
    extra: list[tuple[Project, User]] = field(default_factory=list)


def _world(extra_projects: int = 0) -> World:
    qpu = EquipmentFactory()
    backend = backend_create(name="faulty", display_name="Faulty", site=qpu.site, equipment=qpu)
    today = timezone.now().date()

    def project_with_member(code: str) -> tuple[Project, User]:
        member = cast(User, UserFactory(username=f"member-{code.lower()}"))
        project = project_create(code=code, title=code, institution=OrganizationFactory(), pi=UserFactory())
        membership_add(project=project, user=member)
        allocation_create(
            project=project,
            backend=backend,
            hours=Decimal(500),
            valid_from=today - dt.timedelta(days=1),
            valid_until=today + dt.timedelta(days=60),
        )
        return project, member

    project, member = project_with_member("FAULT-0")
    start = slot_floor(timezone.now(), 15)
    booking = booking_create(
        backend=backend, project=project, user=member, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    extra = [project_with_member(f"FAULT-{i}") for i in range(1, extra_projects + 1)]
    return World(backend=backend, project=project, member=member, booking=booking, extra=extra)


def _token(user: User) -> str:
    return str(Token.objects.get_or_create(user=user)[0].key)


def _same_port(url: str, port: int) -> bool:
    return (urlsplit(url).port or 6379) == port


# ---- a worker killed in the middle of a report ------------------------------------------------------------


@pytest.mark.worker
def test_worker_killed_mid_report_leaves_it_to_be_completed_exactly_once(real_broker, processes, tmp_path):
    qpu = EquipmentFactory()
    backend = backend_create(name="reported", display_name="Reported", site=qpu.site, equipment=qpu)
    report = Report.objects.create(
        kind="utilization",
        params={"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"},
        requester=UserFactory(),
        email_to=["operations@example.org"],
    )
    mail, media = tmp_path / "mail", tmp_path / "media"
    files = {"QFR_TEST_EMAIL_DIR": str(mail), "QFR_TEST_MEDIA_ROOT": str(media)}

    # The first worker sleeps between claiming the report and computing it: killed while it is running.
    processes.append(_start_worker("doomed", "reports", tmp_path / "doomed.log", **files, **{REPORT_DELAY_ENV: "60"}))
    report_generate_task.delay(report.pk)
    wait_for(lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.RUNNING).exists(), timeout=60)
    _kill(processes[0])
    report.refresh_from_db()
    assert (report.status, report.attempts, report.finished_at, report.snapshot) == (
        ReportStatus.RUNNING,
        1,
        None,
        None,
    )

    # The broker hands the unacknowledged message to the next worker, marked redelivered: it takes the run over.
    processes.append(_start_worker("rescuer", "reports", tmp_path / "rescuer.log", **files, **{REPORT_DELAY_ENV: ""}))
    wait_for(lambda: Report.objects.filter(pk=report.pk, delivered_at__isnull=False).exists(), timeout=60)
    report.refresh_from_db()
    done = (report.status, report.attempts, report.finished_at, report.delivered_at, report.pdf.name)
    assert report.status == ReportStatus.SUCCEEDED
    assert report.attempts == 2
    assert report.snapshot is not None
    assert report.progress == 100
    assert report.error == ""

    # Nothing completes it a second time, and it produced one set of files: one PDF, one e-mail carrying it.
    time.sleep(3)
    report.refresh_from_db()
    assert (report.status, report.attempts, report.finished_at, report.delivered_at, report.pdf.name) == done
    assert [p.relative_to(media).as_posix() for p in media.rglob("*.pdf")] == [report.pdf.name]
    messages = list(mail.iterdir())
    assert len(messages) == 1
    parsed = email.message_from_bytes(messages[0].read_bytes())
    attachments = [part.get_filename() for part in parsed.walk() if part.get_filename()]
    assert attachments == [Path(report.pdf.name).name]


# ---- Redis stopped while jobs are submitted ---------------------------------------------------------------


@pytest.mark.worker
def test_redis_stopped_while_jobs_are_submitted_loses_no_accepted_job(real_broker, processes, tmp_path, api_client):
    redis = redis_service()
    if not _same_port(settings.CELERY_BROKER_URL, redis.port):
        pytest.skip(f"the broker of this run is not the Redis on port {redis.port} this test may stop")
    if not CI and redis.clients_elsewhere(int(urlsplit(settings.CELERY_BROKER_URL).path.strip("/") or 0)):
        pytest.skip(f"others use the Redis on port {redis.port}: set QFR_FAULT_REDIS_PORT to a private one")
    world = _world()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {_token(world.member)}")
    processes.append(_start_worker("steady", "qpu,reports", tmp_path / "worker.log"))
    answers: list[tuple[str, int, dict[str, Any]]] = []

    def submit(phase: str, n: int) -> None:
        for i in range(n):
            body = {"backend": world.backend.pk, "project": world.project.pk, "qasm": ghz(3), "shots": 100}
            response = api_client.post("/api/v1/jobs/", {**body, "name": f"{phase}-{i}"}, format="json")
            answers.append((phase, response.status_code, response.json()))

    report_answers = []
    try:
        submit("before", 3)
        redis.stop()
        submit("during", 4)
        # A report asked for meanwhile is accepted too (the row exists; its sweeper queues it).
        report_params = {"backend": world.backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"}
        staff = APIClient()
        staff.credentials(HTTP_AUTHORIZATION=f"Token {_token(StaffFactory(is_superuser=True))}")
        response = staff.post("/api/v1/reports/", {"kind": "utilization", "params": report_params}, format="json")
        report_answers.append((response.status_code, response.json()))
        # So is a booking: its e-mail could not be queued, which must not turn the booking into an error.
        booking = booking_create(
            backend=world.backend,
            project=world.project,
            user=world.member,
            starts_at=world.booking.ends_at,
            ends_at=world.booking.ends_at + dt.timedelta(hours=1),
        )
        assert booking.status == BookingStatus.CONFIRMED
    finally:
        redis.start()
    submit("after", 2)

    for phase, status, body in answers:
        assert status in {201, 503}, (phase, status, body)
        if status == 503:
            assert body["code"] == "broker_unavailable"
            assert body["detail"]
    accepted = [body["id"] for _phase, status, body in answers if status == 201]
    assert [phase for phase, status, _body in answers if status != 201 and phase != "during"] == []
    assert Job.objects.filter(backend=world.backend).count() == len(accepted)
    assert report_answers[0][0] == 202, report_answers

    # Jobs accepted while Redis was down never reached it: the sweeper publishes them once they are overdue.
    unpublished = set(
        Job.objects.filter(status=JobStatus.QUEUED, enqueued_at__isnull=True).values_list("pk", flat=True)
    )
    assert unpublished, "no job was accepted while Redis was down"
    assert job_publish_stale(now=timezone.now() + UNPUBLISHED_AFTER + dt.timedelta(seconds=1)) == len(unpublished)
    # Messages Redis held when it stopped (it keeps nothing on disk) are lost too: the same sweeper publishes
    # them again once overdue. Wait until no job runs, so that the sweep re-sends only queued jobs.
    wait_for(lambda: not Job.objects.filter(status=JobStatus.RUNNING).exists(), timeout=30)
    job_publish_stale(now=timezone.now() + LOST_MESSAGE_AFTER + dt.timedelta(seconds=1))
    assert set(report_requeue_stale(older_than=dt.timedelta(0))) == {report_answers[0][1]["id"]}

    wait_for(lambda: Job.objects.filter(pk__in=accepted, status=JobStatus.COMPLETED).count() == len(accepted), 60)
    wait_for(lambda: Report.objects.filter(status=ReportStatus.SUCCEEDED).count() == 1, timeout=30)
    finished = dict(Job.objects.filter(pk__in=accepted).values_list("pk", "finished_at"))
    time.sleep(2)  # nothing completes a job a second time
    assert dict(Job.objects.filter(pk__in=accepted).values_list("pk", "finished_at")) == finished
    for job in Job.objects.filter(pk__in=accepted):
        assert (job.status, sum(job.counts.values()), job.error) == (JobStatus.COMPLETED, 100, "")


# ---- PostgreSQL restarted under load ----------------------------------------------------------------------


@dataclass
class Storm:
    """What the clients saw: every answer, and the ids of the bookings answered 201."""

    answers: list[tuple[float, str, int, str]] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _request(url: str, token: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310  (loopback only)
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _client(base: str, token: str, project: Project, backend: Backend, first: dt.datetime, storm: Storm,
            stop: threading.Event) -> None:  # fmt: skip
    """Book one hour after another (at most 9) between listing bookings, until told to stop."""
    slot = 0
    while not stop.is_set() and len(storm.answers) < 2000:
        if slot < 9:
            start = first + dt.timedelta(hours=slot)
            payload = {"backend": backend.pk, "project": project.pk, "start": start.isoformat(),
                       "end": (start + dt.timedelta(hours=1)).isoformat()}  # fmt: skip
            status, kind, body = _request(f"{base}/api/v1/bookings/", token, json.dumps(payload).encode())
            what = "POST"
            if status == 201:
                slot += 1
                with storm.lock:
                    storm.created.append(json.loads(body)["id"])
            elif status == 409 and json.loads(body).get("code") == "booking_conflict":
                slot += 1  # committed before the connection broke, then retried: already booked
        else:
            status, kind, body = _request(f"{base}/api/v1/bookings/?project={project.pk}", token)
            what = "GET"
        with storm.lock:
            storm.answers.append((time.monotonic(), what, status, kind))
            if status not in {200, 201, 409, 503} or (status >= 500 and "application/json" not in kind):
                storm.errors.append(f"{what} {status} {kind}: {body[:300]!r}")
            elif status == 503 and json.loads(body).get("code") != "database_unavailable":
                storm.errors.append(f"{what} 503 without database_unavailable: {body[:300]!r}")
        time.sleep(0.02)


def test_postgresql_restarted_under_load_fails_cleanly_and_recovers(transactional_db, processes, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("restarts the PostgreSQL server")
    postgres = postgres_service()
    if int(connection.settings_dict["PORT"] or 5432) != postgres.port:
        pytest.skip(f"the database of this run is not the cluster on port {postgres.port} this test may restart")
    if not CI and _connections_elsewhere():
        pytest.skip(f"others use the PostgreSQL on port {postgres.port}: set QFR_FAULT_PG_* to a private cluster")
    world = _world(extra_projects=3)
    clients = [(world.project, world.member), *world.extra]
    tokens = [_token(user) for _project, user in clients]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",  # production's pool, health checks and timeout
        "DATABASE_URL": _test_database_url(),
    }
    command = [str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"]
    processes.append(_spawn([*command, "--timeout", "60"], env=env, log=tmp_path / "gunicorn.log"))
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _healthy(base), timeout=30)

    storm, stop = Storm(), threading.Event()
    first = slot_floor(timezone.now(), 15) + dt.timedelta(days=1)
    threads = [
        threading.Thread(
            target=_client,
            args=(base, token, project, world.backend, first + dt.timedelta(hours=12 * i), storm, stop),
            daemon=True,
        )
        for i, ((project, _user), token) in enumerate(zip(clients, tokens, strict=True))
    ]
    connection.close()  # the test's own connection would break with the restart
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        down_at = time.monotonic()
        postgres.stop()
        time.sleep(1.5)  # requests meanwhile must fail cleanly
    finally:
        postgres.start()
        up_at = time.monotonic()
    try:
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert storm.errors == []
    during = [a for a in storm.answers if down_at < a[0] < up_at]
    after = [a for a in storm.answers if a[0] > up_at + 2]
    assert any(status == 503 for _t, _what, status, _kind in during), "no request saw the database down"
    assert after, "no request after the restart"
    assert [a for a in after if a[2] >= 500] == [], "the app did not recover by itself"
    assert _request(f"{base}/api/v1/bookings/", tokens[0])[0] == 200
    # The server above recovered by itself; this process's own pooled connections broke with the restart (each
    # broken one costs a pool check and its back-off): the test starts its pool afresh before reading the rows.
    connection.close_pool()

    # No half-written rows: every booking answered 201 exists, and each one charges its allocation exactly
    # its length; the allocations' usage (computed from the bookings in SQL) matches a recompute here.
    bookings = list(Booking.objects.filter(backend=world.backend).exclude(pk=world.booking.pk))
    assert set(storm.created) <= {b.pk for b in bookings}
    assert len(bookings) - len(storm.created) <= sum(1 for a in storm.answers if a[1] == "POST" and a[2] == 503)
    for booking in bookings:
        assert booking.allocation.project_id == booking.project_id
        assert booking.charged_hours == hours_between(booking.starts_at, booking.ends_at) == Decimal(1)
    for allocation in allocation_list_with_usage(backend=world.backend):
        held = [b for b in [*bookings, world.booking] if b.allocation_id == allocation.pk]
        assert allocation.charged_hours == sum((b.charged_hours for b in held), Decimal(0))
        assert allocation.remaining_hours == allocation.hours - allocation.charged_hours >= 0


@pytest.mark.worker
@pytest.mark.parametrize("pool", ["solo", "prefork"])  # the README's qpu worker; the pool of its other workers
def test_a_job_delivered_while_postgresql_is_down_runs_once_it_is_back(real_broker, processes, tmp_path, pool):
    if connection.vendor != "postgresql":
        pytest.skip("stops the PostgreSQL server")
    postgres = postgres_service()
    if int(connection.settings_dict["PORT"] or 5432) != postgres.port:
        pytest.skip(f"the database of this run is not the cluster on port {postgres.port} this test may stop")
    if not CI and _connections_elsewhere():
        pytest.skip(f"others use the PostgreSQL on port {postgres.port}: set QFR_FAULT_PG_* to a private cluster")
    world = _world()
    job = job_submit(user=world.member, backend=world.backend, project=world.project, qasm=ghz(3), shots=100)
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED  # its message waits in the broker
    connection.close()
    connection.close_pool()  # this process's pooled connections would break with the stop
    log = tmp_path / "worker.log"
    try:
        postgres.stop()
        # The worker takes the message while the database is down. A prefork worker keeps its database pool from
        # one task to the next (CELERY_DB_REUSE_MAX): the pool must come back with the database too.
        processes.append(_start_worker("qpu", "qpu", log, pool=pool))
        wait_for(lambda: "Retry in" in log.read_text(errors="replace"), timeout=60)
    finally:
        postgres.start()
    # Tried again with its token once the database answers: run once, not left for the lost-message sweep.
    wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED, timeout=90)
    done = Job.objects.get(pk=job.pk)
    assert done.attempts == 1
    assert sum(done.counts.values()) == 100


def _connections_elsewhere() -> int:
    """Client connections to other databases of the cluster: someone else's tests."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND datname IS DISTINCT FROM current_database()"
        )
        return int(cursor.fetchone()[0])


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310  (loopback only)
            return bool(response.status == 200)
    except OSError:
        return False


# ---- the pieces, without faults --------------------------------------------------------------------------


def test_database_connection_errors_answer_503_json_and_other_database_errors_do_not(rf):
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())
    request = rf.get("/api/v1/bookings/")
    for exc in (OperationalError("server closed the connection unexpectedly"), InterfaceError("connection closed")):
        response = middleware.process_exception(request, exc)
        assert response is not None
        assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (
            503,
            "application/json",
            "5",
        )
        body = json.loads(response.content)
        assert body["code"] == "database_unavailable"
        assert "try again" in body["detail"]
    assert middleware.process_exception(request, IntegrityError("duplicate key")) is None
    assert middleware.process_exception(request, ValueError("bug")) is None


def test_only_a_redelivered_message_takes_over_a_running_report(db):
    qpu = EquipmentFactory()
    backend = backend_create(name="taken", display_name="Taken", site=qpu.site, equipment=qpu)
    params = {"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"}
    abandoned = timezone.now() - dt.timedelta(minutes=1)
    report = Report.objects.create(
        kind="utilization", params=params, status=ReportStatus.RUNNING, started_at=abandoned, attempts=1
    )
    assert report_generate(report_id=report.pk) is False  # a duplicate message: the run may still be alive
    report.refresh_from_db()
    assert (report.status, report.attempts, report.started_at) == (ReportStatus.RUNNING, 1, abandoned)

    assert report_generate(report_id=report.pk, redelivered=True) is True
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.SUCCEEDED, 2)
    finished = report.finished_at
    # A finished report is never run again, redelivered or not.
    assert report_generate(report_id=report.pk, redelivered=True) is False
    report.refresh_from_db()
    assert (report.status, report.attempts, report.finished_at) == (ReportStatus.SUCCEEDED, 2, finished)
