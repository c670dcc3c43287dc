"""Helpers the test modules share that are not factories: fixed instants, waiting, small service shortcuts.

Test modules import helpers from here (and data from tests.factories), never from a conftest or another test
module; conftest files hold fixtures only.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from procurement.money import Money
from scheduling.models import Booking
from scheduling.selectors import allocation_list_with_usage
from scheduling.services import booking_create, waitlist_join

# A Monday, 00:00 UTC (09:00 in Seoul); every scheduling test that uses the `now` fixture runs at this instant.
NOW = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
SEOUL = ZoneInfo("Asia/Seoul")


def at(hours: float = 0, days: float = 0) -> dt.datetime:
    """NOW plus an offset."""
    return NOW + dt.timedelta(days=days, hours=hours)


def seoul(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SEOUL)


def utc(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def next_slot(hours_ahead: int = 48) -> dt.datetime:
    """A whole hour some way ahead of the real now (slot-aligned, well within the booking horizon)."""
    moment = timezone.now() + dt.timedelta(hours=hours_ahead)
    return moment.replace(minute=0, second=0, microsecond=0)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.1) -> object:
    """Poll until `predicate()` is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def book(backend, project, user, start, end, **kwargs):
    """A booking made by the service (every rule applies)."""
    return booking_create(backend=backend, project=project, user=user, starts_at=start, ends_at=end, **kwargs)


def assert_usage_matches_bookings(allocation):
    """charged/remaining from the selector equal what the bookings say, recomputed in Python."""
    usage = allocation_list_with_usage(project=allocation.project).get(pk=allocation.pk)
    held = sum((b.charged_hours for b in Booking.objects.filter(allocation=allocation)), Decimal("0"))
    assert usage.charged_hours == held
    assert usage.remaining_hours == allocation.hours - held
    return usage


# Browser tests. Runs in every page before its own scripts (injected by the browser, so the page's CSP does not
# apply to it): each Content-Security-Policy violation is reported on the console with this prefix.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def csp_violations(messages: list[str]) -> list[str]:
    """The console messages that tell of a Content-Security-Policy violation (the event, or Chromium's own)."""
    return [m for m in messages if m.startswith("CSP violation:") or "Content Security Policy" in m]


def slow_circuit(layers: int = 250) -> str:
    """A 5-qubit circuit with a mid-circuit measurement and `layers` x 5 gates (250: about 8 900 native
    operations, under the 10 000 limit): Aer simulates it shot by shot, about 8 ms a shot on an idle machine, so
    that a job of a few hundred shots really runs for seconds and one of 20 000 for minutes."""
    layer = "h q[0];\ncx q[0], q[1];\ncx q[1], q[2];\ncx q[2], q[3];\ncx q[3], q[4];\n"
    return (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg m[1];\ncreg c[5];\nh q[0];\nmeasure q[0] -> m[0];\n'
        f"{layer * layers}measure q -> c;\n"
    )


def wait_for_slot(backend, project, user, start, end, **kwargs):
    """A waitlist entry made by the service (every rule of joining applies)."""
    return waitlist_join(backend=backend, project=project, user=user, starts_at=start, ends_at=end, **kwargs)


def _test_database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_qpu_worker(name: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """A Celery worker process on the `qpu` queue, as production runs it (solo pool, one job at a time), on this
    test's database and broker, with the job tests' worker settings; `env` adds to its environment (e.g.
    QPU_JOB_TIME_LIMIT_S). Returns once it is ready to consume."""
    from django.conf import settings

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.scheduling.jobs.worker_settings",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **env,
    }
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery, "-A", "config", "worker", "-Q", "qpu", "-P", "solo", "-c", "1", "-n", f"{name}@%h", "-l", "INFO"]
    # Own session: the worker and the simulation it forks can be killed as one process group.
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(  # noqa: S603  (a fixed command line, no user input)
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(lambda: process.poll() is not None or b" ready." in log.read_bytes(), timeout=60)
    assert process.poll() is None, log.read_text()
    return process


def kill_process(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started in its own session, with everything it started; wait for it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
