"""OpenQASM 3 source to a Qiskit circuit: syntax-tree checks before conversion, errors with line and column.

Imported by ``parsing.parse_circuit`` on the first OpenQASM 3 program only (the ANTLR parser is large).
"""

from __future__ import annotations

import re

import openqasm3
import qiskit_qasm3_import
from openqasm3 import ast
from qiskit import QuantumCircuit

from scheduling.simulator.device import MAX_QUBITS
from scheduling.simulator.issues import (
    MAX_CLASSICAL_BITS,
    MAX_EXPANDED_OPERATIONS,
    CircuitError,
    CircuitIssue,
    exception_message,
    located,
    register_message,
    too_many_expanded_issue,
)

_QASM3_POSITION = re.compile(r"\A(?:L([0-9]+):C([0-9]+)|([0-9]+),([0-9]+)):\s*(.*)\Z", re.DOTALL)


def _antlr_issue(exc: BaseException) -> CircuitIssue:
    # openqasm3 re-raises ANTLR's bail-out with an empty message; the position is on the offending token.
    message = exception_message(exc)
    if match := _QASM3_POSITION.match(message):
        return located(match.group(1) or match.group(3), match.group(2) or match.group(4), match.group(5))
    cause = exc.__cause__
    recognition = cause.args[0] if cause is not None and cause.args else None
    token = getattr(recognition, "offendingToken", None)
    if token is None:
        return CircuitIssue(None, None, f"invalid OpenQASM 3: {message or 'syntax error'}")
    text = getattr(token, "text", None)
    detail = "unexpected end of input" if text in {None, "<EOF>"} else f"syntax error at {text!r}"
    return located(str(token.line), str(token.column), detail)


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


def parse_qasm3(source: str) -> QuantumCircuit:
    """Parse OpenQASM 3 source, checking its syntax tree before conversion; CircuitError with positions."""
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
                [located(match.group(1) or match.group(3), match.group(2) or match.group(4), match.group(5))]
            ) from None
        raise CircuitError.single(f"invalid OpenQASM 3: {message}") from None
