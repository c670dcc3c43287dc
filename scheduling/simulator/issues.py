"""What is wrong with a submitted circuit: issues with line and column, the error that carries them, the limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scheduling.simulator.device import MAX_QUBITS, QUBITS

MAX_NATIVE_OPERATIONS = 10_000
# Guard on the circuit as written (gate definitions expanded), checked before transpiling: a few nested gate
# definitions can expand exponentially and would otherwise hang the parser or the transpiler.
MAX_EXPANDED_OPERATIONS = 50_000
# Not a device limit: it bounds the length of every counts key we store.
MAX_CLASSICAL_BITS = 100


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


def located(line: str | None, column: str | None, message: str) -> CircuitIssue:
    # Both parsers count columns from 0; editors (and our users) count from 1.
    if line is None or column is None:
        return CircuitIssue(line=None, column=None, message=message)
    return CircuitIssue(line=int(line), column=int(column) + 1, message=message)


def exception_message(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the program is nested too deeply"
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) and message else str(exc)


def register_message(kind: str, total: int) -> str:
    if kind in {"qreg", "qubit"}:
        return f"the program declares {total} qubits; the device has {MAX_QUBITS} ({', '.join(QUBITS)})"
    return f"the program declares {total} classical bits; the limit is {MAX_CLASSICAL_BITS}"


def too_many_expanded_issue() -> CircuitIssue:
    return CircuitIssue(
        None,
        None,
        f"the program expands to more than {MAX_EXPANDED_OPERATIONS} gates; "
        f"the device runs at most {MAX_NATIVE_OPERATIONS} native operations",
    )
