"""Check a parsed circuit against the device's limits and transpile it to the native gates."""

from __future__ import annotations

import functools
import io
import json
import logging
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from qiskit import QuantumCircuit, qpy
from qiskit.circuit import Barrier, ControlFlowOp, Delay, Measure, Reset
from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping
from qiskit.transpiler import PassManager, generate_preset_pass_manager

from scheduling.simulator.device import DEFAULT_TIMING, MAX_QUBITS, TimingProfile, build_target
from scheduling.simulator.parsing import (
    MAX_CLASSICAL_BITS,
    MAX_EXPANDED_OPERATIONS,
    MAX_NATIVE_OPERATIONS,
    CircuitError,
    CircuitIssue,
    exception_message,
    parse_circuit,
    register_message,
    too_many_expanded_issue,
)

logger = logging.getLogger(__name__)


SEED_TRANSPILER = 1234
OPTIMIZATION_LEVEL = 1
ALLOWED_OPERATIONS = frozenset({"r", "cz", "measure", "barrier"})

# Operations whose cost is bounded and which the transpiler handles directly; anything else is expanded.
_LEAF_TYPES: tuple[type, ...] = (
    *{type(gate) for gate in get_standard_gate_name_mapping().values()},
    Barrier,
    UnitaryGate,
    ControlFlowOp,
)


@dataclass(frozen=True)
class TranspiledCircuit:
    """A circuit on the device's native gates, with the statistics a job records."""

    circuit: QuantumCircuit
    qasm_version: int
    depth: int
    prx_count: int
    cz_count: int
    measure_count: int
    num_qubits: int
    duration_ns: float

    def to_bytes(self) -> bytes:
        """Serialize for a worker: a short header with the statistics, then the circuit as QPY."""
        stats = json.dumps({name: getattr(self, name) for name in _STAT_FIELDS}).encode()
        buffer = io.BytesIO()
        buffer.write(_BYTES_MAGIC + struct.pack(">I", len(stats)) + stats)
        qpy.dump(self.circuit, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TranspiledCircuit:
        """Return the circuit ``to_bytes`` wrote (no parsing or transpiling); ValueError if not such bytes."""
        header = len(_BYTES_MAGIC) + 4
        if not isinstance(data, bytes | bytearray | memoryview) or bytes(data[: len(_BYTES_MAGIC)]) != _BYTES_MAGIC:
            raise ValueError("not a serialized transpiled circuit")
        try:
            (size,) = struct.unpack(">I", data[len(_BYTES_MAGIC) : header])
            stats = json.loads(bytes(data[header : header + size]))
            (circuit,) = qpy.load(io.BytesIO(data[header + size :]))
        except Exception as exc:  # truncated or corrupted: whatever part fails to read
            raise ValueError(f"not a serialized transpiled circuit: {exc}") from None
        if not isinstance(circuit, QuantumCircuit) or not isinstance(stats, dict) or set(stats) != set(_STAT_FIELDS):
            raise ValueError("not a serialized transpiled circuit")
        return cls(circuit=circuit, **stats)


_BYTES_MAGIC = b"QFR-TC1\n"
# Every field but the circuit, in the JSON header of to_bytes().
_STAT_FIELDS = ("qasm_version", "depth", "prx_count", "cz_count", "measure_count", "num_qubits", "duration_ns")


def _operation_key(operation: object) -> tuple[str, int, tuple[str, ...]]:
    params = getattr(operation, "params", ())
    return str(getattr(operation, "name", "")), int(getattr(operation, "num_qubits", 0)), tuple(map(str, params))


def _children(operation: object) -> Iterable[object]:
    definition = getattr(operation, "definition", None)
    return () if definition is None else [instruction.operation for instruction in definition.data]


def _expanded_size(circuit: QuantumCircuit) -> int:
    """Count the operations after expanding user-defined gates, stopping once over the limit."""
    limit = MAX_EXPANDED_OPERATIONS
    memo: dict[tuple[str, int, tuple[str, ...]], int] = {}
    total = 0
    for instruction in circuit.data:
        operation = instruction.operation
        if isinstance(operation, _LEAF_TYPES):
            total += 1
        else:
            total += _definition_size(operation, memo, limit)
        if total > limit:
            break
    return total


def _definition_size(root: object, memo: dict[tuple[str, int, tuple[str, ...]], int], limit: int) -> int:
    # Iterative post-order walk with memoisation: gate definitions may nest thousands deep and, without the
    # memo, repeat exponentially.
    root_key = _operation_key(root)
    if root_key in memo:
        return memo[root_key]
    stack: list[tuple[tuple[str, int, tuple[str, ...]], Iterable[object], int]] = [(root_key, iter(_children(root)), 0)]
    while stack:
        key, children, total = stack[-1]
        descended = False
        for child in children:
            if isinstance(child, _LEAF_TYPES):
                total += 1
                continue
            child_key = _operation_key(child)
            if child_key in memo:
                total += memo[child_key]
                continue
            stack[-1] = (key, children, total)
            stack.append((child_key, iter(_children(child)), 0))
            descended = True
            break
        if descended:
            continue
        stack.pop()
        memo[key] = min(total, limit + 1)
        if stack:
            parent_key, parent_children, parent_total = stack[-1]
            stack[-1] = (parent_key, parent_children, parent_total + memo[key])
    return memo[root_key]


def check_circuit(circuit: QuantumCircuit) -> None:
    """Raise CircuitError if a parsed circuit cannot run on the device (before transpiling)."""
    issues: list[CircuitIssue] = []
    if circuit.num_qubits > MAX_QUBITS:
        issues.append(CircuitIssue(None, None, register_message("qubit", circuit.num_qubits)))
    if circuit.num_clbits > MAX_CLASSICAL_BITS:
        issues.append(CircuitIssue(None, None, register_message("bit", circuit.num_clbits)))
    operations = [instruction.operation for instruction in circuit.data]
    if control_flow := sorted({op.name for op in operations if isinstance(op, ControlFlowOp)}):
        issues.append(
            CircuitIssue(
                None, None, f"classical control flow ({', '.join(control_flow)}) is not supported by the device"
            )
        )
    if any(isinstance(op, Reset) for op in operations):
        issues.append(CircuitIssue(None, None, "reset is not supported by the device"))
    if any(isinstance(op, Delay) for op in operations):
        issues.append(CircuitIssue(None, None, "delay is not supported: the device schedules operations itself"))
    if opaque := sorted({op.name for op in operations if not isinstance(op, _LEAF_TYPES) and op.definition is None}):
        issues.append(
            CircuitIssue(None, None, f"gates without a definition (opaque) are not supported: {', '.join(opaque)}")
        )
    if not any(isinstance(op, Measure) for op in operations):
        issues.append(CircuitIssue(None, None, "the circuit has no measurement"))
    if circuit.parameters:
        names = ", ".join(sorted(parameter.name for parameter in circuit.parameters))
        issues.append(CircuitIssue(None, None, f"the circuit has unbound parameters: {names}"))
    if _expanded_size(circuit) > MAX_EXPANDED_OPERATIONS:
        issues.append(too_many_expanded_issue())
    if issues:
        raise CircuitError(issues)


def circuit_duration_ns(circuit: QuantumCircuit, *, timing: TimingProfile = DEFAULT_TIMING) -> float:
    """Return the ASAP critical path of a native circuit in ns, excluding the final readout."""
    index = {bit: position for position, bit in enumerate(circuit.qubits)}
    instructions = [(instruction.name, [index[q] for q in instruction.qubits]) for instruction in circuit.data]
    # A measurement after which its qubit is idle is part of the final readout, which metering adds once.
    final_measurement = [False] * len(instructions)
    used_later: set[int] = set()
    for position in range(len(instructions) - 1, -1, -1):
        name, qubits = instructions[position]
        if name == "barrier":
            continue
        if name == "measure" and qubits[0] not in used_later:
            final_measurement[position] = True
        used_later.update(qubits)

    durations = {"r": float(timing.prx_ns), "cz": float(timing.cz_ns), "measure": float(timing.readout_ns)}
    clock = [0.0] * circuit.num_qubits
    for position, (name, qubits) in enumerate(instructions):
        if name == "barrier" or final_measurement[position]:
            duration = 0.0
        elif name in durations:
            duration = durations[name]
        else:
            raise ValueError(f"{name!r} is not a native operation")
        # A two-qubit gate or barrier starts when the last of its qubits is free.
        end = max((clock[q] for q in qubits), default=0.0) + duration
        for qubit in qubits:
            clock[qubit] = end
    return max(clock, default=0.0)


class _SharedPassManager:
    """A preset pass manager built once and run by one thread at a time (a run is not documented thread-safe)."""

    def __init__(self, timing: TimingProfile, initial_layout: tuple[int, ...] | None) -> None:
        self._manager: PassManager = generate_preset_pass_manager(
            target=build_target(timing),
            initial_layout=None if initial_layout is None else list(initial_layout),
            optimization_level=OPTIMIZATION_LEVEL,
            seed_transpiler=SEED_TRANSPILER,
        )
        self._lock = threading.Lock()

    def run(self, circuit: QuantumCircuit) -> QuantumCircuit:
        with self._lock:
            native: QuantumCircuit = self._manager.run(circuit, num_processes=1)
        return native


@functools.lru_cache(maxsize=64)
def _pass_manager(timing: TimingProfile, initial_layout: tuple[int, ...] | None) -> _SharedPassManager:
    # Building the preset pass manager is ~13 ms, running it on a small circuit under 1 ms: build it once per
    # timing and layout. The result is the same as qiskit.transpile with these arguments.
    return _SharedPassManager(timing, initial_layout)


def circuit_compiler_warm(timing: TimingProfile = DEFAULT_TIMING) -> None:
    """Build the pass manager of `timing` now: the first build in a process loads Qiskit's transpiler plugins (every
    installed package's), seconds that would otherwise fall on the first circuit a researcher submits."""
    _pass_manager(timing, None)


def _initial_layout(circuit: QuantumCircuit) -> tuple[int, ...] | None:
    """The physical qubit of each of the circuit's qubits, in order, when the program names them ($0..$4)."""
    if circuit.layout is None or circuit.layout.initial_layout is None:
        return None
    layout = circuit.layout.initial_layout
    return tuple(int(layout[qubit]) for qubit in circuit.qubits)


def transpile_circuit(
    circuit: QuantumCircuit, *, qasm_version: int, timing: TimingProfile = DEFAULT_TIMING
) -> TranspiledCircuit:
    """Transpile a checked circuit to r/cz/measure on the star and check what remains."""
    try:
        # OpenQASM 3 physical qubits ($0..$4) name device qubits; keep them where the researcher put them.
        native = _pass_manager(timing, _initial_layout(circuit)).run(circuit)
    except Exception as exc:  # an opaque gate or an unsynthesizable operation is the input's fault
        logger.info("transpilation refused a circuit: %s", exc)
        raise CircuitError.single(f"the circuit cannot be compiled for the device: {exception_message(exc)}") from None

    counts = {str(name): int(count) for name, count in native.count_ops().items()}
    issues: list[CircuitIssue] = [
        CircuitIssue(None, None, f"operation {name!r} is not supported by the device (native: prx, cz, measure)")
        for name in sorted(set(counts) - ALLOWED_OPERATIONS)
    ]
    operations = counts.get("r", 0) + counts.get("cz", 0) + counts.get("measure", 0)
    if operations > MAX_NATIVE_OPERATIONS:
        issues.append(
            CircuitIssue(
                None, None, f"the circuit needs {operations} native operations; the limit is {MAX_NATIVE_OPERATIONS}"
            )
        )
    if issues:
        raise CircuitError(issues)

    used = {
        native.find_bit(qubit).index
        for instruction in native.data
        if instruction.name != "barrier"
        for qubit in instruction.qubits
    }
    if len(used) > MAX_QUBITS:  # cannot happen on a 5-qubit target; kept because the rule is the device's
        raise CircuitError.single(register_message("qubit", len(used)))
    return TranspiledCircuit(
        circuit=native,
        qasm_version=qasm_version,
        depth=int(native.depth()),
        prx_count=counts.get("r", 0),
        cz_count=counts.get("cz", 0),
        measure_count=counts.get("measure", 0),
        num_qubits=len(used),
        duration_ns=circuit_duration_ns(native, timing=timing),
    )


def prepare_circuit(source: str, *, timing: TimingProfile = DEFAULT_TIMING) -> TranspiledCircuit:
    """Parse, check and transpile OpenQASM source for the device; raise CircuitError with every issue found."""
    circuit, version = parse_circuit(source)
    check_circuit(circuit)
    return transpile_circuit(circuit, qasm_version=version, timing=timing)
