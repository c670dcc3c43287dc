import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any, cast

import pytest

from tests.support import free_port, kill_process, wait_for

ROOT = Path(__file__).resolve().parent.parent.parent


def test_check_deploy_with_production_settings_reports_nothing():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_SECRET_KEY": "prod-like-" + "x7Qk2vN9pL4mR8sT1wY6zB3cF5hJ0dG" * 2,
        "DJANGO_ALLOWED_HOSTS": "qfr.example.ac.kr",
        "DJANGO_DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _embedded_env(tmp_path: Path, database: str) -> dict[str, str]:
    """The environment of `make run` (the dev settings' embedded default), in `tmp_path`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / database}",
        "DJANGO_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "filesystem://",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _run(env: dict[str, str], *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        list(argv), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_fresh_embedded_install_migrates_and_loads_the_demo_twice(tmp_path):
    """What `make run` does on a new clone, in a fresh process (import order as a newcomer meets it).

    `migrate` alone prepares the database: it creates the database cache's table too."""
    env = _embedded_env(tmp_path, "fresh.sqlite3")

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(env, sys.executable, "manage.py", *args)

    migrated = manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    with closing(sqlite3.connect(tmp_path / "fresh.sqlite3")) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "qfr_cache" in tables  # the dev settings' cache: `dbcache://qfr_cache`
    first = manage("seed_demo")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Demo data loaded." in first.stdout
    second = manage("seed_demo")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Created" not in second.stdout  # idempotent: nothing new the second time


def test_manage_refuses_production_only_commands_under_the_default_dev_settings(tmp_path):
    """The README's production prepare step run without DJANGO_SETTINGS_MODULE would leave no static manifest."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {"DJANGO_VAR_DIR": str(tmp_path)}
    for args in (["collectstatic", "--noinput"], ["check", "--deploy"]):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "DJANGO_SETTINGS_MODULE=config.settings.base" in result.stderr
    assert not (tmp_path / "static").exists()


def _celery_inspect(env: dict[str, str], command: str) -> dict[str, Any]:
    celery = str(Path(sys.executable).with_name("celery"))
    result = _run(env, celery, "-A", "config", "inspect", command, "--json", "--timeout", "5", timeout=60)
    if result.returncode != 0:
        return {}
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.deploy
def test_make_run_serves_jobs_in_a_solo_worker_of_their_own(tmp_path):
    """`make run`'s processes (scripts/run.sh), started as a newcomer starts them: the qpu queue has one consumer, a
    solo worker, so one job runs at a time as in production (DESIGN.md 2); the other worker, with beat, takes the
    other queues."""
    port = free_port()
    env = _embedded_env(tmp_path, "run.sqlite3") | {"VENV": str(Path(sys.executable).parent.parent), "PORT": str(port)}
    migrated = _run(env, sys.executable, "manage.py", "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(  # noqa: S603
            [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:

        def both_workers() -> dict[str, Any]:
            assert run.poll() is None, log.read_text()
            queues = _celery_inspect(env, "active_queues")
            return queues if len(queues) == 2 else {}

        queues = cast(dict[str, Any], wait_for(both_workers, timeout=120, interval=1))
        consumed = {worker: {queue["name"] for queue in found} for worker, found in queues.items()}
        (qpu_worker,) = [worker for worker, names in consumed.items() if "qpu" in names]
        assert consumed[qpu_worker] == {"qpu"}
        (other,) = set(consumed) - {qpu_worker}
        assert consumed[other] == {"default", "reports"}
        stats = _celery_inspect(env, "stats")
        assert stats[qpu_worker]["pool"]["implementation"] == "celery.concurrency.solo:TaskPool"
        assert stats[qpu_worker]["pool"]["max-concurrency"] == 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        kill_process(run)  # run.sh and every process it started: they share its session
