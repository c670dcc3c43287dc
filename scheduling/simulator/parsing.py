"""OpenQASM 2/3 source to a Qiskit circuit: text checks, parsing, errors with line and column."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import openqasm3
import qiskit_qasm3_import
from openqasm3 import ast
from qiskit import QuantumCircuit, qasm2

from scheduling.simulator.device import MAX_QUBITS, QUBITS

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

_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BRACKET = re.compile(r"[][(){}]")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/|/\*.*\Z", re.DOTALL)
_HEADER = re.compile(r"OPENQASM\s+([0-9]+(?:\.[0-9]+)?)\s*;")
_QASM2_REGISTER = re.compile(r"\b(qreg|creg)\s+[A-Za-z_][A-Za-z0-9_]*\s*\[\s*([0-9]+)\s*\]")
_QASM2_POSITION = re.compile(r"\A<input>:([0-9]+),([0-9]+):\s*(.*)\Z", re.DOTALL)
_QASM3_POSITION = re.compile(r"\A(?:L([0-9]+):C([0-9]+)|([0-9]+),([0-9]+)):\s*(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class CircuitIssue:
    """One problem with a submitted circuit; line and column are 1-based when known, circuit is its batch index."""

    line: int | None
    column: int | None
    message: str
    circuit: int | None = None

    def __str__(self) -> str:
        prefix = "" if self.circuit is None else f"circuit {self.circuit}: "
        if self.line is None:
            return prefix + self.message
        if self.column is None:
            return f"{prefix}line {self.line}: {self.message}"
        return f"{prefix}line {self.line}, column {self.column}: {self.message}"


class CircuitError(ValueError):
    """The circuit cannot run on the device; ``issues`` lists why."""

    def __init__(self, issues: Sequence[CircuitIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))

    def __reduce__(self) -> tuple[type[CircuitError], tuple[list[CircuitIssue]]]:
        # Pickle by issues, not by message, so the error crosses a process boundary intact.
        return type(self), (self.issues,)

    @classmethod
    def single(cls, message: str, line: int | None = None, column: int | None = None) -> CircuitError:
        """Return an error carrying one issue."""
        return cls([CircuitIssue(line=line, column=column, message=message)])


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


def exception_message(exc: BaseException) -> str:
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
            issues.append(CircuitIssue(*_position(source, match.start()), register_message(kind, totals[kind])))
            break
    return issues


def register_message(kind: str, total: int) -> str:
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
        message = exception_message(exc)
        if match := _QASM2_POSITION.match(message):
            raise CircuitError([_located(match.group(1), match.group(2), match.group(3))]) from None
        raise CircuitError.single(f"invalid OpenQASM 2: {message}") from None


def _antlr_issue(exc: BaseException) -> CircuitIssue:
    # openqasm3 re-raises ANTLR's bail-out with an empty message; the position is on the offending token.
    message = exception_message(exc)
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
                    issues.append(CircuitIssue(*_node_position(node), register_message(kind, totals[kind])))
        stack.extend(
            (child, owner) for child in reversed(vars(node).values()) if isinstance(child, ast.QASMNode | list)
        )

    # A gate must be defined before use, so one pass in definition order sees every callee's cost already.
    cost: dict[str, int] = {}
    for name, callees in definitions.items():
        cost[name] = min(sum(cost.get(callee, 1) for callee in callees), MAX_EXPANDED_OPERATIONS + 1)
    expanded = sum(cost.get(name, 1) for name in top_level_calls)
    if expanded > MAX_EXPANDED_OPERATIONS:
        issues.append(too_many_expanded_issue())
    return issues


def too_many_expanded_issue() -> CircuitIssue:
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
        message = exception_message(exc)
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
