"""Bridge between the database and the simulator: calibration records and backend timing as simulator values."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scheduling.models import Backend, CalibrationRecord
from scheduling.simulator import (
    COUPLERS,
    DEFAULT_CALIBRATION,
    Calibration,
    CalibrationError,
    TimingProfile,
    validate_calibration,
)

QUBIT_FIELDS = ("t1_us", "t2_us", "prx_fidelity", "readout_fidelity")


def _number(value: Any, label: str) -> float:
    # bool is an int: True as a fidelity is a data-entry bug, not 1.0.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CalibrationError([f"{label} must be a number, got {value!r}"])
    try:
        return float(value)
    except ValueError:
        raise CalibrationError([f"{label} must be a number, got {value!r}"]) from None


def _coupler_pair(names: Any) -> tuple[str, str]:
    if not isinstance(names, list | tuple) or len(names) != 2 or not all(isinstance(n, str) for n in names):
        raise CalibrationError([f"a coupler must name two qubits, got {names!r}"])
    pair = (names[0], names[1])
    # CZ is symmetric: accept either order and key it the way the device lists the coupler.
    return pair if pair in COUPLERS else (pair[1], pair[0])


def calibration_from_record(record: CalibrationRecord | None) -> Calibration:
    """The simulator calibration of a record (DEFAULT_CALIBRATION when none is recorded); CalibrationError if bad."""
    if record is None:
        return DEFAULT_CALIBRATION
    if not isinstance(record.qubits, list) or not isinstance(record.couplers, list):
        raise CalibrationError([f"calibration record {record.pk}: qubits and couplers must be lists"])
    per_qubit: dict[str, dict[str, float]] = {field: {} for field in QUBIT_FIELDS}
    for entry in record.qubits:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("qubit"), str):
            raise CalibrationError([f"calibration record {record.pk}: bad qubit entry {entry!r}"])
        for field in QUBIT_FIELDS:
            if field not in entry:
                raise CalibrationError([f"calibration record {record.pk}: {entry['qubit']} has no {field}"])
            per_qubit[field][entry["qubit"]] = _number(entry[field], f"{field} of {entry['qubit']}")
    cz: dict[tuple[str, str], float] = {}
    for entry in record.couplers:
        if not isinstance(entry, Mapping) or "cz_fidelity" not in entry:
            raise CalibrationError([f"calibration record {record.pk}: bad coupler entry {entry!r}"])
        pair = _coupler_pair(entry.get("qubits"))
        cz[pair] = _number(entry["cz_fidelity"], f"cz_fidelity of {pair[0]}-{pair[1]}")
    calibration = Calibration(
        t1_us=MappingProxyType(per_qubit["t1_us"]),
        t2_us=MappingProxyType(per_qubit["t2_us"]),
        prx_fidelity=MappingProxyType(per_qubit["prx_fidelity"]),
        readout_fidelity=MappingProxyType(per_qubit["readout_fidelity"]),
        cz_fidelity=MappingProxyType(cz),
    )
    validate_calibration(calibration)
    return calibration


def calibration_payload(calibration: Calibration = DEFAULT_CALIBRATION) -> dict[str, list[dict[str, Any]]]:
    """The `qubits`/`couplers` JSON of a CalibrationRecord holding `calibration` (the API's shape)."""
    return {
        "qubits": [
            {
                "qubit": qubit,
                "t1_us": calibration.t1_us[qubit],
                "t2_us": calibration.t2_us[qubit],
                "prx_fidelity": calibration.prx_fidelity[qubit],
                "readout_fidelity": calibration.readout_fidelity[qubit],
            }
            for qubit in calibration.t1_us
        ],
        "couplers": [
            {"qubits": [first, second], "cz_fidelity": fidelity}
            for (first, second), fidelity in calibration.cz_fidelity.items()
        ],
    }


def timing_from_backend(backend: Backend) -> TimingProfile:
    """The simulator timing profile of a backend's timing fields."""
    return TimingProfile(
        prx_ns=float(backend.prx_ns),
        cz_ns=float(backend.cz_ns),
        readout_ns=float(backend.readout_ns),
        rep_delay_us=float(backend.rep_delay_us),
        overhead_s=float(backend.overhead_s),
    )
