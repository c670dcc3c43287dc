"""A job on the site as a Qiskit job: `status()`, `cancel()`, `result()` (a Qiskit `Result`), `job_id()`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from qiskit.circuit import QuantumCircuit
from qiskit.providers import JobStatus, JobV1
from qiskit.result import Result
from qiskit.result.models import ExperimentResult, ExperimentResultData

from qfr_qiskit.errors import JobFailed, JobTimeout, QFRError

if TYPE_CHECKING:
    from qfr_qiskit.backend import QFRBackend

STATUSES = {
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "completed": JobStatus.DONE,
    "failed": JobStatus.ERROR,
    "cancelled": JobStatus.CANCELLED,
}
FINAL = frozenset({"completed", "failed", "cancelled"})
# Polling starts fast (short jobs finish in well under a second) and slows down to the caller's `wait`.
FIRST_POLL_S = 0.2


class QFRJob(JobV1):  # type: ignore[misc]  # qiskit ships no type information
    """One job (one circuit or a batch) on a backend of the site."""

    def __init__(
        self,
        backend: QFRBackend,
        job_id: int | str,
        *,
        circuits: Sequence[QuantumCircuit] | None = None,
        record: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(backend, str(job_id))
        self._circuits = list(circuits) if circuits is not None else None
        self._record = record
        self._result: Result | None = None

    @property
    def _client(self) -> Any:
        return self.backend().provider

    def submit(self) -> None:
        """Jobs are submitted by `backend.run()`; a job object is never submitted twice."""
        raise QFRError("this job was submitted when it was created", code="already_submitted")

    def record(self, *, refresh: bool = True) -> dict[str, Any]:
        """The job as the API describes it (status, error_code, calibration, qpu_seconds, circuits...)."""
        if refresh or self._record is None:
            self._record = self._client.job(self.job_id())
        assert self._record is not None
        return self._record

    def status(self) -> JobStatus:
        """QUEUED, RUNNING, DONE, ERROR (failed) or CANCELLED."""
        return STATUSES[self.record()["status"]]

    def cancel(self) -> bool:
        """Cancel the job while queued or running (a running one stops within seconds and keeps no counts).

        Raises NotCancellable once it has finished.
        """
        self._record = self._client.cancel_job(self.job_id())
        return True

    @property
    def calibration_id(self) -> int | None:
        """The calibration record the job ran with (set once it ran)."""
        value = self.record(refresh=self._record is None or self._record["status"] not in FINAL).get("calibration")
        return None if value is None else int(value)

    def wait_for_final_state(
        self,
        timeout: float | None = None,
        wait: float = 1.0,
        callback: Callable[[str, JobStatus, QFRJob], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until the job completed, failed or was cancelled; its final record. JobTimeout past `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = min(FIRST_POLL_S, wait)
        while True:
            record = self.record()
            if callback is not None:
                callback(self.job_id(), STATUSES[record["status"]], self)
            if record["status"] in FINAL:
                return record
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeout(f"job {self.job_id()} is still {record['status']} after {timeout} s")
            time.sleep(pause)
            pause = min(pause * 1.5, wait)

    def result(self, timeout: float | None = None, wait: float = 1.0) -> Result:
        """Wait for the job and return its counts as a Qiskit Result, one experiment per circuit, in order.

        Raises JobFailed (with the job's `error_code` as `code`) when it failed or was cancelled.
        """
        if self._result is not None:
            return self._result
        record = self.wait_for_final_state(timeout=timeout, wait=wait)
        if record["status"] != "completed":
            code = record.get("error_code") or ("cancelled" if record["status"] == "cancelled" else "failed")
            detail = record.get("error") or f"The job was {record['status']}."
            raise JobFailed(detail, code=code, job_id=self.job_id(), status=record["status"])
        self._result = self._build_result(self._client.job_result(self.job_id()))
        return self._result

    def _build_result(self, body: dict[str, Any]) -> Result:
        runs = body.get("results")
        if not runs:  # a single-circuit job answered by a site that predates batches
            runs = [{"index": 0, "name": self.record(refresh=False).get("name", ""), "counts": body["counts"]}]
        runs = sorted(runs, key=lambda run: int(run["index"]))
        experiments = []
        for run in runs:
            circuit = None
            if self._circuits is not None and int(run["index"]) < len(self._circuits):
                circuit = self._circuits[int(run["index"])]
            experiments.append(_experiment(run, circuit, shots=int(body["shots"]), seed=body.get("seed")))
        backend = self.backend()
        return Result(
            backend_name=backend.name,
            backend_version=backend.backend_version,
            job_id=self.job_id(),
            success=True,
            results=experiments,
            status="COMPLETED",
            header={
                "backend_name": backend.name,
                "calibration": body.get("calibration"),
                "qpu_seconds": body.get("qpu_seconds"),
            },
        )


def _experiment(run: dict[str, Any], circuit: QuantumCircuit | None, *, shots: int, seed: Any) -> ExperimentResult:
    counts: dict[str, int] = {str(key).replace(" ", ""): int(value) for key, value in run["counts"].items()}
    width = max((len(key) for key in counts), default=0)
    if circuit is not None:
        name = circuit.name
        width = circuit.num_clbits or width
        registers = [[register.name, register.size] for register in circuit.cregs]
        if sum(size for _name, size in registers) != width:  # bits outside registers: one register of all
            registers = [["c", width]]
        metadata = dict(circuit.metadata or {})
    else:
        name = str(run.get("name") or f"circuit-{run['index']}")
        registers, metadata = [["c", width]], {}
    header = {"name": name, "creg_sizes": registers, "memory_slots": width, "metadata": metadata}
    # Hexadecimal keys plus the register layout: Result.get_counts() then spells the counts exactly as Qiskit's
    # own simulators do (registers separated by spaces), which tools such as qiskit-experiments rely on.
    data = ExperimentResultData(counts={hex(int(key, 2)): value for key, value in counts.items()})
    return ExperimentResult(shots=shots, success=True, data=data, header=header, seed=seed, status="DONE")
