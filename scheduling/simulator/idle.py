"""Idle relaxation: qubits relax over the time they wait in the scheduled circuit (DESIGN.md 3.5).

The device schedules a circuit as late as possible (ALAP) with the timing profile's durations, so a qubit is
not prepared earlier than it must be and every final readout ends together. A qubit idles between two of its
own operations while others are driven or measured; thermal relaxation from the calibration's T1/T2 over that
time is inserted just before the operation that ends the wait. Time before a qubit's first operation is not
noise (it rests in |0>, which relaxation leaves unchanged), nor is time after its last.

Gate errors already include relaxation during each gate, and metering keeps the ASAP critical path
(``circuits.circuit_duration_ns``): only the simulation sees the schedule.
"""

from __future__ import annotations

from collections.abc import Callable

from qiskit import QuantumCircuit
from qiskit.circuit import CircuitInstruction, Instruction

from scheduling.simulator.device import TimingProfile

# Idle times are sums and differences of gate durations; rounding keeps equal waits one cache key.
_NS_DIGITS = 6

IdleChannel = Callable[[int, float], Instruction | None]


def _durations(timing: TimingProfile) -> dict[str, float]:
    return {"r": float(timing.prx_ns), "cz": float(timing.cz_ns), "measure": float(timing.readout_ns), "barrier": 0.0}


def alap_times(circuit: QuantumCircuit, timing: TimingProfile) -> list[tuple[float, float]]:
    """Return (start, end) of every instruction in ns, scheduled as late as possible, the circuit ending at 0.

    Qubits and classical bits are the resources: an operation starts when all of its wires are free. Times
    are negative (counted back from the end), which is all the idle computation needs.
    """
    durations = _durations(timing)
    num_qubits = circuit.num_qubits
    qubit_index = {bit: position for position, bit in enumerate(circuit.qubits)}
    clbit_index = {bit: num_qubits + position for position, bit in enumerate(circuit.clbits)}
    free_from_end = [0.0] * (num_qubits + circuit.num_clbits)
    times: list[tuple[float, float]] = [(0.0, 0.0)] * len(circuit.data)
    for position in range(len(circuit.data) - 1, -1, -1):
        instruction = circuit.data[position]
        name = instruction.operation.name
        if name not in durations:
            raise ValueError(f"{name!r} is not a native operation")
        wires = [qubit_index[bit] for bit in instruction.qubits] + [clbit_index[bit] for bit in instruction.clbits]
        start_from_end = max((free_from_end[wire] for wire in wires), default=0.0)
        end_from_end = start_from_end + durations[name]
        for wire in wires:
            free_from_end[wire] = end_from_end
        times[position] = (-end_from_end, -start_from_end)
    return times


def idle_periods(circuit: QuantumCircuit, timing: TimingProfile) -> list[list[tuple[int, float]]]:
    """Return, per instruction, the (qubit, idle ns) waits it ends: time since that qubit's previous operation."""
    times = alap_times(circuit, timing)
    qubit_index = {bit: position for position, bit in enumerate(circuit.qubits)}
    last_end: list[float | None] = [None] * circuit.num_qubits
    periods: list[list[tuple[int, float]]] = []
    for instruction, (start, end) in zip(circuit.data, times, strict=True):
        waits: list[tuple[int, float]] = []
        if instruction.operation.name != "barrier":  # a barrier orders operations; it does not touch a qubit
            for bit in instruction.qubits:
                qubit = qubit_index[bit]
                previous = last_end[qubit]
                if previous is not None and (idle := round(start - previous, _NS_DIGITS)) > 0:
                    waits.append((qubit, idle))
                last_end[qubit] = end
        periods.append(waits)
    return periods


def with_idle_relaxation(circuit: QuantumCircuit, timing: TimingProfile, channel: IdleChannel) -> QuantumCircuit:
    """Return ``circuit`` with ``channel(qubit, ns)`` before each operation a qubit waited for; unchanged if none."""
    periods = idle_periods(circuit, timing)
    if not any(periods):
        return circuit
    relaxed = circuit.copy_empty_like()
    for instruction, waits in zip(circuit.data, periods, strict=True):
        for qubit, idle_ns in waits:
            operation = channel(qubit, idle_ns)
            if operation is not None:
                relaxed._append(CircuitInstruction(operation, (circuit.qubits[qubit],), ()))
        relaxed._append(instruction)
    return relaxed
