"""Idle relaxation: a qubit that waits in the ALAP schedule relaxes; a circuit without waits runs as before."""

from __future__ import annotations

import math

import pytest
from qiskit.transpiler import InstructionDurations, PassManager
from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay
from qiskit_aer import AerSimulator

from scheduling.simulator import (
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    TimingProfile,
    build_noise_model,
    circuit_duration_ns,
    prepare_batch,
    prepare_circuit,
    run_batch,
    uniform_calibration,
)
from scheduling.simulator.idle import alap_times, idle_periods, with_idle_relaxation

SHOTS = 4000
# Perfect gates and readout: whatever is lost on an idle qubit is relaxation alone.
SLOW_T1 = uniform_calibration(t1_us=20, t2_us=20, prx_fidelity=1.0, readout_fidelity=1.0, cz_fidelity=1.0)


def excited_then_waiting(gates_on_other_qubit: int) -> str:
    """QB1 prepared in |1>, then waiting while QB3 runs ``gates_on_other_qubit`` separate X gates."""
    busy = "x $2;\nbarrier $2;\n" * gates_on_other_qubit
    prepare = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nx $0;\nbarrier $0, $2;\n'
    return f"{prepare}{busy}c[0] = measure $0;\nc[1] = measure $2;\n"


def excited_fraction(counts: dict[str, int], bit: int = 0) -> float:
    return sum(n for key, n in counts.items() if key[-1 - bit] == "1") / sum(counts.values())


def simulate(source: str, calibration=DEFAULT_CALIBRATION, seed: int = 11):
    (circuit,) = prepare_batch([source], timing=DEFAULT_TIMING)
    return run_batch([circuit], shots=SHOTS, seed=seed, calibration=calibration, timing=DEFAULT_TIMING).results[0]


def test_a_qubit_waiting_while_another_works_loses_its_excitation():
    waiting = excited_fraction(simulate(excited_then_waiting(100), SLOW_T1).counts)
    not_waiting = excited_fraction(simulate(excited_then_waiting(0), SLOW_T1).counts)
    assert not_waiting > 0.98  # only the X gate's own 120 ns of relaxation
    # 100 X gates of 120 ns on QB3: QB1 waits 12 us; with T1 = 20 us it stays excited with exp(-12/20).
    expected = math.exp(-(12_000 + 120) / 20_000)
    assert waiting == pytest.approx(expected, abs=0.03)


def test_idle_loss_also_shows_with_the_default_calibration():
    waiting = excited_fraction(simulate(excited_then_waiting(100)).counts)
    not_waiting = excited_fraction(simulate(excited_then_waiting(0)).counts)
    assert waiting < not_waiting - 0.2


def test_longer_waits_lose_more():
    fractions = [excited_fraction(simulate(excited_then_waiting(n), SLOW_T1).counts) for n in (0, 40, 160)]
    assert fractions[0] > fractions[1] > fractions[2]


def test_circuit_without_idle_time_gets_no_idle_noise_and_the_same_counts_as_before():
    # Both qubits do the same gates at the same times and are read out together: nobody waits.
    source = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nrx(0.7) $0;\nrx(0.7) $2;\ncz $0, $2;\n'
    source += "rx(0.4) $0;\nrx(0.4) $2;\nc[0] = measure $0;\nc[1] = measure $2;\n"
    transpiled = prepare_circuit(source)
    assert not any(idle_periods(transpiled.circuit, DEFAULT_TIMING))
    assert with_idle_relaxation(transpiled.circuit, DEFAULT_TIMING, lambda qubit, ns: None) is transpiled.circuit
    ours = run_batch([transpiled], shots=SHOTS, seed=5, calibration=DEFAULT_CALIBRATION, timing=DEFAULT_TIMING)
    # The gate and readout noise alone, run by Aer directly: exactly what the simulator gave before idle noise.
    simulator = AerSimulator(noise_model=build_noise_model(DEFAULT_CALIBRATION, DEFAULT_TIMING), max_parallel_threads=1)
    direct = simulator.run(transpiled.circuit, shots=SHOTS, seed_simulator=5).result().get_counts(0)
    assert ours.results[0].counts == {key.replace(" ", ""): value for key, value in direct.items()}


def test_idle_relaxation_does_not_change_metering():
    transpiled = prepare_circuit(excited_then_waiting(100))
    assert transpiled.duration_ns == circuit_duration_ns(transpiled.circuit) == 100 * 120 + 120
    result = run_batch([transpiled], shots=10, seed=1, calibration=SLOW_T1, timing=DEFAULT_TIMING)
    assert result.results[0].duration_ns == transpiled.duration_ns


MIXED = """OPENQASM 3.0;
include "stdgates.inc";
bit[5] c;
h $0;
cx $0, $2;
x $1; barrier $1; x $1; barrier $1; x $1;
cx $2, $3;
c[2] = measure $2;
cx $1, $2;
rx(0.3) $4;
cx $4, $2;
c[0] = measure $0;
c[1] = measure $1;
c[3] = measure $3;
c[4] = measure $4;
"""


@pytest.mark.parametrize("source", [MIXED, excited_then_waiting(7)])
@pytest.mark.parametrize("timing", [DEFAULT_TIMING, TimingProfile(prx_ns=40, cz_ns=300, readout_ns=900)])
def test_waits_are_those_of_qiskits_alap_schedule(source, timing):
    circuit = prepare_circuit(source, timing=timing).circuit
    durations = InstructionDurations(
        [
            ("r", None, int(timing.prx_ns), "dt"),
            ("cz", None, int(timing.cz_ns), "dt"),
            ("measure", None, int(timing.readout_ns), "dt"),
            ("barrier", None, 0, "dt"),
        ],
        dt=1e-9,
    )
    scheduled = PassManager([ALAPScheduleAnalysis(durations), PadDelay(durations=durations)]).run(circuit)
    # Qiskit's delays between a qubit's first and last operation are the waits that matter.
    expected: dict[int, list[float]] = {}
    for qubit_index, qubit in enumerate(scheduled.qubits):
        timeline = [inst.operation for inst in scheduled.data if qubit in inst.qubits]
        working = [i for i, op in enumerate(timeline) if op.name not in {"delay", "barrier"}]
        inner = timeline[working[0] : working[-1] + 1] if working else []
        expected[qubit_index] = sorted(float(op.duration) for op in inner if op.name == "delay")
    ours: dict[int, list[float]] = {qubit: [] for qubit in range(circuit.num_qubits)}
    for waits in idle_periods(circuit, timing):
        for qubit, idle_ns in waits:
            ours[qubit].append(idle_ns)
    assert {qubit: sorted(waits) for qubit, waits in ours.items()} == expected
    assert any(expected.values())


def test_alap_schedule_ends_every_final_readout_together():
    circuit = prepare_circuit(MIXED).circuit
    times = alap_times(circuit, DEFAULT_TIMING)
    final_measure_ends = {
        end
        for inst, (start, end) in zip(circuit.data, times, strict=True)
        if inst.operation.name == "measure" and circuit.find_bit(inst.clbits[0]).index != 2
    }
    assert final_measure_ends == {0.0}
