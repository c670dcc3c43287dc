"""Run a simulation where it can be stopped: a forked child process, killed on a time limit or on request.

Aer cannot be interrupted from Python, so a long run in the worker's own process holds the QPU until it ends.
``run_isolated`` forks, runs the function in the child and pipes its pickled result back; the parent polls
``should_stop`` and the clock and kills the child (SIGKILL) the moment either says so, then reaps it.

The child is a copy of the parent: modules, the noise-model cache (``cache.NOISE_CACHE``) and the circuits
are already in memory, so a run pays only the fork. It never returns into the caller's code: it leaves with
``os._exit`` (no atexit handlers, no database connections closed or flushed), and it dies with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from scheduling.simulator.cache import device_noise
from scheduling.simulator.device import Calibration, TimingProfile

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_READ_CHUNK = 1 << 16


class TimeLimitExceeded(Exception):
    """The run was still going at its wall-clock limit and was killed."""

    def __init__(self, time_limit_s: float) -> None:
        self.time_limit_s = time_limit_s
        super().__init__(f"the run exceeded its time limit of {time_limit_s:g} s and was stopped")

    def __reduce__(self) -> tuple[type[TimeLimitExceeded], tuple[float]]:
        return type(self), (self.time_limit_s,)


class RunStopped(Exception):
    """The run was stopped because ``should_stop()`` returned true."""

    def __init__(self) -> None:
        super().__init__("the run was stopped on request")

    def __reduce__(self) -> tuple[type[RunStopped], tuple[()]]:
        return type(self), ()


class SimulationFailed(Exception):
    """The child failed with an exception that cannot cross the process boundary, or died without an answer."""

    def __init__(self, type_name: str, message: str, child_traceback: str = "") -> None:
        self.type_name = type_name
        self.message = message
        self.child_traceback = child_traceback
        super().__init__(f"{type_name}: {message}")

    def __reduce__(self) -> tuple[type[SimulationFailed], tuple[str, str, str]]:
        return type(self), (self.type_name, self.message, self.child_traceback)


def _load_prctl() -> Callable[..., int] | None:
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the child cannot ask to die with its parent
        return None
    return prctl


# Looked up once here, not in every child.
_PRCTL = _load_prctl()


def _die_with_parent(parent: int) -> None:
    # Linux: the kernel SIGKILLs this child when the parent dies (a worker killed mid-job leaves no orphan).
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def _encode_exception(exc: BaseException) -> bytes:
    """Pickle ``exc`` if it comes back as the same type and message, else a SimulationFailed naming it."""
    try:
        data = pickle.dumps(exc)
        back = pickle.loads(data)  # noqa: S301 (our own bytes, just written)
        if type(back) is type(exc) and str(back) == str(exc):
            return data
    except Exception:  # noqa: S110 (any pickling failure is handled by the fallback below)
        pass
    fallback = SimulationFailed(type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)))
    return pickle.dumps(fallback)


def _child(write_fd: int, parent: int, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Run ``fn`` and write (ok, pickled value or exception) to ``write_fd``; never returns."""
    status = 1
    try:
        _die_with_parent(parent)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1):
            signal.signal(signum, signal.SIG_DFL)  # the worker's handlers are not this process's to run
        # What the parent built is never garbage here; collections would only touch (and so copy) its pages.
        gc.freeze()
        try:
            payload = b"v" + pickle.dumps(fn(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:
            payload = b"e" + _encode_exception(exc)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
        status = 0
    finally:
        os._exit(status)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> int:
    """Wait for the child and return its wait status (0 if it was already reaped)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return status


# Children that have answered but may still be exiting; reaped (without waiting) by the next run_isolated.
_exiting: set[int] = set()


def _reap_later(pid: int) -> None:
    # A child that has sent its answer still takes ~15 ms to tear down its copy of the address space; the
    # answer does not wait for that. At most one such child stays a zombie until the next run.
    _exiting.add(pid)
    _reap_exited()


def _reap_exited() -> None:
    for pid in list(_exiting):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _exiting.discard(pid)


def _decode(payload: bytes, wait_status: int) -> Any:
    if not payload:
        if os.WIFSIGNALED(wait_status):
            reason = f"killed by signal {os.WTERMSIG(wait_status)}"
        else:
            reason = f"exit status {os.waitstatus_to_exitcode(wait_status)}"
        raise SimulationFailed("ChildProcessDied", f"the simulation process ended without a result ({reason})")
    value = pickle.loads(payload[1:])  # noqa: S301 (written by our own forked child)
    if payload[:1] == b"e":
        raise value
    return value


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    time_limit_s: float,
    should_stop: Callable[[], bool],
    poll_s: float = 0.5,
    **kwargs: Any,
) -> T:
    """Run ``fn(*args, **kwargs)`` in a forked child and return its value.

    Raises TimeLimitExceeded after ``time_limit_s`` seconds and RunStopped as soon as ``should_stop()`` is true
    (checked every ``poll_s`` seconds); in both cases the child is killed at once and reaped. An exception of
    the child is raised again here with its type and message (as SimulationFailed(type name, message) when it
    cannot be pickled). When ``kwargs`` hold ``calibration`` and ``timing`` (as ``run_batch`` takes), their
    noise model is built here first, so the child inherits it and the cache keeps it for the next run.
    """
    if time_limit_s <= 0 or poll_s <= 0:
        raise ValueError("time_limit_s and poll_s must be positive")
    _reap_exited()
    calibration, timing = kwargs.get("calibration"), kwargs.get("timing")
    if isinstance(calibration, Calibration) and isinstance(timing, TimingProfile):
        device_noise(calibration, timing)
    deadline = time.monotonic() + time_limit_s
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the child, which leaves with os._exit)
        os.close(read_fd)
        _child(write_fd, parent, fn, args, kwargs)
    os.close(write_fd)
    reaped = False
    try:
        chunks: list[bytes] = []
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise TimeLimitExceeded(time_limit_s)
            ready, _, _ = select.select([read_fd], [], [], min(poll_s, deadline - now))
            if ready:
                chunk = os.read(read_fd, _READ_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
            elif should_stop():
                raise RunStopped
        payload = b"".join(chunks)
        if payload:
            _reap_later(pid)
            reaped = True
            return _decode(payload, 0)  # type: ignore[no-any-return]
        wait_status = _reap(pid)
        reaped = True
        return _decode(payload, wait_status)  # type: ignore[no-any-return]
    finally:
        os.close(read_fd)
        if not reaped:
            _kill(pid)
