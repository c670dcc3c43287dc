"""Calibration records: validation against the backend's topology, and the default calibration."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import Backend, CalibrationRecord

# Placeholder numbers from a published IQM 5-qubit star device (DESIGN.md 3.5).
DEFAULT_T1_US = 36.0
DEFAULT_T2_US = 19.0
DEFAULT_PRX_FIDELITY = 0.997
DEFAULT_READOUT_FIDELITY = 0.95
DEFAULT_CZ_FIDELITY = 0.962
DEFAULT_CALIBRATION_NOTES = "Default calibration (placeholder from a published IQM 5-qubit star device)."

QUBIT_KEYS = ("qubit", "t1_us", "t2_us", "prx_fidelity", "readout_fidelity")


def calibration_data_default(backend: Backend) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The default per-qubit and per-coupler numbers for every qubit and coupler of the backend."""
    qubits = [
        {
            "qubit": name,
            "t1_us": DEFAULT_T1_US,
            "t2_us": DEFAULT_T2_US,
            "prx_fidelity": DEFAULT_PRX_FIDELITY,
            "readout_fidelity": DEFAULT_READOUT_FIDELITY,
        }
        for name in backend.qubits
    ]
    couplers = [{"qubits": list(pair), "cz_fidelity": DEFAULT_CZ_FIDELITY} for pair in backend.couplers]
    return qubits, couplers


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def calibration_validate(*, backend: Backend, qubits: object, couplers: object) -> None:
    """Refuse numbers outside physics (fidelities in (0, 1], times > 0, T2 <= 2 T1) or names not on the backend."""
    errors: dict[str, list[str]] = {"qubits": [], "couplers": []}
    known_qubits = set(backend.qubits)
    known_couplers = {frozenset(pair) for pair in backend.couplers}
    if not isinstance(qubits, list):
        errors["qubits"].append(_("Expected a list of qubits."))
        qubits = []
    seen: set[str] = set()
    for entry in qubits:
        if not isinstance(entry, dict) or set(entry) != set(QUBIT_KEYS):
            errors["qubits"].append(_("Each qubit needs exactly: %(keys)s.") % {"keys": ", ".join(QUBIT_KEYS)})
            continue
        name = entry["qubit"]
        if name not in known_qubits:
            errors["qubits"].append(_("%(qubit)s is not a qubit of this backend.") % {"qubit": name})
            continue
        if name in seen:
            errors["qubits"].append(_("%(qubit)s is listed twice.") % {"qubit": name})
        seen.add(name)
        t1, t2 = _number(entry["t1_us"]), _number(entry["t2_us"])
        if t1 is None or t2 is None or t1 <= 0 or t2 <= 0:
            errors["qubits"].append(_("%(qubit)s: T1 and T2 must be positive numbers.") % {"qubit": name})
        elif t2 > 2 * t1:
            errors["qubits"].append(_("%(qubit)s: T2 may not exceed 2 T1.") % {"qubit": name})
        for key in ("prx_fidelity", "readout_fidelity"):
            fidelity = _number(entry[key])
            if fidelity is None or not 0 < fidelity <= 1:
                errors["qubits"].append(_("%(qubit)s: %(field)s must be in (0, 1].") % {"qubit": name, "field": key})
    if not isinstance(couplers, list):
        errors["couplers"].append(_("Expected a list of couplers."))
        couplers = []
    seen_pairs: set[frozenset[str]] = set()
    for entry in couplers:
        if not isinstance(entry, dict) or set(entry) != {"qubits", "cz_fidelity"}:
            errors["couplers"].append(_("Each coupler needs exactly: qubits, cz_fidelity."))
            continue
        pair_list = entry["qubits"]
        pair = frozenset(pair_list) if isinstance(pair_list, list) and len(pair_list) == 2 else None
        label = "-".join(str(q) for q in pair_list) if isinstance(pair_list, list) else str(pair_list)
        if pair is None or pair not in known_couplers:
            errors["couplers"].append(_("%(coupler)s is not a coupler of this backend.") % {"coupler": label})
            continue
        if pair in seen_pairs:
            errors["couplers"].append(_("%(coupler)s is listed twice.") % {"coupler": label})
        seen_pairs.add(pair)
        fidelity = _number(entry["cz_fidelity"])
        if fidelity is None or not 0 < fidelity <= 1:
            errors["couplers"].append(_("%(coupler)s: cz_fidelity must be in (0, 1].") % {"coupler": label})
    found = {field: messages for field, messages in errors.items() if messages}
    if found:
        raise ValidationError(found)


@transaction.atomic
def calibration_create(
    *,
    backend: Backend,
    qubits: list[dict[str, Any]],
    couplers: list[dict[str, Any]],
    measured_at: datetime.datetime | None = None,
    notes: str = "",
) -> CalibrationRecord:
    """Record a calibration after validating it against the backend's qubits and couplers."""
    calibration_validate(backend=backend, qubits=qubits, couplers=couplers)
    record = CalibrationRecord(
        backend=backend,
        measured_at=measured_at or timezone.now(),
        qubits=qubits,
        couplers=couplers,
        notes=notes,
    )
    record.full_clean()
    record.save()
    return record


def calibration_create_default(*, backend: Backend, measured_at: datetime.datetime | None = None) -> CalibrationRecord:
    """Record DESIGN.md's default calibration for every qubit and coupler of the backend."""
    qubits, couplers = calibration_data_default(backend)
    return calibration_create(
        backend=backend, qubits=qubits, couplers=couplers, measured_at=measured_at, notes=DEFAULT_CALIBRATION_NOTES
    )
