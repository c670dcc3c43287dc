import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

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


def test_fresh_embedded_install_migrates_and_loads_the_demo_twice(tmp_path):
    """What `make run` does on a new clone, in a fresh process (import order as a newcomer meets it).

    `migrate` alone prepares the database: it creates the database cache's table too."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "DJANGO_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "filesystem://",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

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
