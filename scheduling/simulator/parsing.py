"""OpenQASM 2/3 source to a Qiskit circuit: text checks, parsing, errors with line and column."""

from __future__ import annotations

import logging
import re

from qiskit import QuantumCircuit, qasm2

from scheduling.simulator.device import MAX_QUBITS
from scheduling.simulator.issues import (
    MAX_CLASSICAL_BITS,
    MAX_EXPANDED_OPERATIONS,
    MAX_NATIVE_OPERATIONS,
    CircuitError,
    CircuitIssue,
    exception_message,
    located,
    register_message,
    too_many_expanded_issue,
)

__all__ = [
    "MAX_CLASSICAL_BITS",
    "MAX_EXPANDED_OPERATIONS",
    "MAX_NATIVE_OPERATIONS",
    "MAX_NESTING",
    "MAX_SOURCE_CHARS",
    "CircuitError",
    "CircuitIssue",
    "exception_message",
    "parse_circuit",
    "register_message",
    "too_many_expanded_issue",
]

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 200_000
# Brackets nested deeper than this are refused before parsing: the OpenQASM 3 parser needs seconds per thousand
# levels, so a 40 kB program of nested parentheses would otherwise hold a web worker for half a minute.
MAX_NESTING = 100

_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BRACKET = re.compile(r"[][(){}]")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/|/\*.*\Z", re.DOTALL)
_HEADER = re.compile(r"OPENQASM\s+([0-9]+(?:\.[0-9]+)?)\s*;")
_QASM2_REGISTER = re.compile(r"\b(qreg|creg)\s+[A-Za-z_][A-Za-z0-9_]*\s*\[\s*([0-9]+)\s*\]")
_QASM2_POSITION = re.compile(r"\A<input>:([0-9]+),([0-9]+):\s*(.*)\Z", re.DOTALL)


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


def _parse_qasm2(source: str, blanked: str) -> QuantumCircuit:
    if issues := _qasm2_register_issues(source, blanked):
        raise CircuitError(issues)
    try:
        # No include path: only the built-in qelib1.inc may be included, never a file on this server.
        return qasm2.loads(source, include_path=(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:  # the parser raises more than QASM2ParseError on hostile input
        message = exception_message(exc)
        if match := _QASM2_POSITION.match(message):
            raise CircuitError([located(match.group(1), match.group(2), match.group(3))]) from None
        raise CircuitError.single(f"invalid OpenQASM 2: {message}") from None


def parse_circuit(source: str) -> tuple[QuantumCircuit, int]:
    """Parse OpenQASM 2.0 or 3 source (chosen by its header) into a circuit; return it with the major version."""
    text = _check_text(source)
    blanked = _blank_comments(text)
    _check_nesting(text, blanked)
    version = _qasm_version(text, blanked)
    if version == 2:
        return _parse_qasm2(text, blanked), version
    # Imported on first use: the OpenQASM 3 parser (ANTLR) costs ~15 MB, which a worker that runs circuits
    # already transpiled (TranspiledCircuit.from_bytes) never needs.
    from scheduling.simulator.qasm3 import parse_qasm3

    return parse_qasm3(text), version
