"""Run one OpenQASM program on the simulated device: transpile, simulate with calibrated noise, meter."""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.simulator.batch import MAX_SEED, MAX_SHOTS, MIN_SHOTS, check_shots_and_seed, run_batch
from scheduling.simulator.circuits import prepare_circuit
from scheduling.simulator.device import Calibration, TimingProfile

__all__ = ["MAX_SEED", "MAX_SHOTS", "MIN_SHOTS", "RunResult", "run"]


@dataclass(frozen=True)
class RunResult:
    """Outcome of one simulated job: counts in Qiskit bit order plus what the job record stores."""

    counts: dict[str, int]
    shots: int
    seed: int
    depth: int
    prx_count: int
    cz_count: int
    num_qubits: int
    duration_ns: float
    qpu_seconds: float


def run(source: str, *, shots: int, seed: int | None, calibration: Calibration, timing: TimingProfile) -> RunResult:
    """Transpile and simulate ``source``; the same source, shots, seed and calibration give the same counts."""
    check_shots_and_seed(shots, seed)
    transpiled = prepare_circuit(source, timing=timing)
    batch = run_batch([transpiled], shots=shots, seed=seed, calibration=calibration, timing=timing)
    (only,) = batch.results
    return RunResult(
        counts=only.counts,
        shots=shots,
        seed=batch.seed,
        depth=transpiled.depth,
        prx_count=transpiled.prx_count,
        cz_count=transpiled.cz_count,
        num_qubits=transpiled.num_qubits,
        duration_ns=transpiled.duration_ns,
        qpu_seconds=batch.qpu_seconds,
    )
