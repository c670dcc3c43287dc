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


def _wires(circuit: QuantumCircuit) -> tuple[list[CircuitInstruction], list[list[int]]]:
    """The circuit's instructions (read once: each read of ``circuit.data`` builds them anew) and the wires of each
    (qubits, then classical bits numbered after them)."""
    num_qubits = circuit.num_qubits
    qubit_index = {bit: position for position, bit in enumerate(circuit.qubits)}
    clbit_index = {bit: num_qubits + position for position, bit in enumerate(circuit.clbits)}
    instructions = list(circuit.data)
    wires = [
        [qubit_index[bit] for bit in instruction.qubits] + [clbit_index[bit] for bit in instruction.clbits]
        for instruction in instructions
    ]
    return instructions, wires


def _alap(
    instructions: list[CircuitInstruction], wires: list[list[int]], width: int, timing: TimingProfile
) -> list[tuple[float, float]]:
    durations = _durations(timing)
    free_from_end = [0.0] * width
    times: list[tuple[float, float]] = [(0.0, 0.0)] * len(instructions)
    for position in range(len(instructions) - 1, -1, -1):
        name = instructions[position].name  # the name alone: no operation object is built for it
        if name not in durations:
            raise ValueError(f"{name!r} is not a native operation")
        own = wires[position]
        start_from_end = max((free_from_end[wire] for wire in own), default=0.0)
        end_from_end = start_from_end + durations[name]
        for wire in own:
            free_from_end[wire] = end_from_end
        times[position] = (-end_from_end, -start_from_end)
    return times


def alap_times(circuit: QuantumCircuit, timing: TimingProfile) -> list[tuple[float, float]]:
    """Return (start, end) of every instruction in ns, scheduled as late as possible, the circuit ending at 0.

    Qubits and classical bits are the resources: an operation starts when all of its wires are free. Times
    are negative (counted back from the end), which is all the idle computation needs.
    """
    instructions, wires = _wires(circuit)
    return _alap(instructions, wires, circuit.num_qubits + circuit.num_clbits, timing)


def _idle(
    circuit: QuantumCircuit, timing: TimingProfile
) -> tuple[list[CircuitInstruction], list[list[tuple[int, float]]]]:
    instructions, wires = _wires(circuit)
    times = _alap(instructions, wires, circuit.num_qubits + circuit.num_clbits, timing)
    last_end: list[float | None] = [None] * circuit.num_qubits
    periods: list[list[tuple[int, float]]] = []
    for instruction, own, (start, end) in zip(instructions, wires, times, strict=True):
        waits: list[tuple[int, float]] = []
        if instruction.name != "barrier":  # a barrier orders operations; it does not touch a qubit
            for qubit in own[: len(instruction.qubits)]:
                previous = last_end[qubit]
                if previous is not None and (idle := round(start - previous, _NS_DIGITS)) > 0:
                    waits.append((qubit, idle))
                last_end[qubit] = end
        periods.append(waits)
    return instructions, periods


def idle_periods(circuit: QuantumCircuit, timing: TimingProfile) -> list[list[tuple[int, float]]]:
    """Return, per instruction, the (qubit, idle ns) waits it ends: time since that qubit's previous operation."""
    return _idle(circuit, timing)[1]


def with_idle_relaxation(circuit: QuantumCircuit, timing: TimingProfile, channel: IdleChannel) -> QuantumCircuit:
    """Return ``circuit`` with ``channel(qubit, ns)`` before each operation a qubit waited for; unchanged if none."""
    instructions, periods = _idle(circuit, timing)
    if not any(periods):
        return circuit
    relaxed = circuit.copy_empty_like()
    qubits = circuit.qubits
    for instruction, waits in zip(instructions, periods, strict=True):
        for qubit, idle_ns in waits:
            operation = channel(qubit, idle_ns)
            if operation is not None:
                relaxed._append(CircuitInstruction(operation, (qubits[qubit],), ()))
        relaxed._append(instruction)
    return relaxed
