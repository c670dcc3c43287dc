"""The Qiskit client (clients/qiskit/) against a live site: gunicorn, PostgreSQL, Redis and a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.providers import JobStatus

import qfr_qiskit
from qfr_qiskit import (
    BookingConflict,
    InvalidCircuit,
    JobFailed,
    NoActiveBooking,
    NotCancellable,
    NotFound,
    QFRError,
    RequestTooLarge,
)
from scheduling.models import Job
from tests.factories import make_backend

pytestmark = pytest.mark.worker

STAR = {(0, 2), (1, 2), (2, 3), (2, 4)}  # QB1-QB3, QB2-QB3, QB3-QB4, QB3-QB5 as Target indices


def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2, 2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


def ghz(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n, n, name=f"ghz-{n}")
    circuit.h(0)
    for i in range(n - 1):
        circuit.cx(i, i + 1)
    circuit.measure(range(n), range(n))
    return circuit


def test_provider_lists_backends_with_a_target_from_the_api(researcher):
    provider = researcher.provider()
    assert [backend.name for backend in provider.backends()] == ["spark"]
    backend = provider.get_backend("spark")
    target = backend.target
    assert target.num_qubits == 5
    assert set(target.operation_names) == {"r", "cz", "measure"}
    assert {tuple(sorted(edge)) for edge in target.build_coupling_map().get_edges()} == STAR
    assert len(target["cz"]) == 8  # both directions of each coupler
    # Errors from the default calibration (1 - fidelity), durations from the timing profile.
    assert target["r"][(0,)].error == pytest.approx(0.003)
    assert target["r"][(0,)].duration == pytest.approx(120e-9)
    assert target["cz"][(0, 2)].error == pytest.approx(0.038)
    assert target["cz"][(2, 0)].duration == pytest.approx(120e-9)
    assert target["measure"][(4,)].error == pytest.approx(0.05)
    assert target["measure"][(4,)].duration == pytest.approx(1.5e-6)
    assert target.qubit_properties[0].t1 == pytest.approx(36e-6)
    assert target.qubit_properties[0].t2 == pytest.approx(19e-6)
    assert backend.qubit_names == ["QB1", "QB2", "QB3", "QB4", "QB5"]
    with pytest.raises(NotFound) as refused:
        provider.get_backend("nowhere")
    assert refused.value.code == "not_found"


def test_a_bell_pair_runs_through_backend_run(researcher):
    backend = researcher.provider().get_backend("spark")
    job = backend.run(bell(), shots=1000, seed=11)
    assert job.job_id() == str(Job.objects.get().pk)
    result = job.result(timeout=120)
    assert job.status() is JobStatus.DONE
    counts = result.get_counts("bell")
    assert counts == result.get_counts(0) == result.get_counts()
    assert sum(counts.values()) == 1000
    assert set(counts) <= {"00", "01", "10", "11"}
    assert counts.get("00", 0) + counts.get("11", 0) > 850  # noise: a few percent land elsewhere
    assert result.results[0].header["name"] == "bell"
    assert result.header["calibration"] == job.calibration_id is not None
    # The same seed gives the same counts.
    assert backend.run(bell(), shots=1000, seed=11).result(timeout=120).get_counts() == counts


def test_a_ghz_runs_and_counts_use_qiskits_register_layout(researcher):
    backend = researcher.provider().get_backend("spark")
    circuit = ghz(5)
    result = backend.run(circuit, shots=2000, seed=5).result(timeout=120)
    counts = result.get_counts("ghz-5")
    assert sum(counts.values()) == 2000
    assert all(len(key) == 5 for key in counts)
    # GHZ: the two ideal outcomes lead by far (a chain routed onto the star: swaps and idle qubits cost fidelity).
    ideal = counts["00000"] + counts["11111"]
    assert ideal > 800
    assert min(counts["00000"], counts["11111"]) > max(v for k, v in counts.items() if k not in {"00000", "11111"})

    # Two classical registers: Qiskit spells the counts with a space between them, bit 0 rightmost.
    split = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(1, "a"), ClassicalRegister(1, "b"), name="split")
    split.x(1)
    split.measure(0, 0)
    split.measure(1, 1)
    counts = backend.run(split, shots=500, seed=1).result(timeout=120).get_counts()
    assert max(counts, key=counts.get) == "1 0"


def test_a_batch_is_one_job_with_results_in_order_and_by_name(researcher):
    backend = researcher.provider().get_backend("spark")
    circuits = [bell(), ghz(3), ghz(5)]
    job = backend.run(circuits, shots=400, seed=3)
    result = job.result(timeout=180)
    assert Job.objects.count() == 1
    assert [experiment.header["name"] for experiment in result.results] == ["bell", "ghz-3", "ghz-5"]
    assert [len(next(iter(result.get_counts(i)))) for i in range(3)] == [2, 3, 5]
    assert all(sum(result.get_counts(name).values()) == 400 for name in ("bell", "ghz-3", "ghz-5"))
    record = job.record()
    assert [c["name"] for c in record["circuits"]] == ["bell", "ghz-3", "ghz-5"]


def test_transpiling_against_the_target_lands_only_on_the_stars_couplers(researcher):
    backend = researcher.provider().get_backend("spark")
    # All-to-all CNOTs: every pair the star lacks must be routed through QB3.
    circuit = QuantumCircuit(5, 5, name="all-pairs")
    for a in range(5):
        for b in range(a + 1, 5):
            circuit.cx(a, b)
    circuit.measure(range(5), range(5))
    for native in (transpile(circuit, backend, seed_transpiler=7), *backend.prepare(circuit)):
        pairs = {
            tuple(sorted(native.find_bit(q).index for q in instruction.qubits))
            for instruction in native.data
            if instruction.operation.name == "cz"
        }
        assert pairs
        assert pairs <= STAR
        assert set(native.count_ops()) <= {"r", "cz", "measure", "barrier"}
    # The site transpiles what the client sent without moving it off the couplers either.
    job = backend.run(circuit, shots=100, seed=1)
    job.result(timeout=120)
    assert (Job.objects.get(pk=job.job_id()).cz_count or 0) >= 10


def test_a_job_without_a_booking_raises_no_active_booking(make_researcher):
    researcher = make_researcher(make_backend(name="spark"), book=False)
    backend = researcher.provider().get_backend("spark")
    with pytest.raises(NoActiveBooking) as refused:
        backend.run(bell(), shots=100)
    error = refused.value
    assert isinstance(error, QFRError)
    assert (error.code, error.status) == ("no_active_booking", 409)
    assert error.detail
    assert not Job.objects.exists()


def test_a_bad_circuit_raises_invalid_circuit_with_line_and_column(researcher):
    provider = researcher.provider()
    backend = provider.get_backend("spark")
    unmeasured = QuantumCircuit(2, name="unmeasured")
    unmeasured.h(0)
    with pytest.raises(InvalidCircuit) as refused:
        backend.run(unmeasured, shots=100)
    assert refused.value.code == "invalid_circuit"
    assert "measurement" in str(refused.value)
    # Source the client does not write itself: the site's line and column come through.
    source = "OPENQASM 3.0;\nqubit[2] q;\nbit[2] c;\nnotagate q[0];\nc = measure q;\n"
    body = {"backend": backend.backend_id, "project": researcher.project.pk, "qasm": source}
    with pytest.raises(InvalidCircuit) as refused:
        provider.submit_job(body)
    assert refused.value.line == 4
    assert refused.value.column is not None
    assert not Job.objects.exists()


def test_a_bad_circuit_in_a_batch_names_its_index(researcher):
    backend = researcher.provider().get_backend("spark")
    unmeasured = QuantumCircuit(2, name="unmeasured")
    unmeasured.h(0)
    with pytest.raises(InvalidCircuit) as refused:
        backend.run([bell(), unmeasured, ghz(3)], shots=100)
    assert refused.value.circuit == 1
    assert not Job.objects.exists()


def test_a_batch_over_the_sites_request_limit_is_refused_before_sending(researcher):
    backend = researcher.provider().get_backend("spark")
    long = QuantumCircuit(1, 1, name="long")
    for _ in range(9_000):
        long.r(0.1, 0.2, 0)
    long.measure(0, 0)
    with pytest.raises(RequestTooLarge) as refused:
        backend.run([long] * 8, shots=10)  # each within the one-circuit limit, together over 1 MiB
    assert (refused.value.code, refused.value.status) == ("request_too_large", 413)
    assert "smaller batches" in refused.value.detail
    assert not Job.objects.exists()


def test_a_queued_job_is_cancelled_and_its_result_raises(researcher):
    provider = researcher.provider()
    backend = provider.get_backend("spark")
    start, end = backend.find_free_slot(minutes=30, after=dt.datetime.now(dt.UTC) + dt.timedelta(hours=3))
    later = backend.book(start, end, purpose="cancel test")
    job = backend.run(bell(), shots=100, booking=later["id"])  # waits for its booking to start
    assert job.status() is JobStatus.QUEUED
    assert job.cancel() is True
    assert job.status() is JobStatus.CANCELLED
    with pytest.raises(JobFailed) as failed:
        job.result(timeout=30)
    assert failed.value.status == "cancelled"
    with pytest.raises(NotCancellable) as refused:
        job.cancel()
    assert refused.value.code == "not_cancellable"


def test_helpers_book_cancel_list_jobs_and_download_a_report(researcher):
    provider = researcher.provider()
    backend = provider.get_backend("spark")
    # Free time: the booking in progress is busy, the first free slot starts where it ends.
    start, end = provider.find_free_slot("spark", minutes=15)
    assert start == researcher.booking.ends_at
    assert end - start == dt.timedelta(minutes=15)
    booking = provider.book("spark", start, end, purpose="helpers")
    assert booking["status"] == "confirmed"
    with pytest.raises(BookingConflict) as refused:
        provider.book(backend.backend_id, start, end, project=researcher.project.code)
    assert refused.value.conflicts[0]["kind"] == "booking"
    assert provider.cancel_booking(booking["id"])["status"] == "cancelled"
    assert {b["id"] for b in provider.bookings(mine=True, status="confirmed")} == {researcher.booking.pk}

    job = backend.run(bell(), shots=50, seed=2)
    job.result(timeout=120)
    assert [record["id"] for record in provider.jobs(backend="spark")] == [int(job.job_id())]
    assert [j.job_id() for j in backend.jobs()] == [job.job_id()]
    assert backend.retrieve_job(job.job_id()).result().get_counts() == job.result().get_counts()

    today = dt.datetime.now(dt.UTC).date()
    report = provider.request_report(
        "project_usage",
        project=researcher.project.pk,
        start=today - dt.timedelta(days=1),
        end=today + dt.timedelta(days=3),  # local midnights in the report's time zone: cover the whole booking
    )
    provider.wait_for_report(report["id"], timeout=120)
    csv = provider.download_report(report["id"], format="csv")
    assert isinstance(csv, bytes)
    assert b"booked_hours,2.00,h" in csv


def test_the_package_speaks_only_the_public_api():
    from pathlib import Path

    package = Path(qfr_qiskit.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text()
        for forbidden in ("django", "scheduling", "rest_framework", "celery"):
            assert f"import {forbidden}" not in text, (path, forbidden)
            assert f"from {forbidden}" not in text, (path, forbidden)
