"""Batches: validated together (issues name their circuit), one overhead, one Aer run, derived seeds, QPY bytes."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from qiskit_aer import AerSimulator

from scheduling.simulator import (
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    MAX_BATCH_CIRCUITS,
    MAX_SEED,
    CalibrationError,
    CircuitError,
    CircuitIssue,
    TimingProfile,
    TranspiledCircuit,
    check_batch_seed,
    estimate_seconds,
    metered_seconds,
    prepare_batch,
    prepare_circuit,
    run,
    run_batch,
    uniform_calibration,
)
from scheduling.simulator.batch import AER_SEED_STRIDE

BASE_DIR = Path(__file__).resolve().parents[3]
PERFECT = uniform_calibration(t1_us=1e9, t2_us=1e9, prx_fidelity=1.0, readout_fidelity=1.0, cz_fidelity=1.0)
HEADER = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def flip(bits: str) -> str:
    """A circuit that sets classical bit i to bits[-1 - i] (Qiskit order: bit 0 rightmost)."""
    lines = [f"bit[{len(bits)}] c;"]
    lines += [f"x ${i};" for i in range(len(bits)) if bits[-1 - i] == "1"]
    lines += [f"c[{i}] = measure ${i};" for i in range(len(bits))]
    return HEADER + "\n".join(lines) + "\n"


GHZ3 = HEADER + "bit[3] c;\nh $2;\ncx $2, $0;\ncx $2, $1;\nc[0] = measure $0;\nc[1] = measure $1;\nc[2] = measure $2;\n"


def batch(sources, **kwargs):
    options = {"shots": 500, "seed": 3, "calibration": DEFAULT_CALIBRATION, "timing": DEFAULT_TIMING} | kwargs
    return run_batch(prepare_batch(sources, timing=DEFAULT_TIMING), **options)


def test_counts_per_circuit_in_order_and_in_qiskit_bit_order():
    sources = [flip("001"), flip("110"), flip("10"), flip("1")]
    result = batch(sources, calibration=PERFECT, shots=50)
    assert [run.index for run in result.results] == [0, 1, 2, 3]
    assert [run.counts for run in result.results] == [{"001": 50}, {"110": 50}, {"10": 50}, {"1": 50}]


def test_batch_records_each_circuits_statistics():
    sources = [GHZ3, flip("1")]
    prepared = prepare_batch(sources, timing=DEFAULT_TIMING)
    result = run_batch(prepared, shots=10, seed=1, calibration=DEFAULT_CALIBRATION, timing=DEFAULT_TIMING)
    for circuit, run_ in zip(prepared, result.results, strict=True):
        assert (run_.depth, run_.prx_count, run_.cz_count, run_.duration_ns) == (
            circuit.depth,
            circuit.prx_count,
            circuit.cz_count,
            circuit.duration_ns,
        )
    assert result.results[0].cz_count == 2


def test_batch_is_metered_with_one_overhead():
    prepared = prepare_batch([GHZ3, flip("1"), flip("11")], timing=DEFAULT_TIMING)
    one_each = [metered_seconds(shots=700, duration_ns=c.duration_ns, timing=DEFAULT_TIMING) for c in prepared]
    estimate = estimate_seconds(prepared, shots=700, timing=DEFAULT_TIMING)
    # Three separate jobs pay the overhead three times; one batch pays it once.
    assert estimate == pytest.approx(sum(one_each) - 2 * DEFAULT_TIMING.overhead_s)
    result = run_batch(prepared, shots=700, seed=1, calibration=DEFAULT_CALIBRATION, timing=DEFAULT_TIMING)
    assert result.qpu_seconds == estimate


def test_estimate_of_one_circuit_is_the_metering_formula_exactly():
    (circuit,) = prepare_batch([GHZ3], timing=DEFAULT_TIMING)
    timing = TimingProfile(readout_ns=700, rep_delay_us=50, overhead_s=1.5)
    assert estimate_seconds([circuit], shots=1234, timing=timing) == metered_seconds(
        shots=1234, duration_ns=circuit.duration_ns, timing=timing
    )


def test_all_circuits_run_in_one_aer_pass(monkeypatch):
    calls = []
    real_run = AerSimulator.run

    def counting_run(self, circuits, *args, **kwargs):
        calls.append(len(circuits))
        return real_run(self, circuits, *args, **kwargs)

    monkeypatch.setattr(AerSimulator, "run", counting_run)
    batch([GHZ3] * 7, shots=20)
    assert calls == [7]


def test_circuit_seeds_derive_from_the_batch_seed_and_reproduce_each_circuit_alone():
    sources = [GHZ3, GHZ3, flip("11")]
    result = batch(sources, seed=1000, shots=300)
    assert result.seed == 1000
    assert [run_.seed for run_ in result.results] == [1000 + AER_SEED_STRIDE * i for i in range(3)]
    # The same circuit twice in one batch gets different seeds, so different samples.
    assert result.results[0].counts != result.results[1].counts
    for run_, source in zip(result.results, sources, strict=True):
        alone = batch([source], seed=run_.seed, shots=300)
        assert alone.results[0].counts == run_.counts


def test_same_seed_gives_the_same_batch_and_no_seed_is_chosen_and_returned():
    assert batch([GHZ3, GHZ3], seed=77) == batch([GHZ3, GHZ3], seed=77)
    chosen = batch([GHZ3, GHZ3], seed=None)
    assert 0 <= chosen.seed < 2**31
    assert batch([GHZ3, GHZ3], seed=chosen.seed) == chosen


def test_run_of_one_source_is_a_one_circuit_batch():
    single = run(GHZ3, shots=400, seed=9, calibration=DEFAULT_CALIBRATION, timing=DEFAULT_TIMING)
    as_batch = batch([GHZ3], shots=400, seed=9)
    assert single.counts == as_batch.results[0].counts
    assert single.qpu_seconds == as_batch.qpu_seconds


def test_every_issue_names_its_circuit():
    sources = [GHZ3, HEADER + "qubit q;\nh q;\n", GHZ3, "OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nfoo q[0];\n"]
    with pytest.raises(CircuitError) as caught:
        prepare_batch(sources, timing=DEFAULT_TIMING)
    issues = caught.value.issues
    assert {issue.circuit for issue in issues} == {1, 3}
    assert any("no measurement" in issue.message and issue.circuit == 1 for issue in issues)
    located = [issue for issue in issues if issue.circuit == 3]
    assert located
    assert located[0].line == 4
    assert "circuit 1: " in str(caught.value)


@pytest.mark.parametrize("count", [0, MAX_BATCH_CIRCUITS + 1])
def test_batch_size_outside_the_limits_is_refused(count):
    with pytest.raises(CircuitError, match=f"1 to {MAX_BATCH_CIRCUITS} circuits, got {count}"):
        prepare_batch([GHZ3] * count, timing=DEFAULT_TIMING)


def test_a_batch_must_be_a_list_of_programs():
    with pytest.raises(CircuitError, match="list of OpenQASM programs"):
        prepare_batch(GHZ3, timing=DEFAULT_TIMING)


def test_shots_in_all_are_limited_to_one_million():
    (circuit,) = prepare_batch([flip("1")], timing=DEFAULT_TIMING)
    assert estimate_seconds([circuit] * 500, shots=2000, timing=DEFAULT_TIMING) > 0  # exactly 1 000 000
    with pytest.raises(CircuitError, match="at most 1000000 shots in all; 500 circuits x 2001 shots is 1000500"):
        estimate_seconds([circuit] * 500, shots=2001, timing=DEFAULT_TIMING)
    with pytest.raises(CircuitError, match="at most 1000000 shots in all"):
        run_batch([circuit] * 11, shots=100_000, seed=1, calibration=PERFECT, timing=DEFAULT_TIMING)


@pytest.mark.parametrize(
    ("shots", "seed", "message"),
    [(0, 1, "shots must be"), (100_001, 1, "shots must be"), (10, -1, "seed must be"), (10, True, "seed must be")],
)
def test_run_batch_refuses_shots_and_seeds_outside_the_limits(shots, seed, message):
    (circuit,) = prepare_batch([flip("1")], timing=DEFAULT_TIMING)
    with pytest.raises(CircuitError, match=message):
        run_batch([circuit], shots=shots, seed=seed, calibration=PERFECT, timing=DEFAULT_TIMING)
    with pytest.raises(CircuitError, match="1 to 500 circuits, got 0"):
        run_batch([], shots=10, seed=1, calibration=PERFECT, timing=DEFAULT_TIMING)


def test_derived_seeds_stay_within_the_seed_range():
    (circuit,) = prepare_batch([flip("1")], timing=DEFAULT_TIMING)
    highest = MAX_SEED - AER_SEED_STRIDE * 2
    result = run_batch([circuit] * 3, shots=5, seed=highest, calibration=PERFECT, timing=DEFAULT_TIMING)
    assert result.results[-1].seed == MAX_SEED
    with pytest.raises(CircuitError, match=f"with 3 circuits the seed must be at most {highest}, got {highest + 1}"):
        run_batch([circuit] * 3, shots=5, seed=highest + 1, calibration=PERFECT, timing=DEFAULT_TIMING)
    check_batch_seed(1, MAX_SEED)  # one circuit: the whole range


def test_transpiled_circuit_round_trips_through_bytes_with_the_same_counts():
    prepared = prepare_batch([GHZ3, flip("101")], timing=DEFAULT_TIMING)
    loaded = [TranspiledCircuit.from_bytes(circuit.to_bytes()) for circuit in prepared]
    assert loaded == prepared
    assert [c.measure_count for c in loaded] == [3, 3]
    options = {"shots": 800, "seed": 21, "calibration": DEFAULT_CALIBRATION, "timing": DEFAULT_TIMING}
    assert run_batch(loaded, **options) == run_batch(prepared, **options)


@pytest.mark.parametrize("data", [b"", b"OPENQASM 3.0;", "QFR-TC1\n", prepare_circuit(GHZ3).to_bytes()[:-20]])
def test_bytes_that_are_not_a_transpiled_circuit_are_refused(data):
    with pytest.raises(ValueError, match="not a serialized transpiled circuit"):
        TranspiledCircuit.from_bytes(data)


def test_errors_pickle_with_their_details():
    error = CircuitError([CircuitIssue(2, 5, "bad gate", circuit=4), CircuitIssue(None, None, "no measurement")])
    back = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert back.issues == error.issues
    assert str(back) == str(error) == "circuit 4: line 2, column 5: bad gate; no measurement"
    calibration_error = CalibrationError(["t1_us of QB1 must be > 0", "t2_us of QB2 too long"])
    back_calibration = pickle.loads(pickle.dumps(calibration_error))  # noqa: S301
    assert back_calibration.problems == calibration_error.problems
    assert str(back_calibration) == str(calibration_error)


def test_loading_transpiled_circuits_needs_no_openqasm3_parser():
    # A worker that runs circuits from their bytes never loads the ~15 MB ANTLR parser.
    blob = prepare_circuit(GHZ3).to_bytes()
    code = (
        "import sys\n"
        "from scheduling.simulator import TranspiledCircuit, DEFAULT_CALIBRATION, DEFAULT_TIMING, run_batch\n"
        f"circuit = TranspiledCircuit.from_bytes({blob!r})\n"
        "run_batch([circuit], shots=10, seed=1, calibration=DEFAULT_CALIBRATION, timing=DEFAULT_TIMING)\n"
        "assert 'openqasm3' not in sys.modules and 'antlr4' not in sys.modules, 'parser loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=BASE_DIR, timeout=120)  # noqa: S603
