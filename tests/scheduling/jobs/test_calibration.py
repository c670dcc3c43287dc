from decimal import Decimal

import pytest

from scheduling.calibration import calibration_from_record, calibration_payload, timing_from_backend
from scheduling.simulator import DEFAULT_CALIBRATION, CalibrationError, TimingProfile
from tests.factories import BackendFactory, CalibrationRecordFactory


def test_no_record_means_the_default_calibration():
    assert calibration_from_record(None) is DEFAULT_CALIBRATION


@pytest.mark.django_db
def test_record_round_trips_and_accepts_either_coupler_order():
    payload = calibration_payload()
    payload["couplers"][0]["qubits"] = ["QB3", "QB1"]
    payload["couplers"][0]["cz_fidelity"] = 0.9
    payload["qubits"][4]["t1_us"] = 50
    record = CalibrationRecordFactory(qubits=payload["qubits"], couplers=payload["couplers"])
    calibration = calibration_from_record(record)
    assert calibration.cz_fidelity[("QB1", "QB3")] == 0.9
    assert calibration.t1_us["QB5"] == 50
    assert calibration.readout_fidelity == DEFAULT_CALIBRATION.readout_fidelity


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("qubits", "couplers"),
    [
        (calibration_payload()["qubits"][:4], calibration_payload()["couplers"]),  # QB5 missing
        ([{**q, "t2_us": 3 * q["t1_us"]} for q in calibration_payload()["qubits"]], calibration_payload()["couplers"]),
        (calibration_payload()["qubits"], [{"qubits": ["QB1", "QB2"], "cz_fidelity": 0.9}]),
        ([{**q, "prx_fidelity": True} for q in calibration_payload()["qubits"]], calibration_payload()["couplers"]),
        ({"QB1": {}}, []),
    ],
)
def test_bad_record_is_refused_with_the_problem(qubits, couplers):
    record = CalibrationRecordFactory(qubits=qubits, couplers=couplers)
    with pytest.raises(CalibrationError):
        calibration_from_record(record)


@pytest.mark.django_db
def test_timing_comes_from_the_backend_fields():
    backend = BackendFactory(prx_ns=40, cz_ns=80, readout_ns=2000, rep_delay_us=100, overhead_s=Decimal("1.5"))
    assert timing_from_backend(backend) == TimingProfile(
        prx_ns=40, cz_ns=80, readout_ns=2000, rep_delay_us=100, overhead_s=1.5
    )
