"""OpenQASM parsing, the device's circuit rules, transpilation to the native gates and the circuit duration."""

from __future__ import annotations

import time
from typing import cast

import pytest
from qiskit import QuantumCircuit, transpile

from scheduling.simulator import (
    ALLOWED_OPERATIONS,
    MAX_SOURCE_CHARS,
    SEED_TRANSPILER,
    CircuitError,
    CircuitIssue,
    TimingProfile,
    build_target,
    circuit_duration_ns,
    coupling_map,
    parse_circuit,
    prepare_circuit,
)

BELL_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""

BELL_QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""


def qasm2_program(body: str, *, qubits: int = 2, clbits: int = 2) -> str:
    return f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{qubits}];\ncreg c[{clbits}];\n{body}'


def qasm3_program(body: str, *, qubits: int = 2, clbits: int = 2) -> str:
    return f'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[{qubits}] q;\nbit[{clbits}] c;\n{body}'


def issues_of(source: object) -> list[CircuitIssue]:
    with pytest.raises(CircuitError) as info:
        prepare_circuit(cast(str, source))  # deliberately also non-text input
    assert isinstance(info.value, ValueError)
    assert info.value.issues
    return info.value.issues


def messages_of(source: object) -> str:
    return " | ".join(issue.message for issue in issues_of(source))


def assert_native_on_star(circuit: QuantumCircuit) -> None:
    edges = set(coupling_map().get_edges())
    assert set(circuit.count_ops()) <= ALLOWED_OPERATIONS
    for instruction in circuit.data:
        if instruction.operation.name == "cz":
            pair = tuple(circuit.find_bit(qubit).index for qubit in instruction.qubits)
            assert pair in edges


@pytest.mark.parametrize(("source", "version"), [(BELL_QASM2, 2), (BELL_QASM3, 3)])
def test_prepare_circuit_parses_both_openqasm_versions(source, version):
    result = prepare_circuit(source)
    assert result.qasm_version == version
    assert result.num_qubits == 2
    assert result.cz_count == 1
    assert result.measure_count == 2
    assert_native_on_star(result.circuit)


def test_prepare_circuit_reports_statistics_of_the_transpiled_circuit():
    result = prepare_circuit(BELL_QASM2)
    ops = result.circuit.count_ops()
    assert result.prx_count == ops["r"] > 0
    assert result.cz_count == ops["cz"]
    assert result.depth == result.circuit.depth()
    assert result.duration_ns == circuit_duration_ns(result.circuit) > 0


def test_prepare_circuit_accepts_comments_before_the_header_and_version_without_minor():
    result = prepare_circuit("// Bell pair\n/* two\n lines */\n" + BELL_QASM3.replace("OPENQASM 3.0;", "OPENQASM 3;"))
    assert result.qasm_version == 3


def test_transpilation_is_deterministic():
    first = prepare_circuit(BELL_QASM3).circuit
    second = prepare_circuit(BELL_QASM3).circuit
    assert first == second


def test_cx_between_qb1_and_qb2_is_routed_through_qb3():
    # Physical qubits $0 and $1 are QB1 and QB2, which share no coupler.
    source = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nh $0;\ncx $0, $1;\n'
    source += "c[0] = measure $0;\nc[1] = measure $1;\n"
    result = prepare_circuit(source)
    assert_native_on_star(result.circuit)
    assert result.cz_count > 1  # a SWAP through the centre is three more CZs
    used = {result.circuit.find_bit(q).index for inst in result.circuit.data for q in inst.qubits}
    assert 2 in used
    assert result.num_qubits == 3


def test_a_five_qubit_chain_is_mapped_onto_the_star():
    body = "h q[0];\n" + "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(4)) + "measure q -> c;\n"
    result = prepare_circuit(qasm2_program(body, qubits=5, clbits=5))
    assert_native_on_star(result.circuit)
    assert result.num_qubits == 5


def test_many_gate_kinds_reduce_to_native_operations():
    body = "rx(0.3) q[0];\nry(0.2) q[1];\nrz(0.1) q[2];\nswap q[0], q[2];\n"
    body += "ccx q[0], q[1], q[2];\nU(0.1, 0.2, 0.3) q[1];\n"
    result = prepare_circuit(qasm3_program(body + "c = measure q;\n", qubits=3, clbits=3))
    assert_native_on_star(result.circuit)


def test_user_defined_gates_are_expanded():
    source = qasm2_program("gate bell a, b { h a; cx a, b; }\nbell q[0], q[1];\nmeasure q -> c;\n")
    assert prepare_circuit(source).cz_count == 1


def test_qasm2_syntax_error_reports_line_and_column():
    source = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n  h q[0]\ncx q[0], q[1];\n'
    (issue,) = issues_of(source)
    assert (issue.line, issue.column) == (5, 1)
    assert "';'" in issue.message
    assert str(issue).startswith("line 5, column 1: ")


def test_qasm2_unknown_gate_reports_line_and_column():
    (issue,) = issues_of('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n  foo q[0];\n')
    assert (issue.line, issue.column) == (4, 3)
    assert "foo" in issue.message


def test_qasm3_syntax_error_reports_line_and_column():
    (issue,) = issues_of('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0]\n   cx q[0], q[1];\n')
    assert (issue.line, issue.column) == (5, 4)
    assert "cx" in issue.message


def test_qasm3_unknown_gate_reports_line_and_column():
    (issue,) = issues_of('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\n  foo q[0];\n')
    assert (issue.line, issue.column) == (4, 3)
    assert "foo" in issue.message


def test_qasm3_truncated_program_reports_end_of_input():
    (issue,) = issues_of("OPENQASM 3.0;\nqubit[2] q;\nh q[0]")
    assert (issue.line, issue.column) == (3, 7)
    assert issue.message == "unexpected end of input"


def test_qasm3_lexer_error_reports_line_and_column():
    (issue,) = issues_of('OPENQASM 3.0;\nqubit[2] q;\n  "abc\n')
    assert (issue.line, issue.column) == (3, 3)


@pytest.mark.parametrize(
    "source",
    [
        qasm2_program("h q[0];\nmeasure q -> c;\n", qubits=6),
        qasm3_program("h q[0];\nc[0] = measure q[0];\n", qubits=6),
        "OPENQASM 3.0;\nqubit[3] a;\nqubit[3] b;\nbit c;\nc = measure a[0];\n",
    ],
)
def test_more_than_five_qubits_are_refused(source):
    assert "qubits; the device has 5" in messages_of(source)


@pytest.mark.parametrize("source", ["OPENQASM 2.0;\nqreg q[4000000000];\n", "OPENQASM 3.0;\nqubit[4000000000] q;\n"])
def test_huge_registers_are_refused_before_parsing(source):
    started = time.monotonic()
    (issue,) = issues_of(source)
    assert time.monotonic() - started < 1
    assert (issue.line, issue.column) == (2, 1)
    assert "4000000000 qubits" in issue.message


def test_missing_physical_qubit_is_refused():
    (issue,) = issues_of('OPENQASM 3.0;\ninclude "stdgates.inc";\nbit c;\nh $7;\nc = measure $7;\n')
    assert "$7 does not exist" in issue.message
    assert issue.line == 4


@pytest.mark.parametrize(
    "source",
    [
        qasm2_program("reset q[0];\nmeasure q -> c;\n"),
        qasm3_program("reset q[0];\nc = measure q;\n"),
    ],
)
def test_reset_is_refused(source):
    assert "reset is not supported" in messages_of(source)


@pytest.mark.parametrize(
    "source",
    [
        qasm2_program("measure q[0] -> c[0];\nif (c==1) x q[1];\nmeasure q -> c;\n"),
        qasm3_program("c[0] = measure q[0];\nif (c[0]) { x q[1]; }\nc = measure q;\n"),
        qasm3_program("for int i in [0:3] { x q[0]; }\nc = measure q;\n"),
    ],
)
def test_classical_control_flow_is_refused(source):
    assert "classical control flow" in messages_of(source)


@pytest.mark.parametrize("source", [qasm2_program("h q[0];\ncx q[0], q[1];\n"), qasm3_program("h q[0];\n")])
def test_circuit_without_measurement_is_refused(source):
    assert "no measurement" in messages_of(source)


def test_every_rule_broken_is_reported_together():
    message = messages_of(qasm3_program("reset q[0];\n", qubits=5))
    assert "reset" in message
    assert "no measurement" in message


def test_too_many_native_operations_are_refused():
    # Alternating directions so the optimizer cannot cancel neighbouring CNOTs.
    body = "cx q[0], q[1];\ncx q[1], q[0];\n" * 1500
    assert "native operations; the limit is 10000" in messages_of(qasm2_program(body + "measure q -> c;\n"))


@pytest.mark.parametrize("version", [2, 3])
def test_exponentially_nested_gate_definitions_are_refused_quickly(version):
    definitions = "gate g0 a { x a; }\n" + "".join(f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, 41))
    body = definitions + "g40 q[0];\n" + ("measure q -> c;\n" if version == 2 else "c = measure q;\n")
    started = time.monotonic()
    message = messages_of(qasm2_program(body) if version == 2 else qasm3_program(body))
    assert time.monotonic() - started < 5
    assert "expands to more than" in message


def test_delay_is_refused():
    assert "delay is not supported" in messages_of(qasm3_program("delay[100ns] q[0];\nc = measure q;\n"))


def test_opaque_gate_is_refused():
    assert "opaque" in messages_of(qasm2_program("opaque secret a;\nsecret q[0];\nmeasure q -> c;\n"))


def test_unbound_parameter_is_refused():
    body = "input float theta;\nrz(theta) q[0];\nc = measure q;\n"
    assert "unbound parameters: theta" in messages_of(qasm3_program(body))


@pytest.mark.parametrize("version", [2, 3])
def test_including_a_server_file_is_refused(version, tmp_path):
    secret = tmp_path / "secret.inc"
    secret.write_text("gate leak a { x a; }\n")
    header = "OPENQASM 2.0;\n" if version == 2 else "OPENQASM 3.0;\n"
    (issue,) = issues_of(f'{header}include "{secret}";\n')
    assert issue.line == 2


def test_source_over_the_size_limit_is_refused():
    source = BELL_QASM2 + "// padding\n" * (MAX_SOURCE_CHARS // 10)
    assert "limit is 200000" in messages_of(source)


@pytest.mark.parametrize(
    "source",
    [
        bytes(range(256)).decode("latin-1"),
        "OPENQASM 2.0;\n\x00\x00\x7fELF",
        "OPENQASM 3.0;\nqubit q;\n\ud800",
        b"OPENQASM 2.0;",
        None,
        "",
        "   \n\t",
        "\x89PNG\r\n\x1a\n",
    ],
)
def test_binary_or_non_text_input_is_refused_cleanly(source):
    assert issues_of(source)


def test_control_character_position_is_reported():
    (issue,) = issues_of("OPENQASM 2.0;\nqreg q[1];\x00")
    assert (issue.line, issue.column) == (2, 11)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("qreg q[1];\n", "must start with an OPENQASM version header"),
        ("OPENQASM 4.0;\nqubit q;\n", "version 4.0 is not supported"),
        ("OPENQASM 2.0;\nqubit[2] q;\n", ""),
        ("OPENQASM 3.0;\nqubit[2] q;\nbit c;\nc = measure q[0]; )))((( ;\n", ""),
        (qasm3_program("rz(" + "(" * 3000 + "1" + ")" * 3000 + ") q[0];\n"), ""),  # nested too deeply
        ("/*" * 50_000, "must start with an OPENQASM version header"),
    ],
)
def test_malformed_programs_raise_circuit_error_only(source, expected):
    assert expected in messages_of(source)


def test_circuit_error_message_lists_every_issue():
    error = CircuitError([CircuitIssue(3, 4, "first"), CircuitIssue(None, None, "second")])
    assert str(error) == "line 3, column 4: first; second"
    assert CircuitError.single("only").issues == [CircuitIssue(None, None, "only")]


def test_circuit_duration_is_the_asap_critical_path_without_the_final_readout():
    timing = TimingProfile(prx_ns=100, cz_ns=300, readout_ns=1000)
    circuit = QuantumCircuit(5, 3)
    circuit.r(0.1, 0.2, 0)
    circuit.r(0.1, 0.2, 0)  # QB1 busy until 200
    circuit.r(0.1, 0.2, 1)  # QB2 runs in parallel, busy until 100
    circuit.cz(0, 2)  # waits for QB1: 200..500 on QB1 and QB3
    circuit.measure(0, 0)  # mid-circuit readout: QB1 500..1500
    circuit.r(0.1, 0.2, 0)  # 1500..1600
    circuit.barrier()  # everyone waits until 1600
    circuit.r(0.1, 0.2, 3)  # 1600..1700
    circuit.measure(0, 1)  # final readouts are metered separately
    circuit.measure(3, 2)
    assert circuit_duration_ns(circuit, timing=timing) == pytest.approx(1700)


def test_circuit_duration_of_an_empty_circuit_is_zero():
    assert circuit_duration_ns(QuantumCircuit(5)) == 0.0


def test_circuit_duration_rejects_non_native_operations():
    circuit = QuantumCircuit(1)
    circuit.h(0)
    with pytest.raises(ValueError, match="not a native operation"):
        circuit_duration_ns(circuit)


@pytest.mark.parametrize(
    "source",
    [qasm2_program("measure q[0] -> c[0];\n", clbits=101), qasm3_program("c[0] = measure q[0];\n", clbits=101)],
)
def test_more_classical_bits_than_the_limit_are_refused(source):
    assert "101 classical bits; the limit is 100" in messages_of(source)


PHYSICAL_QASM3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[3] c;\nh $4;\ncx $4, $1;\nrz(0.2) $0;\ncx $1, $0;\n'
PHYSICAL_QASM3 += "c[0] = measure $4;\nc[1] = measure $1;\nc[2] = measure $0;\n"


@pytest.mark.parametrize(
    "source",
    [
        BELL_QASM2,
        BELL_QASM3,
        PHYSICAL_QASM3,
        qasm2_program(
            "cx q[0], q[1];\ncx q[1], q[2];\ncx q[2], q[3];\ncx q[3], q[4];\nmeasure q -> c;\n", qubits=5, clbits=5
        ),
        qasm3_program("ccx q[0], q[1], q[2];\nc = measure q;\n", qubits=3, clbits=3),
    ],
)
@pytest.mark.parametrize("timing", [TimingProfile(), TimingProfile(prx_ns=30, cz_ns=400)])
def test_the_reused_pass_manager_transpiles_exactly_as_qiskit_transpile(source, timing):
    circuit, _ = parse_circuit(source)
    layout = circuit.layout.initial_layout if circuit.layout is not None else None
    expected = transpile(
        circuit,
        target=build_target(timing),
        initial_layout=layout,
        optimization_level=1,
        seed_transpiler=SEED_TRANSPILER,
    )
    for _ in range(2):  # the second time from the cached pass manager
        assert prepare_circuit(source, timing=timing).circuit == expected
