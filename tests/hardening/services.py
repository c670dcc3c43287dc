"""The services the fault tests stop and start, and how (not a test module).

In CI (`CI=true`), or when no override is set, these are the real PostgreSQL cluster and Redis of
DEVELOPERS.md. In development the `QFR_FAULT_*` variables point the tests at private instances, so that
stopping them disturbs nobody else's tests:

- `QFR_FAULT_REDIS_PORT` (default 6379): the Redis to stop; it must be the broker of the test run.
- `QFR_FAULT_PG_PORT` (default 5432), `QFR_FAULT_PG_CLUSTER` (default `main`), `QFR_FAULT_PG_VERSION`
  (default: the one under /etc/postgresql): the PostgreSQL cluster to restart; it must hold the test database.

A test skips itself when the service it would stop is not the one the test run uses, and, outside CI,
when others use it too (clients of other Redis databases, connections to other PostgreSQL databases):
stopping it would break their tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _override(name: str, default: str) -> str:
    """An override from the environment, ignored in CI (which always uses the real services)."""
    return default if CI else (os.environ.get(name) or default)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603  (fixed commands)


def _wait(predicate: object, *, up: bool, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bool(predicate()) == up:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} is still {'down' if up else 'up'} after {timeout} s")


@dataclass(frozen=True)
class RedisService:
    """A Redis server on the loopback that the tests may shut down and start again."""

    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def clients_elsewhere(self, db: int) -> int:
        """How many clients use another database number of this server: someone else's tests."""
        import redis

        with redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2) as client:
            return sum(1 for c in client.client_list() if int(c.get("db", db)) != db)

    def stop(self) -> None:
        _run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"])
        _wait(self.is_up, up=False, timeout=10, what=f"Redis on {self.port}")

    def start(self) -> None:
        """Start it (DEVELOPERS.md's command for the real one) and wait until it answers."""
        if self.is_up():
            return
        if self.port == 6379:
            command = [
                "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
                "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
            ]  # fmt: skip
        else:
            command = [
                "redis-server", "--port", str(self.port), "--daemonize", "yes", "--save", "", "--appendonly", "no",
                "--dir", "/tmp", "--logfile", f"/tmp/redis-{self.port}.log",  # noqa: S108  (the dev command)
            ]  # fmt: skip
        _run(command)
        _wait(self.is_up, up=True, timeout=20, what=f"Redis on {self.port}")


@dataclass(frozen=True)
class PostgresService:
    """A PostgreSQL cluster (Debian's pg_ctlcluster) that the tests may restart."""

    version: str
    cluster: str
    port: int

    def _ctl(self, action: str) -> None:
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.cluster, action])

    def is_up(self) -> bool:
        """Accepting connections (pg_isready: no credentials needed)."""
        command = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"]
        return subprocess.run(command, check=False, timeout=10).returncode == 0  # noqa: S603

    def stop(self) -> None:
        self._ctl("stop")

    def start(self) -> None:
        """Start it if it is down and wait until it answers."""
        if not self.is_up():
            self._ctl("start")
        _wait(self.is_up, up=True, timeout=60, what=f"PostgreSQL {self.version}/{self.cluster}")


def redis_service() -> RedisService:
    return RedisService(port=int(_override("QFR_FAULT_REDIS_PORT", "6379")))


def postgres_service() -> PostgresService:
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    return PostgresService(
        version=_override("QFR_FAULT_PG_VERSION", versions[-1] if versions else "15"),
        cluster=_override("QFR_FAULT_PG_CLUSTER", "main"),
        port=int(_override("QFR_FAULT_PG_PORT", "5432")),
    )
