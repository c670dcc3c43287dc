"""A live site for the client tests: gunicorn and a real Celery worker, in processes of their own, on the
test database and the test run's Redis (not a test module; tests/clients/conftest.py starts it).

The same way tests/hardening/test_faults.py starts its gunicorn and workers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import User
from scheduling.models import Backend, Booking, Project
from scheduling.selectors.common import slot_floor
from scheduling.services import allocation_create, booking_create, membership_add, project_create
from tests.factories import OrganizationFactory, UserFactory
from tests.support import free_port, wait_for

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
SETTINGS = "tests.clients.site_settings"


def database_url_of_this_run() -> str:
    """The URL of the database the tests run on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def own_broker_url(suite_broker_url: str) -> str:
    """The live site's broker: the Redis database after the suite's. Its worker lives for the whole session and must
    never consume the messages of the suite's own worker tests (they run later, on the suite's broker)."""
    parts = urlsplit(suite_broker_url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + 1) % 16}"))


def _spawn(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Own session: the process and anything it starts can be killed as one process group.
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603  (a fixed command line, no user input)
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310  (loopback only)
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class LiveSite:
    """gunicorn on a free loopback port (`url`) and one worker on the default, qpu and reports queues."""

    logs: Path
    broker_url: str
    url: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> LiveSite:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DATABASE_URL": database_url_of_this_run(),
            "CELERY_BROKER_URL": self.broker_url,
            "TEST_CELERY_BROKER_URL": self.broker_url,
        }
        port = free_port()
        gunicorn = [str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"]
        # A batch of 500 circuits is compiled in the request: minutes on a loaded machine.
        self.processes.append(_spawn([*gunicorn, "--timeout", "600"], env=env, log=self.logs / "gunicorn.log"))
        worker = [str(BIN / "celery"), "-A", "config", "worker", "-Q", "default,qpu,reports", "-P", "solo", "-c", "1"]
        self.processes.append(
            _spawn([*worker, "-n", "client-tests@%h", "-l", "INFO"], env=env, log=self.logs / "worker.log")
        )
        self.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(self.url) or self._died(), timeout=90)
        if self._died():
            self.stop()
            raise RuntimeError(f"the live site did not start; see the logs in {self.logs}")
        return self

    def _died(self) -> bool:
        return any(process.poll() is not None for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            _kill(process)
        self.processes.clear()


@dataclass
class Researcher:
    """A member of a project with an allocation and a two-hour booking in progress on `backend`."""

    backend: Backend
    project: Project
    user: User
    booking: Booking | None
    token: str
    url: str

    def provider(self, **kwargs: Any) -> Any:
        from qfr_qiskit import QFRProvider

        return QFRProvider(url=self.url, token=self.token, **kwargs)


def researcher_on(backend: Backend, url: str, *, code: str = "QISKIT-01", book: bool = True) -> Researcher:
    user = UserFactory(username=f"user-{code.lower()}")
    project = project_create(code=code, title=code, institution=OrganizationFactory(), pi=UserFactory())
    membership_add(project=project, user=user)
    today = timezone.now().date()
    allocation_create(
        project=project,
        backend=backend,
        hours=Decimal(100),
        valid_from=today - dt.timedelta(days=1),
        valid_until=today + dt.timedelta(days=60),
    )
    booking = None
    if book:
        start = slot_floor(timezone.now(), 15)
        booking = booking_create(
            backend=backend, project=project, user=user, starts_at=start, ends_at=start + dt.timedelta(hours=2)
        )
    token = str(Token.objects.get_or_create(user=user)[0].key)
    return Researcher(backend=backend, project=project, user=user, booking=booking, token=token, url=url)


def readme_python_blocks(readme: Path, section: str) -> list[str]:
    """The Python code blocks of a `## ` section of the README, in order (as tests/deploy/readme.py reads bash)."""
    import re

    text = readme.read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 3)
    body = text[start : end if end != -1 else len(text)]
    return [match.group(1) for match in re.finditer(r"^```python\n(.*?)^```$", body, re.MULTILINE | re.DOTALL)]
