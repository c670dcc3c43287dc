"""Run a simulation where it can be stopped: a child process, killed on a time limit or on request.

Aer cannot be interrupted from Python, so a long run in the worker's own process holds the QPU until it ends.
``run_isolated`` runs the function in a child process and gets its pickled result back through a pipe; the parent
polls ``should_stop`` and the clock and kills the child (SIGKILL) the moment either says so, then reaps it.

The child is the worker's simulation process: forked once, on the first run, it stays and serves run after run
(a request and its answer are length-prefixed pickles), keeping its own noise models (``cache.NOISE_CACHE``) from
one run to the next, so a run pays neither a fork nor the copying of the parent's memory that follows a fork. A
killed or crashed one is replaced by a new fork at the next run. A request that cannot be pickled (a local
function) runs in a child forked for it alone. A child never returns into the caller's code: it leaves with
``os._exit`` (no atexit handlers, no database connections closed or flushed), and it dies with its parent.

One module, a little over STYLE's 400 lines: the simulation process, the forked child and the limits share
private state (the server, its lock, the after-fork hook) that splitting would have to make public.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import select
import signal
import struct
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from scheduling.simulator.cache import device_noise
from scheduling.simulator.device import Calibration, TimingProfile

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_READ_CHUNK = 1 << 16
_LENGTH = struct.Struct("!Q")  # the length prefix of a message between the worker and its simulation process


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


def _child_setup(parent: int) -> None:
    _die_with_parent(parent)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1):
        signal.signal(signum, signal.SIG_DFL)  # the worker's handlers are not this process's to run
    # What the parent built is never garbage here; collections would only touch (and so copy) its pages.
    gc.freeze()


def _answer(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    try:
        return b"v" + pickle.dumps(fn(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:
        return b"e" + _encode_exception(exc)


def _child(write_fd: int, parent: int, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Run ``fn`` and write (ok, pickled value or exception) to ``write_fd``; never returns."""
    status = 1
    try:
        _child_setup(parent)
        payload = _answer(fn, args, kwargs)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
        status = 0
    finally:
        os._exit(status)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, _READ_CHUNK))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_message(fd: int, payload: bytes) -> None:
    data = memoryview(_LENGTH.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]


def _serve(read_fd: int, write_fd: int, parent: int) -> None:
    """The simulation process: answer requests until the worker closes its end (or dies); never returns."""
    status = 1
    try:
        _child_setup(parent)
        while True:
            header = _read_exactly(read_fd, _LENGTH.size)
            if header is None:
                status = 0
                break
            request = _read_exactly(read_fd, _LENGTH.unpack(header)[0])
            if request is None:
                break
            try:
                fn, args, kwargs = pickle.loads(request)  # noqa: S301 (written by the worker that forked us)
            except BaseException as exc:  # e.g. a function this process cannot import: the run fails, not the process
                _write_message(write_fd, b"e" + _encode_exception(exc))
                continue
            _write_message(write_fd, _answer(fn, args, kwargs))
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
    value = pickle.loads(payload[1:])  # noqa: S301 (written by our own child process)
    if payload[:1] == b"e":
        raise value
    return value


@dataclass
class _Server:
    """The worker's simulation process and its two pipe ends."""

    pid: int
    requests: int  # write end
    answers: int  # read end

    def close_pipes(self) -> None:
        for fd in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)

    def close(self, *, kill: bool) -> int:
        """Close the pipes; kill the process first when asked; reap it; return its wait status."""
        self.close_pipes()
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        return _reap(self.pid)


_server: _Server | None = None
_server_owner = os.getpid()  # a forked copy of the worker (a Celery pool process) starts a server of its own
_server_lock = threading.Lock()  # one run at a time uses it; a concurrent run forks a child of its own


def _server_start() -> _Server:
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    parent = os.getpid()
    # The worker's own collections must not touch what the two processes share either: what exists now is kept
    # for good on both sides (Python's advice for fork without exec), so its pages stay shared, not copied.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the child, which leaves with os._exit)
        os.close(requests_write)
        os.close(answers_read)
        _serve(requests_read, answers_write, parent)
    os.close(requests_read)
    os.close(answers_write)
    return _Server(pid, requests_write, answers_read)


def _server_stop(*, kill: bool) -> int:
    global _server
    server, _server = _server, None
    return server.close(kill=kill) if server is not None else 0


def _after_fork_in_child() -> None:
    # A forked copy of this process does not own the parent's simulation process: it closes its copies of the
    # pipes (so that the simulation process still sees its owner go) and starts one of its own when it needs one.
    global _server, _server_owner, _server_lock
    if _server is not None:
        _server.close_pipes()
    _server, _server_owner, _server_lock = None, os.getpid(), threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass(frozen=True)
class _Limits:
    """When a run must end: its deadline (TimeLimitExceeded) and its stop check (RunStopped)."""

    deadline: float
    time_limit_s: float
    should_stop: Callable[[], bool]
    poll_s: float

    def wait(self, fd: int) -> None:
        """Return once ``fd`` is readable; TimeLimitExceeded at the deadline; RunStopped when ``should_stop()``."""
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                raise TimeLimitExceeded(self.time_limit_s)
            ready, _, _ = select.select([fd], [], [], min(self.poll_s, self.deadline - now))
            if ready:
                return
            if self.should_stop():
                raise RunStopped


def _read_answer(fd: int, limits: _Limits) -> bytes:
    """One length-prefixed answer from the simulation process (b"" if it ended without one)."""
    buffer = bytearray()  # grown in place: a batch's answer arrives in many chunks
    size: int | None = None
    while size is None or len(buffer) < size + _LENGTH.size:
        limits.wait(fd)
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return b""
        buffer += chunk
        if size is None and len(buffer) >= _LENGTH.size:
            size = _LENGTH.unpack_from(buffer)[0]
    return bytes(buffer[_LENGTH.size :])


def _run_in_server(request: bytes, limits: _Limits) -> Any:
    global _server
    if _server is None:
        _server = _server_start()
    server = _server
    done = False
    try:
        try:
            _write_message(server.requests, request)
        except BrokenPipeError:  # it ended since the last run (killed from outside): a new one takes the request
            _server_stop(kill=True)
            server = _server = _server_start()
            _write_message(server.requests, request)
        payload = _read_answer(server.answers, limits)
        done = True
        if payload:
            return _decode(payload, 0)
        return _decode(payload, _server_stop(kill=False))
    finally:
        if not done:  # stopped, out of time, or interrupted: the run is killed with its process
            _server_stop(kill=True)


def _run_forked(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], limits: _Limits) -> Any:
    _reap_exited()
    calibration, timing = kwargs.get("calibration"), kwargs.get("timing")
    if isinstance(calibration, Calibration) and isinstance(timing, TimingProfile):
        device_noise(calibration, timing)  # built here, so that the child inherits it and the cache keeps it
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
            limits.wait(read_fd)
            chunk = os.read(read_fd, _READ_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
        payload = b"".join(chunks)
        if payload:
            _reap_later(pid)
            reaped = True
            return _decode(payload, 0)
        wait_status = _reap(pid)
        reaped = True
        return _decode(payload, wait_status)
    finally:
        os.close(read_fd)
        if not reaped:
            _kill(pid)


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    time_limit_s: float,
    should_stop: Callable[[], bool],
    poll_s: float = 0.5,
    **kwargs: Any,
) -> T:
    """Run ``fn(*args, **kwargs)`` in a child process and return its value.

    Raises TimeLimitExceeded after ``time_limit_s`` seconds and RunStopped as soon as ``should_stop()`` is true
    (checked every ``poll_s`` seconds); in both cases the child is killed at once and reaped. An exception of
    the child is raised again here with its type and message (as SimulationFailed(type name, message) when it
    cannot be pickled). The child is this process's simulation process, which keeps its noise models from run to
    run; a request that cannot be pickled runs in a child forked for it alone.
    """
    if time_limit_s <= 0 or poll_s <= 0:
        raise ValueError("time_limit_s and poll_s must be positive")
    limits = _Limits(time.monotonic() + time_limit_s, time_limit_s, should_stop, poll_s)
    try:
        request = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a local function, an open file: only a fork can take it along
        request = None
    if request is not None and _server_owner == os.getpid() and _server_lock.acquire(blocking=False):
        try:
            return _run_in_server(request, limits)  # type: ignore[no-any-return]
        finally:
            _server_lock.release()
    return _run_forked(fn, args, kwargs, limits)  # type: ignore[no-any-return]
