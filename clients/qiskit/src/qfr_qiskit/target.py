"""The Qiskit `Target` of a backend, from its API record: qubits, couplers, native gates, timing, calibration."""

from __future__ import annotations

from typing import Any

from qiskit.circuit import Parameter
from qiskit.circuit.library import CZGate, Measure, RGate
from qiskit.providers import QubitProperties
from qiskit.transpiler import InstructionProperties, Target

# The site's native gate names and Qiskit's: PRX is Qiskit's `r(theta, phi)`.
QISKIT_NAMES = {"prx": "r", "cz": "cz", "measure": "measure"}
NS = 1e-9
US = 1e-6


def _error(fidelity: Any) -> float | None:
    return None if fidelity is None else max(0.0, 1.0 - float(fidelity))


def calibration_maps(
    calibration: dict[str, Any] | None,
) -> tuple[dict[str, dict[str, Any]], dict[frozenset[str], dict[str, Any]]]:
    """Per-qubit rows by qubit name and per-coupler rows by their (unordered) pair of names."""
    calibration = calibration or {}
    qubits = {row["qubit"]: row for row in calibration.get("qubits") or []}
    couplers = {frozenset(row["qubits"]): row for row in calibration.get("couplers") or []}
    return qubits, couplers


def build_target(record: dict[str, Any]) -> Target:
    """A Target for the backend: `r` on every qubit, `cz` both ways on every coupler, `measure`; durations from
    the timing profile, errors from the latest calibration (1 - fidelity), T1/T2 as qubit properties."""
    names: list[str] = list(record["qubits"])
    index = {name: i for i, name in enumerate(names)}
    timing = record.get("timing") or {}
    qubit_rows, coupler_rows = calibration_maps(record.get("latest_calibration"))
    properties = []
    for name in names:
        row = qubit_rows.get(name, {})
        t1, t2 = row.get("t1_us"), row.get("t2_us")
        properties.append(
            QubitProperties(t1=None if t1 is None else float(t1) * US, t2=None if t2 is None else float(t2) * US)
        )
    target = Target(
        description=f"{record.get('display_name') or record['name']} ({record['name']})",
        num_qubits=len(names),
        qubit_properties=properties,
    )
    gates = set(record.get("native_gates") or QISKIT_NAMES)
    if "prx" in gates:
        duration = float(timing.get("prx_ns", 120)) * NS
        target.add_instruction(
            RGate(Parameter("theta"), Parameter("phi")),
            {
                (index[name],): InstructionProperties(
                    duration=duration, error=_error(qubit_rows.get(name, {}).get("prx_fidelity"))
                )
                for name in names
            },
        )
    if "cz" in gates:
        duration = float(timing.get("cz_ns", 120)) * NS
        cz: dict[tuple[int, ...], InstructionProperties | None] = {}
        for first, second in record.get("couplers") or []:
            error = _error(coupler_rows.get(frozenset((first, second)), {}).get("cz_fidelity"))
            for pair in ((first, second), (second, first)):  # CZ is symmetric
                cz[(index[pair[0]], index[pair[1]])] = InstructionProperties(duration=duration, error=error)
        if cz:
            target.add_instruction(CZGate(), cz)
    if "measure" in gates:
        duration = float(timing.get("readout_ns", 1500)) * NS
        target.add_instruction(
            Measure(),
            {
                (index[name],): InstructionProperties(
                    duration=duration, error=_error(qubit_rows.get(name, {}).get("readout_fidelity"))
                )
                for name in names
            },
        )
    return target
