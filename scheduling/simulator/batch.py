"""Batches: many circuits validated together, metered with one overhead and simulated in one Aer pass.

Seeds: a batch has one seed (chosen below 2**31 when not given). Circuit ``i`` runs with ``seed + 2113 * i``,
which is how Aer seeds the circuits of one multi-circuit run; each ``CircuitRun`` records the seed Aer used,
and that circuit run alone with that seed gives the same counts. Circuit 0 runs with the batch seed itself, so
a one-circuit batch is the same run as ``run()``. A given seed leaves room for the derived ones below MAX_SEED
(``check_batch_seed``), so every circuit's seed fits a signed 64-bit column.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from qiskit.result.models import ExperimentResult

from scheduling.simulator.cache import device_noise
from scheduling.simulator.circuits import TranspiledCircuit, prepare_circuit
from scheduling.simulator.device import Calibration, CalibrationError, TimingProfile
from scheduling.simulator.idle import with_idle_relaxation
from scheduling.simulator.parsing import CircuitError, CircuitIssue

MIN_SHOTS = 1
MAX_SHOTS = 100_000
# Chosen seeds stay below 2**31 so they fit a signed 32-bit integer column; given seeds may use Aer's full range.
MAX_SEED = 2**63 - 1
MAX_BATCH_CIRCUITS = 500
MAX_BATCH_SHOTS = 1_000_000
# Aer's stride between the seeds of the circuits of one run (see the module docstring).
AER_SEED_STRIDE = 2113


class SimulationError(RuntimeError):
    """Aer could not simulate a circuit (not the researcher's input: it passed every check)."""


@dataclass(frozen=True)
class CircuitRun:
    """One circuit's outcome: counts in Qiskit bit order (bit 0 rightmost, no spaces) and its statistics."""

    index: int
    counts: dict[str, int]
    seed: int
    depth: int
    prx_count: int
    cz_count: int
    duration_ns: float


@dataclass(frozen=True)
class BatchResult:
    """A batch's outcome: the batch seed, metered QPU seconds (one overhead) and one run per circuit, in order."""

    seed: int
    qpu_seconds: float
    results: list[CircuitRun]


def check_shots_and_seed(shots: int, seed: int | None) -> None:
    """Raise CircuitError unless shots per circuit and the seed are within the device's limits."""
    if isinstance(shots, bool) or not isinstance(shots, int) or not MIN_SHOTS <= shots <= MAX_SHOTS:
        raise CircuitError.single(f"shots must be a whole number from {MIN_SHOTS} to {MAX_SHOTS}, got {shots!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        raise CircuitError.single(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")


def check_batch_size(count: int) -> None:
    """Raise CircuitError unless a batch has 1 to MAX_BATCH_CIRCUITS circuits."""
    if not 1 <= count <= MAX_BATCH_CIRCUITS:
        raise CircuitError.single(f"a batch holds 1 to {MAX_BATCH_CIRCUITS} circuits, got {count}")


def check_batch_shots(count: int, shots: int) -> None:
    """Raise CircuitError unless circuits and shots are within the limits, shots in all (count x shots) too."""
    check_batch_size(count)
    check_shots_and_seed(shots, None)
    if count * shots > MAX_BATCH_SHOTS:
        raise CircuitError.single(
            f"a batch runs at most {MAX_BATCH_SHOTS} shots in all; {count} circuits x {shots} shots is {count * shots}"
        )


def check_batch_seed(count: int, seed: int | None) -> None:
    """Raise CircuitError unless the seed is valid and every circuit's derived seed is at most MAX_SEED too."""
    check_shots_and_seed(MIN_SHOTS, seed)
    if seed is not None and seed + AER_SEED_STRIDE * (count - 1) > MAX_SEED:
        highest = MAX_SEED - AER_SEED_STRIDE * (count - 1)
        raise CircuitError.single(f"with {count} circuits the seed must be at most {highest}, got {seed}")


def prepare_batch(sources: Sequence[str], *, timing: TimingProfile) -> list[TranspiledCircuit]:
    """Parse, check and transpile every source; CircuitError lists every issue, each with its circuit index."""
    if isinstance(sources, str | bytes) or not isinstance(sources, Sequence):
        raise CircuitError.single("a batch is a list of OpenQASM programs")
    check_batch_size(len(sources))
    prepared: list[TranspiledCircuit] = []
    issues: list[CircuitIssue] = []
    for index, source in enumerate(sources):
        try:
            prepared.append(prepare_circuit(source, timing=timing))
        except CircuitError as exc:
            issues += [replace(issue, circuit=index) for issue in exc.issues]
    if issues:
        raise CircuitError(issues)
    return prepared


def estimate_seconds(circuits: Sequence[TranspiledCircuit], *, shots: int, timing: TimingProfile) -> float:
    """Return the metered QPU seconds of a batch: overhead + sum over circuits of shots x per-shot time."""
    check_batch_shots(len(circuits), shots)
    # Per-shot time summed in nanoseconds first, then one division: one circuit gives metered_seconds exactly.
    readout_and_delay_ns = timing.readout_ns + timing.rep_delay_us * 1000
    per_shot_ns = sum(circuit.duration_ns + readout_and_delay_ns for circuit in circuits)
    return timing.overhead_s + shots * per_shot_ns / 1e9


def _counts(experiment: ExperimentResult, num_clbits: int) -> dict[str, int]:
    # Aer reports counts by hexadecimal register value; the job stores one bit string, bit 0 rightmost.
    raw = getattr(experiment.data, "counts", None)
    if not isinstance(raw, Mapping):
        raise SimulationError(f"the simulator returned no counts: {getattr(experiment, 'status', '')}")
    return {format(int(str(key), 16), f"0{num_clbits}b"): int(value) for key, value in raw.items()}


def _simulate(
    circuits: Sequence[TranspiledCircuit], *, shots: int, seed: int, calibration: Calibration, timing: TimingProfile
) -> list[CircuitRun]:
    """One Aer run of every circuit with ``shots`` shots from ``seed`` (circuit ``i`` at ``seed + 2113 * i``)."""
    noise = device_noise(calibration, timing)
    scheduled = [with_idle_relaxation(circuit.circuit, timing, noise.idle_channel) for circuit in circuits]
    result = noise.simulator.run(scheduled, shots=shots, seed_simulator=seed).result()
    if not result.success or len(result.results) != len(circuits):
        raise SimulationError(f"the simulation failed: {getattr(result, 'status', 'no status')}")
    return [
        CircuitRun(
            index=index,
            counts=_counts(experiment, circuit.circuit.num_clbits),
            seed=int(experiment.seed_simulator),
            depth=circuit.depth,
            prx_count=circuit.prx_count,
            cz_count=circuit.cz_count,
            duration_ns=circuit.duration_ns,
        )
        for index, (circuit, experiment) in enumerate(zip(circuits, result.results, strict=True))
    ]


def run_batch(
    circuits: Sequence[TranspiledCircuit],
    *,
    shots: int,
    seed: int | None,
    calibration: Calibration,
    timing: TimingProfile,
) -> BatchResult:
    """Simulate every circuit with ``shots`` shots in one Aer run, with the calibration's cached noise model."""
    check_batch_shots(len(circuits), shots)
    check_batch_seed(len(circuits), seed)
    used_seed = secrets.randbelow(2**31) if seed is None else seed
    runs = _simulate(circuits, shots=shots, seed=used_seed, calibration=calibration, timing=timing)
    return BatchResult(seed=used_seed, qpu_seconds=estimate_seconds(circuits, shots=shots, timing=timing), results=runs)


@dataclass(frozen=True)
class BatchRequest:
    """One job's part of a pass of the simulation process: its circuits stored compiled
    (``TranspiledCircuit.to_bytes``), shots per circuit and seed (None: chosen)."""

    compiled: list[bytes]
    shots: int
    seed: int | None


def _unseeded_together(
    requests: Sequence[tuple[int, list[TranspiledCircuit]]],
    *,
    shots: int,
    calibration: Calibration,
    timing: TimingProfile,
) -> dict[int, BatchResult]:
    """Batches without a seed and with the same shots, in one Aer run: one chosen seed for the run, and each batch
    the seed of its first circuit, so that each one alone with its seed gives the same counts."""
    total = sum(len(circuits) for _position, circuits in requests)
    # Every batch's seed stays below 2**31, like a seed chosen for a batch alone.
    base = secrets.randbelow(2**31 - AER_SEED_STRIDE * total)
    together = [circuit for _position, circuits in requests for circuit in circuits]
    runs = _simulate(together, shots=shots, seed=base, calibration=calibration, timing=timing)
    answers: dict[int, BatchResult] = {}
    offset = 0
    for position, circuits in requests:
        own = runs[offset : offset + len(circuits)]
        answers[position] = BatchResult(
            seed=base + AER_SEED_STRIDE * offset,
            qpu_seconds=estimate_seconds(circuits, shots=shots, timing=timing),
            results=[replace(run, index=index) for index, run in enumerate(own)],
        )
        offset += len(circuits)
    return answers


def _failure(exc: Exception) -> Exception:
    # What crosses back to the worker: the simulator's own errors as they are, anything else by name and message.
    if isinstance(exc, CircuitError | CalibrationError | SimulationError):
        return exc
    return SimulationError(f"{type(exc).__name__}: {exc}")


def run_compiled_batches(
    requests: Sequence[BatchRequest], *, calibration: Calibration, timing: TimingProfile
) -> list[BatchResult | Exception]:
    """Several jobs' batches in one pass of the simulation process, one answer per request, in order: its result,
    or the error that failed it alone (the others still run).

    The circuits arrive as bytes and are read here, where the run happens: bytes cross to the simulation process
    at no cost, where circuits would be pickled one by one. Batches without a seed and with the same shots run in
    one Aer run (``_unseeded_together``), which saves Aer's set-up per run; a batch with a seed runs alone with it.
    If a run together fails, each of its batches runs alone, so one failure stays that batch's own."""
    device_noise(calibration, timing)  # a calibration the simulator cannot use fails the whole pass, here
    answers: dict[int, BatchResult | Exception] = {}
    loaded: dict[int, list[TranspiledCircuit]] = {}
    for position, request in enumerate(requests):
        try:
            loaded[position] = [TranspiledCircuit.from_bytes(data) for data in request.compiled]
        except Exception as exc:  # the job's own failure, like a failed run below
            answers[position] = _failure(exc)
    unseeded: dict[int, list[tuple[int, list[TranspiledCircuit]]]] = {}
    for position, circuits in loaded.items():
        if requests[position].seed is None:
            unseeded.setdefault(requests[position].shots, []).append((position, circuits))
    for shots, group in unseeded.items():
        if len(group) > 1:
            with contextlib.suppress(Exception):  # each batch then runs alone, below, and fails alone
                answers |= _unseeded_together(group, shots=shots, calibration=calibration, timing=timing)
    for position, circuits in loaded.items():
        if position in answers:
            continue
        request = requests[position]
        try:
            answers[position] = run_batch(
                circuits, shots=request.shots, seed=request.seed, calibration=calibration, timing=timing
            )
        except Exception as exc:  # the job's own result; the other jobs of the pass still run
            answers[position] = _failure(exc)
    return [answers[position] for position in range(len(requests))]
