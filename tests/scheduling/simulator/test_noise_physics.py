"""Noisy simulation: calibrated noise shows up in the counts, perfect calibration gives ideal counts, seeds repeat."""

from __future__ import annotations

import pytest
from qiskit_aer.noise import thermal_relaxation_error

from scheduling.simulator import (
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    Calibration,
    CalibrationError,
    CircuitError,
    build_noise_model,
    depolarizing_parameter,
    metered_seconds,
    prepare_circuit,
    run,
    uniform_calibration,
)

SHOTS = 2000

# QB1 and QB3 are physical qubits $0 and $2.
BELL_QB1_QB3 = """OPENQASM 3.0;
include "stdgates.inc";
bit[2] c;
h $0;
cx $0, $2;
c[0] = measure $0;
c[1] = measure $2;
"""

GHZ5 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[5];
creg c[5];
h q[0];
cx q[0], q[1];
cx q[0], q[2];
cx q[0], q[3];
cx q[0], q[4];
measure q -> c;
"""

PERFECT = uniform_calibration(t1_us=1e9, t2_us=1e9, prx_fidelity=1.0, readout_fidelity=1.0, cz_fidelity=1.0)
WORSE = uniform_calibration(t1_us=20, t2_us=10, prx_fidelity=0.99, readout_fidelity=0.9, cz_fidelity=0.9)


def simulate(source: str, calibration: Calibration = DEFAULT_CALIBRATION, *, seed: int | None = 7, shots: int = SHOTS):
    return run(source, shots=shots, seed=seed, calibration=calibration, timing=DEFAULT_TIMING)


def ideal_fraction(counts: dict[str, int], ideal: set[str]) -> float:
    return sum(counts.get(outcome, 0) for outcome in ideal) / sum(counts.values())


def test_bell_pair_on_qb1_qb3_is_mostly_correlated_but_noisy():
    result = simulate(BELL_QB1_QB3)
    assert sum(result.counts.values()) == SHOTS
    fraction = ideal_fraction(result.counts, {"00", "11"})
    assert 0.80 < fraction < 0.98
    assert set(result.counts) - {"00", "11"}, "default calibration must produce some errors"
    assert result.cz_count == 1  # QB1-QB3 is a coupler: no routing needed
    native = prepare_circuit(BELL_QB1_QB3).circuit
    assert {native.find_bit(qubit).index for inst in native.data for qubit in inst.qubits} == {0, 2}


def test_ghz_on_five_qubits_with_default_calibration_is_in_the_expected_band():
    result = simulate(GHZ5)
    fraction = ideal_fraction(result.counts, {"00000", "11111"})
    assert 0.55 < fraction < 0.85
    assert set(result.counts) - {"00000", "11111"}
    # Both ideal outcomes appear in roughly equal measure.
    assert abs(result.counts["00000"] - result.counts["11111"]) < 0.15 * SHOTS


@pytest.mark.parametrize(("source", "ideal"), [(BELL_QB1_QB3, {"00", "11"}), (GHZ5, {"00000", "11111"})])
def test_perfect_calibration_gives_only_ideal_outcomes(source, ideal):
    counts = simulate(source, PERFECT).counts
    assert set(counts) == ideal


def test_worse_calibration_gives_measurably_worse_results():
    default = ideal_fraction(simulate(GHZ5).counts, {"00000", "11111"})
    worse = ideal_fraction(simulate(GHZ5, WORSE).counts, {"00000", "11111"})
    assert worse < default - 0.1


def test_worse_readout_alone_gives_worse_results():
    good = uniform_calibration(t1_us=1e9, t2_us=1e9, prx_fidelity=1.0, readout_fidelity=0.99, cz_fidelity=1.0)
    bad = uniform_calibration(t1_us=1e9, t2_us=1e9, prx_fidelity=1.0, readout_fidelity=0.9, cz_fidelity=1.0)
    assert ideal_fraction(simulate(GHZ5, bad).counts, {"00000", "11111"}) < ideal_fraction(
        simulate(GHZ5, good).counts, {"00000", "11111"}
    )


def test_noise_on_one_qubit_only_affects_that_qubit():
    readout = dict.fromkeys(PERFECT.readout_fidelity, 1.0) | {"QB5": 0.7}
    calibration = Calibration(
        t1_us=PERFECT.t1_us,
        t2_us=PERFECT.t2_us,
        prx_fidelity=PERFECT.prx_fidelity,
        readout_fidelity=readout,
        cz_fidelity=PERFECT.cz_fidelity,
    )
    source = "OPENQASM 3.0;\nbit[5] c;\nc[0] = measure $0;\nc[4] = measure $4;\n"
    counts = simulate(source, calibration).counts
    assert set(counts) == {"00000", "10000"}  # only bit 4, read from QB5, ever flips
    assert 0.2 < counts["10000"] / SHOTS < 0.4


def test_same_seed_gives_identical_counts_and_different_seed_different_counts():
    first = simulate(GHZ5, seed=1234)
    again = simulate(GHZ5, seed=1234)
    other = simulate(GHZ5, seed=4321)
    assert first.counts == again.counts
    assert first.counts != other.counts


def test_missing_seed_is_chosen_and_returned_so_the_run_can_be_repeated():
    first = simulate(GHZ5, seed=None)
    assert isinstance(first.seed, int)
    assert 0 <= first.seed < 2**31
    assert simulate(GHZ5, seed=first.seed).counts == first.counts


def test_counts_use_qiskit_bit_order_without_register_spaces():
    source = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[1] a;\nbit[2] b;\nx q[2];\n'
    source += "a[0] = measure q[0];\nb[0] = measure q[1];\nb[1] = measure q[2];\n"
    counts = simulate(source, PERFECT).counts
    # Classical bit 0 is a[0] and rightmost; b[1] (bit 2) holds the 1.
    assert counts == {"100": SHOTS}


def test_run_reports_transpiled_statistics_and_metered_time():
    result = simulate(GHZ5, shots=1000)
    assert result.shots == 1000
    assert result.cz_count == 4  # a star GHZ from the centre needs no routing
    assert result.prx_count > 0
    assert result.depth > 0
    assert result.num_qubits == 5
    assert result.qpu_seconds == pytest.approx(
        metered_seconds(shots=1000, duration_ns=result.duration_ns, timing=DEFAULT_TIMING)
    )


@pytest.mark.parametrize("shots", [0, -1, 100_001, True, 2.5])
def test_shots_outside_limits_are_refused(shots):
    with pytest.raises(CircuitError, match="shots must be"):
        run(GHZ5, shots=shots, seed=1, calibration=DEFAULT_CALIBRATION, timing=DEFAULT_TIMING)


def test_shot_limits_are_inclusive():
    assert sum(simulate(BELL_QB1_QB3, shots=1).counts.values()) == 1
    assert sum(simulate(BELL_QB1_QB3, shots=100_000).counts.values()) == 100_000


@pytest.mark.parametrize("seed", [-1, 2**63, "7"])
def test_invalid_seed_is_refused(seed):
    with pytest.raises(CircuitError, match="seed must be"):
        simulate(GHZ5, seed=seed)


def test_invalid_calibration_is_refused_before_simulating():
    broken = uniform_calibration(t1_us=10, t2_us=30, prx_fidelity=0.99, readout_fidelity=0.9, cz_fidelity=0.9)
    with pytest.raises(CalibrationError, match="t2_us"):
        simulate(GHZ5, broken)


def test_invalid_circuit_is_refused_by_run():
    with pytest.raises(CircuitError, match="no measurement"):
        simulate('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit q;\nh q;\n')


def test_depolarizing_parameter_grows_as_fidelity_drops():
    relaxation = thermal_relaxation_error(36_000, 19_000, 120)
    parameters = [depolarizing_parameter(average_fidelity=f, relaxation=relaxation) for f in (0.997, 0.99, 0.9)]
    assert 0 < parameters[0] < parameters[1] < parameters[2]


def test_depolarizing_parameter_is_zero_when_relaxation_explains_the_error():
    relaxation = thermal_relaxation_error(1_000, 500, 120)  # short T1: relaxation alone is worse than 0.999
    assert depolarizing_parameter(average_fidelity=0.999, relaxation=relaxation) == 0


def test_perfect_calibration_adds_no_gate_or_readout_error_beyond_negligible_relaxation():
    model = build_noise_model(PERFECT, DEFAULT_TIMING)
    assert "measure" not in model.noise_instructions
