"""The README's "From Qiskit" example, run as written against a live site: book, run a Bell pair, read counts."""

from __future__ import annotations

import pytest

from scheduling.calibration import calibration_from_record, timing_from_backend
from scheduling.choices import BookingStatus, JobStatus
from scheduling.models import Booking, Job
from scheduling.simulator import BatchRequest, BatchResult, run_compiled_batches
from tests.clients.site import ROOT, readme_python_blocks
from tests.factories import make_backend

pytestmark = pytest.mark.worker


def test_the_readmes_qiskit_example_books_runs_and_prints_counts(make_researcher, monkeypatch, capsys):
    researcher = make_researcher(make_backend(name="spark"), book=False)
    [example] = readme_python_blocks(ROOT / "README.md", "From Qiskit")
    monkeypatch.setenv("QFR_URL", researcher.url)
    monkeypatch.setenv("QFR_TOKEN", researcher.token)
    exec(compile(example, "README.md (From Qiskit)", "exec"), {"__name__": "readme"})  # noqa: S102  (our own README)

    booking = Booking.objects.get()
    assert (booking.user, booking.status, booking.purpose) == (
        researcher.user,
        BookingStatus.CONFIRMED,
        "Bell pair from Qiskit",
    )
    job = Job.objects.get()
    assert (job.booking, job.status, job.shots) == (booking, JobStatus.COMPLETED, 1000)
    printed = eval(capsys.readouterr().out.strip())  # noqa: S307  (the example prints a dict of counts)
    assert printed == job.counts
    # The counts are the calibrated simulation's: the job's circuit, seed and calibration give them again here.
    (circuit,) = job.circuits.all()
    (again,) = run_compiled_batches(
        [BatchRequest(compiled=[bytes(circuit.compiled)], shots=job.shots, seed=job.seed)],
        calibration=calibration_from_record(job.calibration),
        timing=timing_from_backend(job.backend),
    )
    assert isinstance(again, BatchResult)
    assert again.results[0].counts == printed
    # A Bell pair: mostly 00 and 11. The example sets no seed; with the default calibration 00 + 11 is 873 of 1000
    # on average, with a standard deviation of 10 (200 seeds), so 820 is five deviations below.
    assert printed.get("00", 0) + printed.get("11", 0) > 820
