"""Model of the simulated 5-qubit star device: qubits, couplers, timing, calibration and the Qiskit target."""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, TypeGuard

from qiskit.circuit import Parameter
from qiskit.circuit.library import CZGate, Measure, RGate
from qiskit.transpiler import CouplingMap, InstructionProperties, Target

# Physical index i is QUBITS[i]; QB3 (index 2) is the centre of the star.
QUBITS: tuple[str, ...] = ("QB1", "QB2", "QB3", "QB4", "QB5")
COUPLERS: tuple[tuple[str, str], ...] = (("QB1", "QB3"), ("QB2", "QB3"), ("QB3", "QB4"), ("QB3", "QB5"))
MAX_QUBITS = len(QUBITS)

# Names as the backend record spells them; Qiskit calls PRX "r" (RGate(theta, phi) is the same rotation).
NATIVE_GATES: tuple[str, ...] = ("prx", "cz", "measure")
QISKIT_GATE_NAMES: Mapping[str, str] = MappingProxyType({"prx": "r", "cz": "cz", "measure": "measure"})


@dataclass(frozen=True)
class TimingProfile:
    """Gate, readout and per-shot timing of the device; metering and the circuit duration use it."""

    prx_ns: float = 120
    cz_ns: float = 120
    readout_ns: float = 1500
    rep_delay_us: float = 200
    overhead_s: float = 2

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise ValueError(f"timing {field.name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class Calibration:
    """One calibration of the device: per-qubit values keyed by qubit name, CZ fidelity keyed by coupler pair."""

    t1_us: Mapping[str, float]
    t2_us: Mapping[str, float]
    prx_fidelity: Mapping[str, float]
    readout_fidelity: Mapping[str, float]
    cz_fidelity: Mapping[tuple[str, str], float]

    def __reduce__(self) -> tuple[Any, tuple[dict[Any, float], ...]]:
        # Pickled as plain dicts (a read-only mapping proxy does not pickle), so a calibration can be sent to the
        # simulation process; it comes back read-only.
        values = (self.t1_us, self.t2_us, self.prx_fidelity, self.readout_fidelity, self.cz_fidelity)
        return _calibration_from_dicts, tuple(dict(mapping) for mapping in values)


def _calibration_from_dicts(*values: dict[Any, float]) -> Calibration:
    return Calibration(*(MappingProxyType(mapping) for mapping in values))


class CalibrationError(ValueError):
    """A calibration that does not describe this device or holds impossible values."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid calibration: " + "; ".join(problems))

    def __reduce__(self) -> tuple[type[CalibrationError], tuple[list[str]]]:
        # Pickle by problems, not by message, so the error crosses a process boundary intact.
        return type(self), (self.problems,)


DEFAULT_TIMING = TimingProfile()


def qubit_index(name: str) -> int:
    """Return the physical index of a qubit name such as ``QB3``."""
    try:
        return QUBITS.index(name)
    except ValueError:
        raise ValueError(f"unknown qubit {name!r}; the device has {', '.join(QUBITS)}") from None


def coupler_name(pair: tuple[str, str]) -> str:
    """Return the display name of a coupler, e.g. ``QB1-QB3``."""
    return f"{pair[0]}-{pair[1]}"


def parse_coupler_name(name: str) -> tuple[str, str]:
    """Return the coupler pair for a name such as ``QB1-QB3``, raising ValueError for an unknown coupler."""
    first, _, second = name.partition("-")
    if (first, second) not in COUPLERS:
        raise ValueError(f"unknown coupler {name!r}; the device has {', '.join(map(coupler_name, COUPLERS))}")
    return first, second


def coupler_indices() -> tuple[tuple[int, int], ...]:
    """Return the couplers as pairs of physical qubit indices."""
    return tuple((qubit_index(a), qubit_index(b)) for a, b in COUPLERS)


def uniform_calibration(
    *, t1_us: float, t2_us: float, prx_fidelity: float, readout_fidelity: float, cz_fidelity: float
) -> Calibration:
    """Return a calibration with the same values on every qubit and coupler (not validated)."""
    return Calibration(
        t1_us=MappingProxyType(dict.fromkeys(QUBITS, t1_us)),
        t2_us=MappingProxyType(dict.fromkeys(QUBITS, t2_us)),
        prx_fidelity=MappingProxyType(dict.fromkeys(QUBITS, prx_fidelity)),
        readout_fidelity=MappingProxyType(dict.fromkeys(QUBITS, readout_fidelity)),
        cz_fidelity=MappingProxyType(dict.fromkeys(COUPLERS, cz_fidelity)),
    )


# Placeholder from a published IQM 5-qubit star device until the site records its own calibration.
DEFAULT_CALIBRATION = uniform_calibration(
    t1_us=36, t2_us=19, prx_fidelity=0.997, readout_fidelity=0.95, cz_fidelity=0.962
)


def _is_number(value: object) -> TypeGuard[float]:
    # bool is an int subclass; True as a fidelity is a data-entry bug, not 1.0.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _key_problems(label: str, keys: Collection[object], expected: tuple[object, ...]) -> list[str]:
    problems = []
    missing = [key for key in expected if key not in keys]
    unknown = sorted((key for key in keys if key not in expected), key=repr)
    if missing:
        problems.append(f"{label}: missing {', '.join(map(_display, missing))}")
    if unknown:
        problems.append(f"{label}: unknown {', '.join(map(_display, unknown))}")
    return problems


def _display(key: object) -> str:
    if isinstance(key, tuple) and len(key) == 2 and all(isinstance(part, str) for part in key):
        return coupler_name((key[0], key[1]))
    return str(key)


def validate_calibration(calibration: Calibration) -> None:
    """Raise CalibrationError listing every problem: names must match the device, fidelities in (0, 1], times > 0."""
    problems: list[str] = []
    per_qubit: dict[str, Mapping[str, float]] = {
        "t1_us": calibration.t1_us,
        "t2_us": calibration.t2_us,
        "prx_fidelity": calibration.prx_fidelity,
        "readout_fidelity": calibration.readout_fidelity,
    }
    for label, values in per_qubit.items():
        problems += _key_problems(label, set(values), QUBITS)
    problems += _key_problems("cz_fidelity", set(calibration.cz_fidelity), COUPLERS)

    for label in ("prx_fidelity", "readout_fidelity"):
        for qubit, value in per_qubit[label].items():
            if qubit in QUBITS and not (_is_number(value) and 0 < value <= 1):
                problems.append(f"{label} of {qubit} must be in (0, 1], got {value!r}")
    for pair, value in calibration.cz_fidelity.items():
        if pair in COUPLERS and not (_is_number(value) and 0 < value <= 1):
            problems.append(f"cz_fidelity of {coupler_name(pair)} must be in (0, 1], got {value!r}")
    for label in ("t1_us", "t2_us"):
        for qubit, value in per_qubit[label].items():
            if qubit in QUBITS and not (_is_number(value) and value > 0):
                problems.append(f"{label} of {qubit} must be a finite number > 0, got {value!r}")
    for qubit in QUBITS:
        t1, t2 = calibration.t1_us.get(qubit), calibration.t2_us.get(qubit)
        # Physics: dephasing can never be slower than twice the energy relaxation time.
        if _is_number(t1) and _is_number(t2) and t2 > 2 * t1:
            problems.append(f"t2_us of {qubit} ({t2}) must be at most 2 x t1_us ({t1})")
    if problems:
        raise CalibrationError(problems)


def coupling_map() -> CouplingMap:
    """Return the star coupling map, both directions of every coupler (CZ is symmetric)."""
    edges = [edge for a, b in coupler_indices() for edge in ((a, b), (b, a))]
    return CouplingMap(edges)


@functools.cache
def build_target(timing: TimingProfile = DEFAULT_TIMING) -> Target:
    """Return the Qiskit Target of the device: r (PRX), cz and measure with durations (cached; do not mutate)."""
    target = Target(description="Quantum Facility Records simulated star", num_qubits=MAX_QUBITS)
    target.add_instruction(
        RGate(Parameter("theta"), Parameter("phi")),
        {(i,): InstructionProperties(duration=timing.prx_ns * 1e-9) for i in range(MAX_QUBITS)},
    )
    target.add_instruction(
        CZGate(),
        {edge: InstructionProperties(duration=timing.cz_ns * 1e-9) for edge in coupling_map().get_edges()},
    )
    target.add_instruction(
        Measure(),
        {(i,): InstructionProperties(duration=timing.readout_ns * 1e-9) for i in range(MAX_QUBITS)},
    )
    return target
