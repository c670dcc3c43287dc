"""Temporary: the batch interface of `scheduling.simulator` (DESIGN.md 3.5) written over its single-circuit
functions, until the simulator provides `prepare_batch`, `estimate_seconds`, `run_batch` and `run_isolated`
itself. Same names and signatures, so that switching is an import change. Pure Python, no Django.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from qiskit import qpy
from qiskit_aer import AerSimulator

from scheduling.simulator import (
    Calibration,
    CircuitError,
    CircuitIssue,
    TimingProfile,
    TranspiledCircuit,
    build_noise_model,
    metered_seconds,
    prepare_circuit,
)

T = TypeVar("T")
_STATS = ("qasm_version", "depth", "prx_count", "cz_count", "measure_count", "num_qubits", "duration_ns")


@dataclass(frozen=True)
class BatchIssue(CircuitIssue):
    """A circuit issue that names the circuit of the batch it belongs to."""

    circuit: int | None = None


@dataclass(frozen=True)
class CircuitRun:
    index: int
    counts: dict[str, int]
    seed: int
    depth: int
    prx_count: int
    cz_count: int
    duration_ns: float


@dataclass(frozen=True)
class BatchResult:
    seed: int
    qpu_seconds: float
    results: list[CircuitRun]


class TimeLimitExceeded(Exception):
    """The run took longer than its wall-clock limit and was killed."""


class RunStopped(Exception):
    """The run was stopped on request (`should_stop`) and killed."""


def prepare_batch(sources: Sequence[str], *, timing: TimingProfile) -> list[TranspiledCircuit]:
    """Parse and transpile every source; CircuitError with the issues of all circuits, each naming its index."""
    prepared: list[TranspiledCircuit] = []
    issues: list[CircuitIssue] = []
    for index, source in enumerate(sources):
        try:
            prepared.append(prepare_circuit(source, timing=timing))
        except CircuitError as exc:
            issues += [BatchIssue(i.line, i.column, i.message, circuit=index) for i in exc.issues]
    if issues:
        raise CircuitError(issues)
    return prepared


def estimate_seconds(circuits: Sequence[TranspiledCircuit], *, shots: int, timing: TimingProfile) -> float:
    """The metered QPU seconds of a batch: one overhead plus every circuit's shots."""
    return timing.overhead_s + sum(
        metered_seconds(shots=shots, duration_ns=c.duration_ns, timing=timing) - timing.overhead_s for c in circuits
    )


def circuit_to_bytes(circuit: TranspiledCircuit) -> bytes:
    """QPY of the transpiled circuit, its statistics in the circuit's metadata."""
    native = circuit.circuit.copy()
    native.metadata = {name: getattr(circuit, name) for name in _STATS}
    buffer = io.BytesIO()
    qpy.dump(native, buffer)
    return buffer.getvalue()


def circuit_from_bytes(data: bytes) -> TranspiledCircuit:
    """The transpiled circuit `circuit_to_bytes` stored."""
    (native,) = qpy.load(io.BytesIO(data))
    stats = dict(native.metadata)
    return TranspiledCircuit(circuit=native, **stats)


def run_batch(
    circuits: Sequence[TranspiledCircuit],
    *,
    shots: int,
    seed: int | None,
    calibration: Calibration,
    timing: TimingProfile,
) -> BatchResult:
    """Simulate every circuit in one Aer pass; circuit i uses seed + i."""
    import secrets

    used = secrets.randbelow(2**31) if seed is None else seed
    simulator = AerSimulator(noise_model=build_noise_model(calibration, timing), max_parallel_threads=1)
    result = simulator.run([c.circuit for c in circuits], shots=shots, seed_simulator=used).result()
    runs = []
    for index, circuit in enumerate(circuits):
        counts: dict[str, int] = {}
        for key, value in result.get_counts(index).items():
            bitstring = str(key).replace(" ", "")
            counts[bitstring] = counts.get(bitstring, 0) + int(value)
        runs.append(
            CircuitRun(
                index=index,
                counts=counts,
                seed=used + index,
                depth=circuit.depth,
                prx_count=circuit.prx_count,
                cz_count=circuit.cz_count,
                duration_ns=circuit.duration_ns,
            )
        )
    return BatchResult(seed=used, qpu_seconds=estimate_seconds(circuits, shots=shots, timing=timing), results=runs)


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        conn.send_bytes(pickle.dumps(("ok", fn(*args, **kwargs))))
    except BaseException as exc:
        try:
            conn.send_bytes(pickle.dumps(("error", exc)))
        except Exception:
            conn.send_bytes(pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}"))))
    finally:
        os._exit(0)


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    time_limit_s: float,
    should_stop: Callable[[], bool],
    poll_s: float = 0.5,
    **kwargs: Any,
) -> T:
    """Run `fn` in a forked child; kill it past `time_limit_s` (TimeLimitExceeded) or when `should_stop()`
    (RunStopped); re-raise its exception otherwise."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, fn, args, kwargs), daemon=True)
    child.start()
    sender.close()
    deadline = time.monotonic() + time_limit_s
    try:
        while True:
            wait = max(0.0, min(poll_s, deadline - time.monotonic()))
            if receiver.poll(wait):
                try:
                    kind, value = pickle.loads(receiver.recv_bytes())  # noqa: S301  (our own child's answer)
                except EOFError:
                    child.join(timeout=5)
                    raise RuntimeError(f"the simulation process died (exit code {child.exitcode})") from None
                if kind == "error":
                    raise value
                return value  # type: ignore[no-any-return]
            if not child.is_alive():
                raise RuntimeError(f"the simulation process died (exit code {child.exitcode})")
            if time.monotonic() >= deadline:
                raise TimeLimitExceeded(f"the run took longer than {time_limit_s:g} s")
            if should_stop():
                raise RunStopped("the run was stopped")
    finally:
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
        receiver.close()
