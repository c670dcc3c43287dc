"""Device model: qubits, star couplers, Qiskit target, timing and calibration validation."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from scheduling.simulator import (
    COUPLERS,
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    QUBITS,
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


def test_device_is_a_five_qubit_star_around_qb3():
    assert QUBITS == ("QB1", "QB2", "QB3", "QB4", "QB5")
    assert COUPLERS == (("QB1", "QB3"), ("QB2", "QB3"), ("QB3", "QB4"), ("QB3", "QB5"))
    assert coupler_indices() == ((0, 2), (1, 2), (2, 3), (2, 4))
    edges = set(coupling_map().get_edges())
    assert edges == {(0, 2), (2, 0), (1, 2), (2, 1), (2, 3), (3, 2), (2, 4), (4, 2)}


def test_qubit_and_coupler_names_round_trip():
    assert qubit_index("QB3") == 2
    assert coupler_name(("QB1", "QB3")) == "QB1-QB3"
    assert parse_coupler_name("QB3-QB5") == ("QB3", "QB5")
    with pytest.raises(ValueError, match="unknown qubit"):
        qubit_index("QB6")
    with pytest.raises(ValueError, match="unknown coupler"):
        parse_coupler_name("QB1-QB2")


def test_target_has_native_gates_with_timing_profile_durations():
    timing = TimingProfile(prx_ns=100, cz_ns=250, readout_ns=2000)
    target = build_target(timing)
    assert set(target.operation_names) == {"r", "cz", "measure"}
    assert set(target.qargs_for_operation_name("cz")) == set(coupling_map().get_edges())
    assert target["r"][(0,)].duration == pytest.approx(100e-9)
    assert target["cz"][(0, 2)].duration == pytest.approx(250e-9)
    assert target["measure"][(4,)].duration == pytest.approx(2000e-9)


def test_default_timing_profile_matches_design():
    expected = TimingProfile(prx_ns=120, cz_ns=120, readout_ns=1500, rep_delay_us=200, overhead_s=2)
    assert expected == DEFAULT_TIMING


def test_timing_profile_rejects_negative_or_non_finite_values():
    with pytest.raises(ValueError, match="cz_ns"):
        TimingProfile(cz_ns=-1)
    with pytest.raises(ValueError, match="overhead_s"):
        TimingProfile(overhead_s=math.inf)


def test_default_calibration_is_valid_and_matches_design():
    validate_calibration(DEFAULT_CALIBRATION)
    assert set(DEFAULT_CALIBRATION.t1_us.values()) == {36}
    assert set(DEFAULT_CALIBRATION.t2_us.values()) == {19}
    assert set(DEFAULT_CALIBRATION.prx_fidelity.values()) == {0.997}
    assert set(DEFAULT_CALIBRATION.readout_fidelity.values()) == {0.95}
    assert set(DEFAULT_CALIBRATION.cz_fidelity) == set(COUPLERS)
    assert set(DEFAULT_CALIBRATION.cz_fidelity.values()) == {0.962}


def test_perfect_calibration_is_valid():
    validate_calibration(
        uniform_calibration(t1_us=1e9, t2_us=1e9, prx_fidelity=1.0, readout_fidelity=1.0, cz_fidelity=1.0)
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"prx_fidelity": 0.0}, "prx_fidelity of QB1 must be in (0, 1]"),
        ({"readout_fidelity": 1.01}, "readout_fidelity of QB1 must be in (0, 1]"),
        ({"cz_fidelity": -0.5}, "cz_fidelity of QB1-QB3 must be in (0, 1]"),
        ({"cz_fidelity": math.nan}, "cz_fidelity of QB1-QB3 must be in (0, 1]"),
        ({"t1_us": 0.0}, "t1_us of QB1 must be a finite number > 0"),
        ({"t2_us": -3.0}, "t2_us of QB1 must be a finite number > 0"),
        ({"t1_us": 10.0, "t2_us": 20.5}, "t2_us of QB1 (20.5) must be at most 2 x t1_us (10.0)"),
    ],
)
def test_validate_calibration_rejects_impossible_values(changes, expected):
    values = {"t1_us": 36.0, "t2_us": 19.0, "prx_fidelity": 0.997, "readout_fidelity": 0.95, "cz_fidelity": 0.962}
    calibration = uniform_calibration(**(values | changes))
    with pytest.raises(CalibrationError) as info:
        validate_calibration(calibration)
    assert isinstance(info.value, ValueError)
    assert expected in str(info.value)


def test_validate_calibration_allows_t2_equal_to_twice_t1():
    validate_calibration(
        uniform_calibration(t1_us=10, t2_us=20, prx_fidelity=0.99, readout_fidelity=0.9, cz_fidelity=0.9)
    )


def test_validate_calibration_rejects_names_that_do_not_match_the_device():
    calibration = replace(
        DEFAULT_CALIBRATION,
        t1_us={**{q: 36.0 for q in QUBITS if q != "QB5"}, "QB6": 36.0},
        cz_fidelity={("QB3", "QB1"): 0.96, ("QB2", "QB3"): 0.96, ("QB3", "QB4"): 0.96, ("QB3", "QB5"): 0.96},
    )
    with pytest.raises(CalibrationError) as info:
        validate_calibration(calibration)
    assert info.value.problems == [
        "t1_us: missing QB5",
        "t1_us: unknown QB6",
        "cz_fidelity: missing QB1-QB3",
        "cz_fidelity: unknown QB3-QB1",
    ]


def test_validate_calibration_reports_every_problem_at_once():
    calibration = replace(
        DEFAULT_CALIBRATION,
        prx_fidelity=dict.fromkeys(QUBITS, 2.0),
        readout_fidelity={"QB1": 0.9},
    )
    with pytest.raises(CalibrationError) as info:
        validate_calibration(calibration)
    assert "readout_fidelity: missing QB2, QB3, QB4, QB5" in info.value.problems
    assert sum("prx_fidelity of" in problem for problem in info.value.problems) == 5


def test_validate_calibration_rejects_booleans_as_fidelities():
    calibration = replace(DEFAULT_CALIBRATION, prx_fidelity=dict.fromkeys(QUBITS, True))
    with pytest.raises(CalibrationError, match="prx_fidelity of QB1"):
        validate_calibration(calibration)
