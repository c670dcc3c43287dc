"""run_isolated: a child process that is really stopped on a time limit or on request, and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scheduling.simulator import (
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    CircuitError,
    CircuitIssue,
    RunStopped,
    SimulationFailed,
    TimeLimitExceeded,
    noise_cache_info,
    prepare_batch,
    run_batch,
    run_isolated,
    uniform_calibration,
)

BASE_DIR = Path(__file__).resolve().parents[3]
GHZ5 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg c[5];\nh q[0];\ncx q[0], q[1];\ncx q[0], q[2];\n'
GHZ5 += "cx q[0], q[3];\ncx q[0], q[4];\nmeasure q -> c;\n"


def never() -> bool:
    return False


def add(a: int, b: int, *, times: int = 1) -> int:
    return (a + b) * times


def write_pid_and_sleep(path: str, seconds: float) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)


def child_pid(path: Path, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while True:
        if path.exists() and path.read_text():
            return int(path.read_text())
        if time.monotonic() >= deadline:
            raise AssertionError("the child never started")
        time.sleep(0.01)


def assert_gone(pid: int) -> None:
    # Reaped, not a zombie: the process id no longer exists at all.
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def raise_value_error() -> None:
    raise ValueError("boom at shot 7")


def raise_circuit_error() -> None:
    raise CircuitError([CircuitIssue(3, 1, "bad gate", circuit=2)])


def raise_unpicklable() -> None:
    class LocalError(Exception):
        pass

    raise LocalError("made inside the child")


def exit_without_answer() -> None:
    os._exit(3)


def test_returns_the_value_and_passes_arguments():
    assert run_isolated(add, 2, 3, times=4, time_limit_s=10, should_stop=never) == 20


def test_exceptions_come_back_with_their_type_and_message():
    with pytest.raises(ValueError, match="boom at shot 7"):
        run_isolated(raise_value_error, time_limit_s=10, should_stop=never)
    with pytest.raises(CircuitError) as caught:
        run_isolated(raise_circuit_error, time_limit_s=10, should_stop=never)
    assert caught.value.issues == [CircuitIssue(3, 1, "bad gate", circuit=2)]


def test_an_exception_that_cannot_be_pickled_comes_back_by_name():
    with pytest.raises(SimulationFailed) as caught:
        run_isolated(raise_unpicklable, time_limit_s=10, should_stop=never)
    assert caught.value.type_name == "LocalError"
    assert caught.value.message == "made inside the child"
    assert "raise LocalError" in caught.value.child_traceback


def test_a_child_that_dies_without_an_answer_is_a_failure():
    with pytest.raises(SimulationFailed, match=r"ended without a result \(exit status 3\)"):
        run_isolated(exit_without_answer, time_limit_s=10, should_stop=never)


def test_time_limit_kills_and_reaps_the_child(tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="time limit of 1 s"):
        run_isolated(write_pid_and_sleep, str(pid_file), 60, time_limit_s=1, should_stop=never, poll_s=0.2)
    assert time.monotonic() - started < 2
    assert_gone(child_pid(pid_file))


def test_should_stop_stops_the_run_within_a_poll(tmp_path):
    pid_file = tmp_path / "pid"
    flip_at = time.monotonic() + 0.5

    def stop_after_half_a_second() -> bool:
        return time.monotonic() >= flip_at

    with pytest.raises(RunStopped):
        run_isolated(
            write_pid_and_sleep, str(pid_file), 60, time_limit_s=60, should_stop=stop_after_half_a_second, poll_s=0.2
        )
    assert time.monotonic() - flip_at < 0.2 + 0.5
    assert_gone(child_pid(pid_file))


def test_a_batch_gives_the_same_result_in_the_child():
    circuits = prepare_batch([GHZ5, GHZ5], timing=DEFAULT_TIMING)
    options = {"shots": 1000, "seed": 42, "calibration": DEFAULT_CALIBRATION, "timing": DEFAULT_TIMING}
    isolated = run_isolated(run_batch, circuits, time_limit_s=60, should_stop=never, **options)
    assert isolated == run_batch(circuits, **options)


def builds_around_run_batch(circuits, **options) -> tuple[int, int]:
    before = noise_cache_info().builds
    run_batch(circuits, **options)
    return before, noise_cache_info().builds


def test_the_simulation_process_builds_a_noise_model_once_and_keeps_it():
    calibration = uniform_calibration(t1_us=27.5, t2_us=21, prx_fidelity=0.995, readout_fidelity=0.93, cz_fidelity=0.95)
    circuits = prepare_batch([GHZ5], timing=DEFAULT_TIMING)
    options = {"shots": 100, "seed": 1, "calibration": calibration, "timing": DEFAULT_TIMING}
    before, after = run_isolated(builds_around_run_batch, circuits, time_limit_s=60, should_stop=never, **options)
    assert after == before + 1  # a calibration it had not seen: built there
    before, after = run_isolated(builds_around_run_batch, circuits, time_limit_s=60, should_stop=never, **options)
    assert after == before  # kept for the next run


def test_runs_share_one_simulation_process_until_one_is_killed(tmp_path):
    first = run_isolated(os.getpid, time_limit_s=10, should_stop=never)
    assert first != os.getpid()
    assert run_isolated(os.getpid, time_limit_s=10, should_stop=never) == first  # no fork per run
    with pytest.raises(TimeLimitExceeded):
        run_isolated(write_pid_and_sleep, str(tmp_path / "pid"), 60, time_limit_s=0.5, should_stop=never, poll_s=0.1)
    assert_gone(first)
    replacement = run_isolated(os.getpid, time_limit_s=10, should_stop=never)
    assert replacement not in {first, os.getpid()}


def test_a_request_that_cannot_be_pickled_runs_in_a_child_of_its_own():
    shared = run_isolated(os.getpid, time_limit_s=10, should_stop=never)
    own = run_isolated(lambda: os.getpid(), time_limit_s=10, should_stop=never)  # a lambda does not pickle
    assert own not in {shared, os.getpid()}
    assert run_isolated(os.getpid, time_limit_s=10, should_stop=never) == shared


def write_pid_and_run_batch(pid_path: str, circuits, **options):
    Path(pid_path).write_text(str(os.getpid()))
    return run_batch(circuits, **options)


def test_a_long_aer_simulation_is_really_stopped(tmp_path):
    # ~4 000 native operations with mid-circuit measurements: Aer simulates each of 100 000 shots on its own,
    # which takes many minutes.
    body = "h q[0];\ncx q[0], q[2];\nrx(0.3) q[1];\ncx q[1], q[2];\nmeasure q[2] -> c[2];\n" * 700
    source = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg c[5];\n{body}measure q -> c;\n'
    circuits = prepare_batch([source], timing=DEFAULT_TIMING)
    options = {"shots": 100_000, "seed": 1, "calibration": DEFAULT_CALIBRATION, "timing": DEFAULT_TIMING}
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        run_isolated(
            write_pid_and_run_batch, str(pid_file), circuits, time_limit_s=2, should_stop=never, poll_s=0.1, **options
        )
    assert time.monotonic() - started < 2 + 1
    assert_gone(child_pid(pid_file, timeout=0))


def test_time_limit_and_poll_must_be_positive():
    with pytest.raises(ValueError, match="must be positive"):
        run_isolated(add, 1, 2, time_limit_s=0, should_stop=never)


def test_the_child_dies_with_its_parent(tmp_path):
    # A worker killed mid-job must not leave its simulation running as an orphan.
    pid_file = tmp_path / "pid"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path.insert(0, {str(BASE_DIR)!r})
        from scheduling.simulator import run_isolated

        def sleep_forever():
            with open({str(pid_file)!r}, "w") as pid_file:
                pid_file.write(str(os.getpid()))
            time.sleep(60)

        run_isolated(sleep_forever, time_limit_s=60, should_stop=lambda: False)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])  # noqa: S603 (fixed command line)
    try:
        pid = child_pid(pid_file, timeout=60)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and running(pid):
            time.sleep(0.05)
        assert not running(pid)  # killed by the kernel with its parent (reaped by init, or a zombie until then)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
