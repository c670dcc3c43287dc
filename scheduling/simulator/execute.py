"""Run an OpenQASM program on the simulated device: transpile, simulate with calibrated noise, meter."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from qiskit_aer import AerSimulator

from scheduling.simulator.circuits import prepare_circuit
from scheduling.simulator.device import Calibration, TimingProfile
from scheduling.simulator.metering import metered_seconds
from scheduling.simulator.noise import build_noise_model
from scheduling.simulator.parsing import CircuitError

MIN_SHOTS = 1
MAX_SHOTS = 100_000
# Chosen seeds stay below 2**31 so they fit a signed 32-bit integer column; given seeds may use Aer's full range.
MAX_SEED = 2**63 - 1


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


def _check_shots_and_seed(shots: int, seed: int | None) -> None:
    if isinstance(shots, bool) or not isinstance(shots, int) or not MIN_SHOTS <= shots <= MAX_SHOTS:
        raise CircuitError.single(f"shots must be a whole number from {MIN_SHOTS} to {MAX_SHOTS}, got {shots!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        raise CircuitError.single(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")


def run(source: str, *, shots: int, seed: int | None, calibration: Calibration, timing: TimingProfile) -> RunResult:
    """Transpile and simulate ``source``; the same source, shots, seed and calibration give the same counts."""
    _check_shots_and_seed(shots, seed)
    transpiled = prepare_circuit(source, timing=timing)
    used_seed = secrets.randbelow(2**31) if seed is None else seed
    # One thread: the worker runs one job per process, and a fixed thread count keeps runs reproducible.
    simulator = AerSimulator(
        noise_model=build_noise_model(calibration, timing),
        max_parallel_threads=1,
        seed_simulator=used_seed,
    )
    result = simulator.run(transpiled.circuit, shots=shots).result()
    raw_counts = result.get_counts(0)
    counts: dict[str, int] = {}
    for key, value in raw_counts.items():
        # Qiskit separates classical registers with spaces; the job stores one string, bit 0 rightmost.
        bitstring = str(key).replace(" ", "")
        counts[bitstring] = counts.get(bitstring, 0) + int(value)
    return RunResult(
        counts=counts,
        shots=shots,
        seed=used_seed,
        depth=transpiled.depth,
        prx_count=transpiled.prx_count,
        cz_count=transpiled.cz_count,
        num_qubits=transpiled.num_qubits,
        duration_ns=transpiled.duration_ns,
        qpu_seconds=metered_seconds(shots=shots, duration_ns=transpiled.duration_ns, timing=timing),
    )
