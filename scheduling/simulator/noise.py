"""Qiskit Aer noise model of the device, built from one calibration and the timing profile."""

from __future__ import annotations

from typing import Any

from qiskit.quantum_info import Kraus, SuperOp, process_fidelity
from qiskit_aer.noise import NoiseModel, QuantumError, ReadoutError, depolarizing_error, thermal_relaxation_error

from scheduling.simulator.device import (
    COUPLERS,
    QUBITS,
    Calibration,
    TimingProfile,
    qubit_index,
    validate_calibration,
)


class SharedNoiseModel(NoiseModel):  # type: ignore[misc]  # Aer ships no type information
    """A noise model that is complete once built and then shared by many runs: never add errors to it.

    Aer serializes the noise model on every run (~8 ms for this device, more than simulating a small circuit);
    this one is serialized once.
    """

    _serialized: dict[bool, dict[str, Any]]

    def to_dict(self, serializable: bool = False) -> dict[str, Any]:
        cache: dict[bool, dict[str, Any]] = self.__dict__.setdefault("_serialized", {})
        if serializable not in cache:
            cache[serializable] = super().to_dict(serializable=serializable)
        return cache[serializable]


def _relaxation(calibration: Calibration, qubit: str, duration_ns: float) -> QuantumError:
    # Aer only needs consistent units; nanoseconds match the timing profile.
    return thermal_relaxation_error(calibration.t1_us[qubit] * 1000, calibration.t2_us[qubit] * 1000, duration_ns)


def depolarizing_parameter(*, average_fidelity: float, relaxation: QuantumError) -> float:
    """Return the depolarizing parameter that, after ``relaxation``, gives the calibrated average gate fidelity."""
    num_qubits = int(relaxation.num_qubits)
    dim = 1 << num_qubits
    # Average gate fidelity F and process fidelity P of a d-dimensional channel: F = (d P + 1) / (d + 1).
    target_process = (average_fidelity * (dim + 1) - 1) / dim
    relaxation_process = float(process_fidelity(relaxation.to_quantumchannel()))
    # Depolarizing with parameter p after any channel R has process fidelity (1 - p) P_R + p / d^2.
    if relaxation_process <= target_process:
        return 0.0  # relaxation alone already explains (or exceeds) the measured error
    parameter = (relaxation_process - target_process) / (relaxation_process - 1 / dim**2)
    return min(parameter, dim**2 / (dim**2 - 1))  # the largest parameter Aer accepts (a full Pauli twirl)


def as_kraus(channel: QuantumError | SuperOp) -> QuantumError:
    """Return ``channel`` as one Kraus operator set (the same channel).

    Aer converts every error of a noise model on every run; a sum of many small circuits (a two-qubit
    relaxation composed with a Pauli twirl is 144 of them) costs it ~100 ms per run, one Kraus set ~1 ms.
    """
    superop = channel if isinstance(channel, SuperOp) else SuperOp(channel.to_quantumchannel())
    return QuantumError(Kraus(superop))


def _gate_error(relaxation: QuantumError, average_fidelity: float) -> QuantumError | None:
    """Relaxation during the gate followed by the depolarizing that matches its fidelity; None if ideal."""
    parameter = depolarizing_parameter(average_fidelity=average_fidelity, relaxation=relaxation)
    if parameter <= 0:
        return None if relaxation.ideal() else as_kraus(relaxation)
    depolarizing = depolarizing_error(parameter, int(relaxation.num_qubits))
    # Composed as channels: composing the errors themselves multiplies their circuits out.
    return as_kraus(SuperOp(relaxation.to_quantumchannel()).compose(depolarizing.to_quantumchannel()))


def build_noise_model(calibration: Calibration, timing: TimingProfile) -> SharedNoiseModel:
    """Return the Aer noise model: relaxation plus depolarizing per gate (as Kraus sets), readout error per qubit.

    Idle relaxation depends on each circuit's schedule, so it is added to the circuit (``idle``), not here.
    """
    validate_calibration(calibration)
    model = SharedNoiseModel(basis_gates=["r", "cz"])
    for qubit in QUBITS:
        index = qubit_index(qubit)
        error = _gate_error(_relaxation(calibration, qubit, timing.prx_ns), calibration.prx_fidelity[qubit])
        if error is not None:
            model.add_quantum_error(error, "r", [index])
        fidelity = calibration.readout_fidelity[qubit]
        if fidelity < 1:
            # Symmetric assignment error: the calibration records one readout fidelity per qubit.
            model.add_readout_error(ReadoutError([[fidelity, 1 - fidelity], [1 - fidelity, fidelity]]), [index])
    for first, second in COUPLERS:
        a, b = qubit_index(first), qubit_index(second)
        # Both qubits relax for the whole CZ; in Aer's ordering the error's qubit 0 is the first listed qubit.
        relax_a = _relaxation(calibration, first, timing.cz_ns)
        relax_b = _relaxation(calibration, second, timing.cz_ns)
        fidelity = calibration.cz_fidelity[(first, second)]
        forward = _gate_error(relax_a.expand(relax_b), fidelity)
        backward = _gate_error(relax_b.expand(relax_a), fidelity)
        if forward is not None and backward is not None:
            model.add_quantum_error(forward, "cz", [a, b])
            model.add_quantum_error(backward, "cz", [b, a])
    return model
