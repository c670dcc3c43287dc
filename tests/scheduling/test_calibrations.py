"""Calibration records are validated against the backend; a new backend gets the default calibration."""

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import BookingPolicy
from scheduling.selectors import calibration_latest
from scheduling.services import calibration_create, calibration_data_default


def test_new_backend_has_default_policy_and_calibration(backend):
    policy = BookingPolicy.objects.get(backend=backend)
    assert (policy.slot_minutes, policy.max_minutes, policy.horizon_days, policy.max_future_bookings) == (
        15,
        240,
        28,
        10,
    )
    record = calibration_latest(backend=backend)
    assert record is not None
    assert {q["qubit"] for q in record.qubits} == {"QB1", "QB2", "QB3", "QB4", "QB5"}
    assert record.qubits[0] == {
        "qubit": "QB1",
        "t1_us": 36.0,
        "t2_us": 19.0,
        "prx_fidelity": 0.997,
        "readout_fidelity": 0.95,
    }
    assert {tuple(c["qubits"]) for c in record.couplers} == {
        ("QB1", "QB3"),
        ("QB2", "QB3"),
        ("QB3", "QB4"),
        ("QB3", "QB5"),
    }
    assert {c["cz_fidelity"] for c in record.couplers} == {0.962}


def _data(backend):
    return calibration_data_default(backend)


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("qubits", "prx_fidelity", 0),
        ("qubits", "readout_fidelity", 1.01),
        ("qubits", "t1_us", 0),
        ("qubits", "t2_us", 80.0),  # > 2 T1
        ("qubits", "qubit", "QB9"),
        ("couplers", "cz_fidelity", -0.5),
        ("couplers", "qubits", ["QB1", "QB2"]),  # not a coupler of the star
    ],
)
def test_calibration_refuses_bad_numbers_and_names(backend, where, key, value):
    qubits, couplers = _data(backend)
    (qubits if where == "qubits" else couplers)[0][key] = value
    before = calibration_latest(backend=backend)
    with pytest.raises(ValidationError) as exc:
        calibration_create(backend=backend, qubits=qubits, couplers=couplers)
    assert where in exc.value.message_dict
    assert calibration_latest(backend=backend) == before


def test_valid_calibration_becomes_latest(backend):
    qubits, couplers = _data(backend)
    qubits[0]["t2_us"] = 72.0  # exactly 2 T1
    record = calibration_create(backend=backend, qubits=qubits, couplers=couplers)
    assert calibration_latest(backend=backend) == record
