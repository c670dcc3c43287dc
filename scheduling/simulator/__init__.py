"""Simulated 5-qubit star backend: device model, OpenQASM checks and transpilation, noisy simulation, metering.

Pure Python (Qiskit and Qiskit Aer); nothing here imports Django.
"""

from scheduling.simulator.circuits import (
    ALLOWED_OPERATIONS,
    SEED_TRANSPILER,
    TranspiledCircuit,
    check_circuit,
    circuit_duration_ns,
    prepare_circuit,
    transpile_circuit,
)
from scheduling.simulator.device import (
    COUPLERS,
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    MAX_QUBITS,
    NATIVE_GATES,
    QISKIT_GATE_NAMES,
    QUBITS,
    Calibration,
    CalibrationError,
    TimingProfile,
    build_target,
    coupler_indices,
    coupler_name,
    coupling_map,
    parse_coupler_name,
    qubit_index,
    uniform_calibration,
    validate_calibration,
)
from scheduling.simulator.execute import MAX_SEED, MAX_SHOTS, MIN_SHOTS, RunResult, run
from scheduling.simulator.metering import metered_seconds
from scheduling.simulator.noise import build_noise_model, depolarizing_parameter
from scheduling.simulator.parsing import (
    MAX_CLASSICAL_BITS,
    MAX_EXPANDED_OPERATIONS,
    MAX_NATIVE_OPERATIONS,
    MAX_SOURCE_CHARS,
    CircuitError,
    CircuitIssue,
    parse_circuit,
)

__all__ = [
    "ALLOWED_OPERATIONS",
    "COUPLERS",
    "DEFAULT_CALIBRATION",
    "DEFAULT_TIMING",
    "MAX_CLASSICAL_BITS",
    "MAX_EXPANDED_OPERATIONS",
    "MAX_NATIVE_OPERATIONS",
    "MAX_QUBITS",
    "MAX_SEED",
    "MAX_SHOTS",
    "MAX_SOURCE_CHARS",
    "MIN_SHOTS",
    "NATIVE_GATES",
    "QISKIT_GATE_NAMES",
    "QUBITS",
    "SEED_TRANSPILER",
    "Calibration",
    "CalibrationError",
    "CircuitError",
    "CircuitIssue",
    "RunResult",
    "TimingProfile",
    "TranspiledCircuit",
    "build_noise_model",
    "build_target",
    "check_circuit",
    "circuit_duration_ns",
    "coupler_indices",
    "coupler_name",
    "coupling_map",
    "depolarizing_parameter",
    "metered_seconds",
    "parse_circuit",
    "parse_coupler_name",
    "prepare_circuit",
    "qubit_index",
    "run",
    "transpile_circuit",
    "uniform_calibration",
    "validate_calibration",
]
