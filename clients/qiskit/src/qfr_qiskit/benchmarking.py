"""Randomized benchmarking of a backend through the job API: the fidelity of PRX per qubit and CZ per coupler.

Needs qiskit-experiments (`pip install "qfr-qiskit[rb]"`). Each measurement is one qiskit-experiments run on
the backend (its circuits go to the site as batch jobs of up to 500 circuits) and compares what it recovers
with the backend's latest calibration:

- PRX: StandardRB on one qubit. Its EPC is the average gate infidelity of a single-qubit Clifford; with only
  `r` (PRX) in the circuits, the error per `r` gate is EPC divided by the number of `r` per Clifford (the
  analysis' `EPG_r` with `gate_error_ratio={"r": 1}`), so the PRX fidelity is `1 - EPG_r`.
- CZ: InterleavedRB of a CZ on one coupler. Its EPC is the average infidelity of the interleaved CZ itself,
  `(d-1)/d (1 - alpha_c / alpha)`, so the CZ fidelity is `1 - EPC`.

The calibration's fidelities are average gate fidelities, the quantity both recover.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qfr_qiskit.target import calibration_maps

if TYPE_CHECKING:
    from qfr_qiskit.backend import QFRBackend

# Chosen for a per-gate error near 1e-3 (PRX) and near 4e-2 (CZ): the longest sequences decay to about a third.
# The spread between random sequences (their gate counts differ, and the noise is per gate) dominates the error
# of the estimate, not shots: many sequences of modest shots. CZ: 2 x 6 x 40 = 480 circuits in two batches
# (a batch must fit the site's 1 MiB request body).
PRX_LENGTHS = (1, 50, 100, 200, 350)
CZ_LENGTHS = (1, 3, 6, 10, 16, 24)


@dataclass(frozen=True)
class GateFidelity:
    """A gate's fidelity recovered by RB, next to the calibration's, with what the measurement cost."""

    gate: str  # "prx" or "cz"
    where: str  # "QB1" or "QB1-QB3"
    configured: float | None
    recovered: float
    stderr: float
    circuits: int
    jobs: tuple[str, ...]
    qpu_seconds: float
    wall_seconds: float
    details: dict[str, float] = field(default_factory=dict)

    @property
    def configured_error(self) -> float | None:
        return None if self.configured is None else 1 - self.configured

    @property
    def recovered_error(self) -> float:
        return 1 - self.recovered


def _require_experiments() -> Any:
    try:
        import qiskit_experiments.library as library
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('randomized benchmarking needs qiskit-experiments: pip install "qfr-qiskit[rb]"') from exc
    return library


def _value(data: Any, name: str) -> tuple[float, float]:
    """Nominal value and standard error of an analysis result (an `uncertainties` number)."""
    result = data.analysis_results(name, dataframe=True)
    value = result.iloc[0]["value"]
    return float(getattr(value, "nominal_value", value)), float(getattr(value, "std_dev", 0.0) or 0.0)


def _run(
    backend: QFRBackend, experiment: Any, run_options: dict[str, Any], max_circuits: int
) -> tuple[Any, tuple[str, ...], float]:
    # Jobs of at most `max_circuits`: a batch must also fit the site's 1 MiB request body.
    experiment.set_experiment_options(max_circuits=max_circuits)
    experiment.set_run_options(**run_options)
    data = experiment.run(backend_run=True).block_for_results()
    errors = data.errors()
    if errors:
        raise RuntimeError(f"the experiment failed: {errors}")
    jobs = tuple(str(job_id) for job_id in data.job_ids)
    qpu = sum(float(backend.provider.job(job_id).get("qpu_seconds") or 0) for job_id in jobs)
    return data, jobs, qpu


def _options(shots: int, seed: int, booking: Any, qasm_version: int) -> dict[str, Any]:
    options: dict[str, Any] = {"shots": shots, "seed": seed, "qasm_version": qasm_version}
    if booking is not None:
        options["booking"] = booking
    return options


def prx_fidelity(
    backend: QFRBackend,
    qubit: int | str,
    *,
    lengths: Sequence[int] = PRX_LENGTHS,
    num_samples: int = 10,
    shots: int = 1000,
    seed: int = 1,
    booking: Any = None,
    qasm_version: int = 2,
    max_circuits: int = 100,
) -> GateFidelity:
    """StandardRB on one qubit (index or name): the PRX fidelity per gate it recovers."""
    library = _require_experiments()
    index = backend.qubit_names.index(qubit) if isinstance(qubit, str) else int(qubit)
    name = backend.qubit_names[index]
    started = time.monotonic()
    experiment = library.StandardRB([index], lengths=list(lengths), num_samples=num_samples, seed=seed, backend=backend)
    experiment.analysis.set_options(gate_error_ratio={"r": 1.0})
    data, jobs, qpu = _run(backend, experiment, _options(shots, seed, booking, qasm_version), max_circuits)
    epg, epg_err = _value(data, "EPG_r")
    epc, epc_err = _value(data, "EPC")
    qubits, _couplers = calibration_maps(backend.calibration)
    configured = qubits.get(name, {}).get("prx_fidelity")
    return GateFidelity(
        gate="prx",
        where=name,
        configured=None if configured is None else float(configured),
        recovered=1 - epg,
        stderr=epg_err,
        circuits=len(lengths) * num_samples,
        jobs=jobs,
        qpu_seconds=qpu,
        wall_seconds=time.monotonic() - started,
        details={"epc": epc, "epc_stderr": epc_err},
    )


def cz_fidelity(
    backend: QFRBackend,
    pair: tuple[int, int] | tuple[str, str] | str,
    *,
    lengths: Sequence[int] = CZ_LENGTHS,
    num_samples: int = 40,
    shots: int = 1000,
    seed: int = 1,
    booking: Any = None,
    qasm_version: int = 2,
    max_circuits: int = 240,
) -> GateFidelity:
    """InterleavedRB of a CZ on a coupler (`(0, 2)`, `("QB1", "QB3")` or `"QB1-QB3"`): the CZ fidelity."""
    library = _require_experiments()
    from qiskit.circuit.library import CZGate

    names = backend.qubit_names
    parts: list[int | str] = list(pair.split("-") if isinstance(pair, str) else pair)
    indices = [names.index(p) if isinstance(p, str) else int(p) for p in parts]
    where = f"{names[indices[0]]}-{names[indices[1]]}"
    started = time.monotonic()
    experiment = library.InterleavedRB(
        CZGate(), indices, lengths=list(lengths), num_samples=num_samples, seed=seed, backend=backend
    )
    data, jobs, qpu = _run(backend, experiment, _options(shots, seed, booking, qasm_version), max_circuits)
    epc, epc_err = _value(data, "EPC")
    _qubits, couplers = calibration_maps(backend.calibration)
    configured = couplers.get(frozenset((names[indices[0]], names[indices[1]])), {}).get("cz_fidelity")
    alpha, alpha_err = _value(data, "alpha")
    alpha_c, alpha_c_err = _value(data, "alpha_c")
    return GateFidelity(
        gate="cz",
        where=where,
        configured=None if configured is None else float(configured),
        recovered=1 - epc,
        stderr=epc_err,
        circuits=2 * len(lengths) * num_samples,
        jobs=jobs,
        qpu_seconds=qpu,
        wall_seconds=time.monotonic() - started,
        details={"alpha": alpha, "alpha_stderr": alpha_err, "alpha_c": alpha_c, "alpha_c_stderr": alpha_c_err},
    )
