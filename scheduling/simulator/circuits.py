"""Parse OpenQASM 2/3, check it against the device's limits and transpile it to the native gates."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import openqasm3
import qiskit_qasm3_import
from openqasm3 import ast
from qiskit import QuantumCircuit, qasm2, transpile
from qiskit.circuit import Barrier, ControlFlowOp, Delay, Measure, Reset
from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping

from scheduling.simulator.device import DEFAULT_TIMING, MAX_QUBITS, QUBITS, TimingProfile, build_target

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 200_000
MAX_NATIVE_OPERATIONS = 10_000
# Guard on the circuit as written (gate definitions expanded), checked before transpiling: a few nested gate
# definitions can expand exponentially and would otherwise hang the parser or the transpiler.
MAX_EXPANDED_OPERATIONS = 50_000
# Not a device limit: it bounds the length of every counts key we store.
MAX_CLASSICAL_BITS = 100
# Brackets nested deeper than this are refused before parsing: the OpenQASM 3 parser needs seconds per thousand
# levels, so a 40 kB program of nested parentheses would otherwise hold a web worker for half a minute.
MAX_NESTING = 100
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
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BRACKET = re.compile(r"[][(){}]")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/|/\*.*\Z", re.DOTALL)
_HEADER = re.compile(r"OPENQASM\s+([0-9]+(?:\.[0-9]+)?)\s*;")
_QASM2_REGISTER = re.compile(r"\b(qreg|creg)\s+[A-Za-z_][A-Za-z0-9_]*\s*\[\s*([0-9]+)\s*\]")
_QASM2_POSITION = re.compile(r"\A<input>:([0-9]+),([0-9]+):\s*(.*)\Z", re.DOTALL)
_QASM3_POSITION = re.compile(r"\A(?:L([0-9]+):C([0-9]+)|([0-9]+),([0-9]+)):\s*(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class CircuitIssue:
    """One problem with a submitted circuit; line and column are 1-based when known."""

    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


class CircuitError(ValueError):
    """The circuit cannot run on the device; ``issues`` lists why."""

    def __init__(self, issues: Sequence[CircuitIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))

    @classmethod
    def single(cls, message: str, line: int | None = None, column: int | None = None) -> CircuitError:
        """Return an error carrying one issue."""
        return cls([CircuitIssue(line=line, column=column, message=message)])


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


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _blank_comments(source: str) -> str:
    # Same length and line breaks as the source, so offsets found in the result are offsets in the source.
    return _COMMENT.sub(lambda match: re.sub(r"[^\n]", " ", match.group()), source)


def _check_text(source: object) -> str:
    if not isinstance(source, str):
        raise CircuitError.single("the program must be OpenQASM source text")
    if len(source) > MAX_SOURCE_CHARS:
        raise CircuitError.single(f"the program is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}")
    if not source.strip():
        raise CircuitError.single("the program is empty")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CircuitError.single("the program is not valid text", *_position(source, exc.start)) from None
    if match := _CONTROL_CHARACTER.search(source):
        raise CircuitError.single(
            f"the program contains a control character (U+{ord(match.group()):04X}); is it a binary file?",
            *_position(source, match.start()),
        )
    return source


def _check_nesting(source: str, blanked: str) -> None:
    depth = 0
    for match in _BRACKET.finditer(blanked):
        if match.group() in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise CircuitError.single(
                    f"brackets are nested more than {MAX_NESTING} deep", *_position(source, match.start())
                )
        else:
            depth = max(depth - 1, 0)


def _qasm_version(source: str, blanked: str) -> int:
    stripped = blanked.lstrip()
    offset = len(blanked) - len(stripped)
    header = _HEADER.match(blanked, offset)
    if header is None:
        raise CircuitError.single(
            "the program must start with an OPENQASM version header ('OPENQASM 2.0;' or 'OPENQASM 3.0;')",
            *_position(source, offset),
        )
    major = header.group(1).partition(".")[0]
    if major not in {"2", "3"}:
        raise CircuitError.single(
            f"OpenQASM version {header.group(1)} is not supported; use 2.0 or 3.0", *_position(source, offset)
        )
    return int(major)


def _located(line: str | None, column: str | None, message: str) -> CircuitIssue:
    # Both parsers count columns from 0; editors (and our users) count from 1.
    if line is None or column is None:
        return CircuitIssue(line=None, column=None, message=message)
    return CircuitIssue(line=int(line), column=int(column) + 1, message=message)


def _exception_message(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the program is nested too deeply"
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) and message else str(exc)


def _qasm2_register_issues(source: str, blanked: str) -> list[CircuitIssue]:
    # qasm2.loads allocates every declared bit, so qreg q[100000000] must be refused before parsing.
    issues: list[CircuitIssue] = []
    totals = {"qreg": 0, "creg": 0}
    limits = {"qreg": MAX_QUBITS, "creg": MAX_CLASSICAL_BITS}
    for match in _QASM2_REGISTER.finditer(blanked):
        kind, digits = match.group(1), match.group(2)
        totals[kind] += int(digits) if len(digits) <= 18 else 10**18  # int() refuses > 4300 digits
        if totals[kind] > limits[kind]:
            issues.append(CircuitIssue(*_position(source, match.start()), _register_message(kind, totals[kind])))
            break
    return issues


def _register_message(kind: str, total: int) -> str:
    if kind in {"qreg", "qubit"}:
        return f"the program declares {total} qubits; the device has {MAX_QUBITS} ({', '.join(QUBITS)})"
    return f"the program declares {total} classical bits; the limit is {MAX_CLASSICAL_BITS}"


def _parse_qasm2(source: str, blanked: str) -> QuantumCircuit:
    if issues := _qasm2_register_issues(source, blanked):
        raise CircuitError(issues)
    try:
        # No include path: only the built-in qelib1.inc may be included, never a file on this server.
        return qasm2.loads(source, include_path=(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:  # the parser raises more than QASM2ParseError on hostile input
        message = _exception_message(exc)
        if match := _QASM2_POSITION.match(message):
            raise CircuitError([_located(match.group(1), match.group(2), match.group(3))]) from None
        raise CircuitError.single(f"invalid OpenQASM 2: {message}") from None


def _antlr_issue(exc: BaseException) -> CircuitIssue:
    # openqasm3 re-raises ANTLR's bail-out with an empty message; the position is on the offending token.
    message = _exception_message(exc)
    if match := _QASM3_POSITION.match(message):
        return _located(match.group(1) or match.group(3), match.group(2) or match.group(4), match.group(5))
    cause = exc.__cause__
    recognition = cause.args[0] if cause is not None and cause.args else None
    token = getattr(recognition, "offendingToken", None)
    if token is None:
        return CircuitIssue(None, None, f"invalid OpenQASM 3: {message or 'syntax error'}")
    text = getattr(token, "text", None)
    detail = "unexpected end of input" if text in {None, "<EOF>"} else f"syntax error at {text!r}"
    return _located(str(token.line), str(token.column), detail)


def _node_position(node: ast.QASMNode) -> tuple[int | None, int | None]:
    if node.span is None:
        return None, None
    return node.span.start_line, node.span.start_column + 1


def _declared_size(size: ast.Expression | None) -> int | None:
    if size is None:
        return 1
    if isinstance(size, ast.IntegerLiteral):
        return size.value
    return None


def _qasm3_static_issues(program: ast.Program) -> list[CircuitIssue]:
    """Check sizes and gate expansion on the syntax tree, because the converter expands gates eagerly."""
    issues: list[CircuitIssue] = []
    totals = {"qubit": 0, "bit": 0}
    limits = {"qubit": MAX_QUBITS, "bit": MAX_CLASSICAL_BITS}
    definitions: dict[str, list[str]] = {}
    top_level_calls: list[str] = []
    reported: set[str] = set()  # one issue per missing physical qubit, however often it is used
    # Iterative walk: hostile programs nest deeply enough to exhaust Python's recursion limit.
    stack: list[tuple[object, str | None]] = [(statement, None) for statement in reversed(program.statements)]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, list):
            stack.extend((item, owner) for item in reversed(node))
            continue
        if not isinstance(node, ast.QASMNode):
            continue
        kind: str | None = None
        size: int | None = 0
        if isinstance(node, ast.QuantumGateDefinition):
            owner = node.name.name
            definitions[owner] = []
        elif isinstance(node, ast.QuantumGate):
            (definitions[owner] if owner is not None else top_level_calls).append(node.name.name)
        elif isinstance(node, ast.QubitDeclaration):
            kind, size = "qubit", _declared_size(node.size)
        elif isinstance(node, ast.ClassicalDeclaration) and isinstance(node.type, ast.BitType):
            kind, size = "bit", _declared_size(node.type.size)
        elif isinstance(node, ast.Identifier) and node.name.startswith("$") and node.name not in reported:
            index = node.name[1:]
            if not index.isdigit() or len(index) > 9 or int(index) >= MAX_QUBITS:
                reported.add(node.name)
                issues.append(
                    CircuitIssue(
                        *_node_position(node),
                        f"physical qubit {node.name} does not exist; the device has $0..${MAX_QUBITS - 1}",
                    )
                )
        if kind is not None:
            if size is None:
                issues.append(CircuitIssue(*_node_position(node), "declare register sizes as integer literals"))
            else:
                before = totals[kind]
                totals[kind] += size
                if before <= limits[kind] < totals[kind]:  # report the declaration that crosses the limit, once
                    issues.append(CircuitIssue(*_node_position(node), _register_message(kind, totals[kind])))
        stack.extend(
            (child, owner) for child in reversed(vars(node).values()) if isinstance(child, ast.QASMNode | list)
        )

    # A gate must be defined before use, so one pass in definition order sees every callee's cost already.
    cost: dict[str, int] = {}
    for name, callees in definitions.items():
        cost[name] = min(sum(cost.get(callee, 1) for callee in callees), MAX_EXPANDED_OPERATIONS + 1)
    expanded = sum(cost.get(name, 1) for name in top_level_calls)
    if expanded > MAX_EXPANDED_OPERATIONS:
        issues.append(_too_many_expanded())
    return issues


def _too_many_expanded() -> CircuitIssue:
    return CircuitIssue(
        None,
        None,
        f"the program expands to more than {MAX_EXPANDED_OPERATIONS} gates; "
        f"the device runs at most {MAX_NATIVE_OPERATIONS} native operations",
    )


def _parse_qasm3(source: str) -> QuantumCircuit:
    # qiskit.qasm3.loads is exactly openqasm3.parse followed by qiskit_qasm3_import.convert; doing the two
    # steps here lets the syntax tree be checked before the converter expands gate definitions.
    try:
        program = openqasm3.parse(source)
    except Exception as exc:  # ANTLR raises several unrelated types, and RecursionError on deep nesting
        raise CircuitError([_antlr_issue(exc)]) from None
    if issues := _qasm3_static_issues(program):
        raise CircuitError(issues)
    try:
        return qiskit_qasm3_import.convert(program)
    except Exception as exc:  # ConversionError and whatever Qiskit raises while building the circuit
        message = _exception_message(exc)
        if match := _QASM3_POSITION.match(message):
            raise CircuitError(
                [_located(match.group(1) or match.group(3), match.group(2) or match.group(4), match.group(5))]
            ) from None
        raise CircuitError.single(f"invalid OpenQASM 3: {message}") from None


def parse_circuit(source: str) -> tuple[QuantumCircuit, int]:
    """Parse OpenQASM 2.0 or 3 source (chosen by its header) into a circuit; return it with the major version."""
    text = _check_text(source)
    blanked = _blank_comments(text)
    _check_nesting(text, blanked)
    version = _qasm_version(text, blanked)
    circuit = _parse_qasm2(text, blanked) if version == 2 else _parse_qasm3(text)
    return circuit, version


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
        issues.append(CircuitIssue(None, None, _register_message("qubit", circuit.num_qubits)))
    if circuit.num_clbits > MAX_CLASSICAL_BITS:
        issues.append(CircuitIssue(None, None, _register_message("bit", circuit.num_clbits)))
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
        issues.append(_too_many_expanded())
    if issues:
        raise CircuitError(issues)


def circuit_duration_ns(circuit: QuantumCircuit, *, timing: TimingProfile = DEFAULT_TIMING) -> float:
    """Return the ASAP critical path of a native circuit in ns, excluding the final readout."""
    index = {bit: position for position, bit in enumerate(circuit.qubits)}
    instructions = [
        (instruction.operation.name, [index[q] for q in instruction.qubits]) for instruction in circuit.data
    ]
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


def transpile_circuit(
    circuit: QuantumCircuit, *, qasm_version: int, timing: TimingProfile = DEFAULT_TIMING
) -> TranspiledCircuit:
    """Transpile a checked circuit to r/cz/measure on the star and check what remains."""
    # OpenQASM 3 physical qubits ($0..$4) name device qubits; keep them where the researcher put them.
    initial_layout = circuit.layout.initial_layout if circuit.layout is not None else None
    try:
        native = transpile(
            circuit,
            target=build_target(timing),
            initial_layout=initial_layout,
            optimization_level=OPTIMIZATION_LEVEL,
            seed_transpiler=SEED_TRANSPILER,
        )
    except Exception as exc:  # an opaque gate or an unsynthesizable operation is the input's fault
        logger.info("transpilation refused a circuit: %s", exc)
        raise CircuitError.single(f"the circuit cannot be compiled for the device: {_exception_message(exc)}") from None

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
        if instruction.operation.name != "barrier"
        for qubit in instruction.qubits
    }
    if len(used) > MAX_QUBITS:  # cannot happen on a 5-qubit target; kept because the rule is the device's
        raise CircuitError.single(_register_message("qubit", len(used)))
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
