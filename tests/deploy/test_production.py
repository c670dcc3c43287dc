"""The README's production deployment, run as written on a fresh PostgreSQL database (`make test-deploy`).

Steps 1 to 4 of the README's production section are read from its code blocks: the environment of step 1 (the
site's values replaced by this test's own: a fresh database, Redis databases of its own, a temporary media
folder), the install and prepare blocks run by bash as they stand, in a copy of the project tree, and every line of
the run block started as one service, with only gunicorn's bind address changed to a free loopback port. Then the
deployment is used over HTTP only, as a REST client behind the TLS proxy the README asks for would use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import pytest
import redis
from psycopg import sql

from tests.deploy.readme import command_lines, exported_variables, production_steps
from tests.support import free_port

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "qfr-deploy.test"

# Step 1's variables whose values belong to the site; the test supplies its own. Every other variable of step 1
# (DJANGO_SETTINGS_MODULE) is used as the README sets it.
SITE_VARIABLES = {
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "MEDIA_ROOT",
    "EMAIL_URL",
    "OCDS_PREFIX",
    "DJANGO_SUPERUSER_USERNAME",
    "DJANGO_SUPERUSER_EMAIL",
    "DJANGO_SUPERUSER_PASSWORD",
}
# What the test's own environment must not hand to the deployment: only the README's variables configure it.
FOREIGN_PREFIXES = (
    "DJANGO_",
    "DATABASE_",
    "CELERY_",
    "CACHE_",
    "MEDIA_",
    "EMAIL_",
    "OCDS_",
    "REPORTS_",
    "API_THROTTLE_",
    "LOGIN_FAILURE_",
    "TEST_",
    "SQLITE_",
    "DEPLOY_",
    "QFR_",
    "PYTEST",
    "VIRTUAL_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "PYTHONPATH",
)
# Not part of a release: what a checkout leaves behind locally.
NOT_RELEASED = (".git", ".venv", "var", ".env", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache")

BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""


def wait_for(what: str, predicate: Callable[[], Any], *, timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {value!r})")
        time.sleep(interval)


@dataclass
class Services:
    """Processes started from the README's run block, each in its own process group, and their logs."""

    cwd: Path
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(  # noqa: S603  (the README's own commands)
            argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def assert_running(self) -> None:
        exited = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not exited, f"services exited: {exited}\n{self.tails()}"

    def stop(self) -> None:
        """SIGTERM to each process group (warm shutdown), SIGKILL to what is left after 20 s."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):  # children a worker or gunicorn forked may outlive it
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def tails(self, lines: int = 30) -> str:
        out = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name} (last {lines} lines)\n" + "\n".join(text))
        return "\n".join(out)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Client:
    """An HTTP client that reaches gunicorn as the TLS proxy would: the site's host name, `X-Forwarded-Proto`."""

    base: str
    token: str | None = None
    forwarded_proto: str | None = "https"
    opener: urllib.request.OpenerDirector = field(default_factory=lambda: urllib.request.build_opener(NoRedirect))

    def request(self, method: str, path: str, body: object = None) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": HOST, "Accept": "application/json, */*"}
        if self.forwarded_proto:
            headers["X-Forwarded-Proto"] = self.forwarded_proto
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, body: object = None, expect: int = 200) -> Any:
        status, _, content = self.request(method, path, body)
        assert status == expect, f"{method} {path}: {status} {content[:2000]!r}"
        return json.loads(content)


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of the test run's DATABASE_URL; dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("deploys on PostgreSQL: run with DATABASE_URL=postgres://… (make test-deploy)")
    server = urlparse(url)
    admin_url = server._replace(path="/postgres").geturl()
    name = f"qfr_deploy_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def redis_databases() -> tuple[str, str]:
    """The broker's and the cache's Redis databases: the deployment test's own, emptied first."""
    broker = os.environ.get("DEPLOY_BROKER_URL", "redis://127.0.0.1:6379/14")
    cache = os.environ.get("DEPLOY_CACHE_URL", "redis://127.0.0.1:6379/15")
    assert broker != cache, "the cache needs a Redis database apart from the broker's"
    for url in (broker, cache):
        redis.Redis.from_url(url).flushdb()
    return broker, cache


def run_block(name: str, block: str, *, cwd: Path, env: dict[str, str], logs: Path) -> str:
    result = subprocess.run(  # noqa: S603
        ["bash", "-xeuo", "pipefail", "-c", block],  # noqa: S607  (-x: each command, timed, in the log)
        cwd=cwd,
        env=env | {"PS4": "+ [$EPOCHREALTIME] "},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    (logs / f"{name}.log").write_text(output, encoding="utf-8")
    assert result.returncode == 0, f"README step {name!r} failed ({result.returncode}):\n{block}\n{output[-6000:]}"
    return output


def test_readme_production_deployment_serves_jobs_reports_and_readiness(tmp_path, fresh_database, redis_databases):
    started = time.monotonic()
    steps = production_steps(ROOT / "README.md")
    [environment] = steps["Services and environment"]
    [install] = steps["Install"]
    [prepare] = steps["Prepare"]
    [run] = steps["Run"]

    documented = exported_variables(environment)
    assert documented["DJANGO_SETTINGS_MODULE"] == "config.settings.base"
    missing = SITE_VARIABLES - documented.keys()
    assert not missing, f"the README's environment no longer names {sorted(missing)}"

    # A release: the project tree without what a checkout leaves behind locally.
    app = tmp_path / "app"
    shutil.copytree(ROOT, app, ignore=shutil.ignore_patterns(*NOT_RELEASED))
    logs = tmp_path / "logs"
    logs.mkdir()
    broker_url, cache_url = redis_databases
    password = secrets.token_urlsafe(16)
    site = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DATABASE_URL": fresh_database,
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": cache_url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_URL": "consolemail://",
        "OCDS_PREFIX": "ocds-qfr001",
        "DJANGO_SUPERUSER_USERNAME": "admin",
        "DJANGO_SUPERUSER_EMAIL": "admin@qfr-deploy.test",
        "DJANGO_SUPERUSER_PASSWORD": password,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)} | documented | site

    run_block("install", install, cwd=app, env=env, logs=logs)
    prepared = run_block("prepare", prepare, cwd=app, env=env, logs=logs)
    assert "System check identified no issues" in prepared
    assert (app / "var" / "static" / "staticfiles.json").exists(), "collectstatic left no manifest"
    installed_in = time.monotonic() - started

    # What the production settings made of this environment, seen by a process of the deployment: Django's own Redis
    # cache (no django-redis needed) and psycopg's connection pool with Django's health checks.
    probe = (
        "import json, django; django.setup()\n"
        "from django.core.cache import caches\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "print(json.dumps({'cache': type(caches['default']).__module__ + '.' + type(caches['default']).__name__,"
        " 'pool': type(connection.pool).__name__, 'check': getattr(connection.pool._check, '__qualname__', None)}))"
    )
    seen = json.loads(
        subprocess.run(  # noqa: S603
            [str(app / ".venv" / "bin" / "python"), "-c", probe],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    )
    assert seen == {
        "cache": "django.core.cache.backends.redis.RedisCache",
        "pool": "ConnectionPool",
        "check": "ConnectionPool.check_connection",
    }

    port = free_port()
    # The services' user has a home of its own (gunicorn keeps its control socket there).
    (tmp_path / "home").mkdir()
    services = Services(cwd=app, env=env | {"HOME": str(tmp_path / "home")}, logs=logs)
    try:
        for line in command_lines(run):
            argv = shlex.split(line, comments=True)
            program = Path(argv[0]).name
            if program == "gunicorn":
                bind = argv.index("--bind")
                argv[bind + 1] = f"127.0.0.1:{port}"  # the one change: a free port on the loopback
                name = "web"
            else:
                name = argv[argv.index("-Q") + 1] if "-Q" in argv else argv[3]  # a worker's queue, or "beat"
            services.start(name, argv)
        assert set(services.processes) == {"web", "default", "qpu", "reports", "beat"}, services.processes.keys()
        qpu_line = next(line for line in command_lines(run) if "-Q qpu" in line)
        assert "-P solo" in qpu_line, "one QPU runs one job at a time, in the worker's own process"

        client = Client(base=f"http://127.0.0.1:{port}")

        def up() -> bool:
            services.assert_running()
            try:
                return client.request("GET", "/healthz")[0] == 200
            except OSError:
                return False

        wait_for("gunicorn answers /healthz", up, timeout=90)
        exercise_deployment(client, password=password, cache_url=cache_url, broker_url=broker_url)
        services.assert_running()
    except BaseException:
        print(services.tails())  # noqa: T201  (shown with the failure)
        raise
    finally:
        services.stop()
    print(f"installed and prepared in {installed_in:.0f} s, all in {time.monotonic() - started:.0f} s")  # noqa: T201


def exercise_deployment(client: Client, *, password: str, cache_url: str, broker_url: str) -> None:
    # Plain HTTP (the proxy's header missing) is redirected to HTTPS, as the production settings ask.
    status, headers, _ = Client(base=client.base, forwarded_proto=None).request("GET", "/api/v1/users/me/")
    assert status == 301, status
    assert headers["Location"] == f"https://{HOST}/api/v1/users/me/"

    # The admin and the portal render with the collected, hashed static files.
    status, _, page = client.request("GET", "/admin/login/")
    assert status == 200, page[:2000]
    stylesheet = next(part.split('"')[0] for part in page.decode().split('href="') if part.startswith("/static/"))
    assert stylesheet.count(".") >= 2, f"not a hashed name: {stylesheet}"  # base.<hash>.css
    assert client.request("GET", stylesheet)[0] == 200
    status, headers, _ = client.request("GET", "/portal/")
    assert status == 302, status
    assert client.request("GET", headers["Location"])[0] == 200

    token = client.json("POST", "/api/v1/auth/token/", {"username": "admin", "password": password})["token"]
    # The throttles of the token endpoint count in the shared cache: Redis, in the cache's database only.
    cache_keys = redis.Redis.from_url(cache_url).keys("*")
    assert any(b"throttle" in key for key in cache_keys), cache_keys
    assert not any(b"throttle" in key for key in redis.Redis.from_url(broker_url).keys("*"))

    api = Client(base=client.base, token=token)
    me = api.json("GET", "/api/v1/users/me/")
    assert me["username"] == "admin"
    assert me["is_staff"] is True
    organization = api.json(
        "POST",
        "/api/v1/organizations/",
        {"name": "Deployment Test University", "short_name": "DTU", "kind": "university", "country": "KR"},
        expect=201,
    )
    site = api.json(
        "POST",
        "/api/v1/sites/",
        {
            "name": "Quantum Lab",
            "organization": organization["id"],
            "address": "1 Test Road",
            "city": "Daejeon",
            "country": "KR",
            "time_zone": "Asia/Seoul",
        },
        expect=201,
    )
    equipment = api.json(
        "POST",
        "/api/v1/equipment/",
        {
            "site": site["id"],
            "name": "QPU 1",
            "kind": "qpu",
            "manufacturer": "IQM",
            "model": "Spark",
            "serial_number": "DEPLOY-0001",
        },
        expect=201,
    )
    backend = api.json(
        "POST",
        "/api/v1/backends/",
        {"name": "spark-1", "display_name": "Spark 1", "site": site["id"], "equipment": equipment["id"]},
        expect=201,
    )
    project = api.json(
        "POST",
        "/api/v1/projects/",
        {"code": "DEPLOY-1", "title": "Deployment test", "institution": organization["id"], "pi": me["id"]},
        expect=201,
    )
    today = dt.datetime.now(dt.UTC).date()
    api.json(
        "POST",
        "/api/v1/allocations/",
        {
            "project": project["id"],
            "backend": backend["id"],
            "hours": "10.00",
            "valid_from": (today - dt.timedelta(days=1)).isoformat(),
            "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        },
        expect=201,
    )
    # The slot under way (15-minute slots), so that the job runs at once.
    now = dt.datetime.now(dt.UTC)
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    booking = api.json(
        "POST",
        "/api/v1/bookings/",
        {
            "backend": backend["id"],
            "project": project["id"],
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1)).isoformat(),
            "purpose": "deployment test",
        },
        expect=201,
    )
    assert booking["status"] == "confirmed"

    job = api.json(
        "POST",
        "/api/v1/jobs/",
        {"backend": backend["id"], "project": project["id"], "qasm": BELL, "shots": 200, "seed": 7},
        expect=201,
    )
    assert job["status"] == "queued"

    def job_finished() -> dict[str, Any] | None:
        current: dict[str, Any] = api.json("GET", f"/api/v1/jobs/{job['id']}/")
        return current if current["status"] in {"completed", "failed", "cancelled"} else None

    finished = wait_for("the job completes on the qpu worker", job_finished, timeout=180, interval=1)
    assert finished["status"] == "completed", finished
    result = api.json("GET", f"/api/v1/jobs/{job['id']}/result/")
    assert sum(result["counts"].values()) == 200
    assert set(result["counts"]) <= {"00", "01", "10", "11"}

    report = api.json(
        "POST",
        "/api/v1/reports/",
        {
            "kind": "utilization",
            "params": {
                "backend": backend["id"],
                "start": (today - dt.timedelta(days=1)).isoformat(),
                "end": (today + dt.timedelta(days=1)).isoformat(),
                "time_zone": "UTC",
            },
        },
        expect=202,
    )

    def report_finished() -> dict[str, Any] | None:
        current: dict[str, Any] = api.json("GET", f"/api/v1/reports/{report['id']}/")
        return current if current["status"] in {"succeeded", "failed"} else None

    generated = wait_for("the report is generated on the reports worker", report_finished, timeout=180, interval=1)
    assert generated["status"] == "succeeded", generated
    assert generated["data"]["totals"]["jobs"] == 1
    status, headers, pdf = api.request("GET", f"/api/v1/reports/{report['id']}/download/?format=pdf")
    assert status == 200, pdf[:2000]
    assert headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF")

    # Ready: database and broker answer, and a worker ran beat's heartbeat (beat fires it every minute).
    def ready_with_worker() -> dict[str, Any] | None:
        status, _, content = client.request("GET", "/readyz")
        body: dict[str, Any] = json.loads(content)
        return body if status == 200 and body["checks"]["worker"]["last_seen"] else None

    ready = wait_for("/readyz shows a worker's heartbeat", ready_with_worker, timeout=150, interval=2)
    assert ready["status"] == "ok"
    assert ready["checks"]["database"] == {"ok": True}
    assert ready["checks"]["broker"] == {"ok": True}
