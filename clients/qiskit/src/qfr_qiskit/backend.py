"""A backend of the site as a Qiskit `BackendV2`: its Target from the API, `run()` as one batch job."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qiskit import qasm2, qasm3, transpile
from qiskit.circuit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target

from qfr_qiskit.errors import RequestTooLarge
from qfr_qiskit.job import QFRJob
from qfr_qiskit.target import build_target

if TYPE_CHECKING:
    from qfr_qiskit.provider import QFRProvider

# API.md: a batch holds 1 to 500 circuits, and a JSON body at most 1 MiB.
MAX_CIRCUITS = 500
MAX_BODY_BYTES = 1024 * 1024
# Options of other Qiskit backends that mean what the site does anyway (classified counts, qubits reset).
ACCEPTED_DEFAULTS = {"memory": False, "meas_level": 2, "init_qubits": True, "meas_return": "single"}
DEFAULT_SEED_TRANSPILER = 1234


class QFRBackend(BackendV2):  # type: ignore[misc]  # qiskit ships no type information
    """One backend of the site (e.g. the 5-qubit star), read from `GET /api/v1/backends/{id}/`."""

    def __init__(self, provider: QFRProvider, record: dict[str, Any]) -> None:
        super().__init__(
            provider=provider,
            name=record["name"],
            description=record.get("display_name") or record["name"],
            backend_version=str(record.get("created_at") or "1"),
        )
        self._apply(record)

    def _apply(self, record: dict[str, Any]) -> None:
        self._record = record
        self.backend_id = int(record["id"])
        self._target = build_target(record)

    def refresh(self) -> QFRBackend:
        """Read the backend again (status, timing, latest calibration) and rebuild its Target."""
        self._apply(self.provider.backend_record(self.backend_id))
        return self

    # ---- what Qiskit asks of a backend ----------------------------------------------------------------------

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self) -> int:
        return MAX_CIRCUITS

    @classmethod
    def _default_options(cls) -> Options:
        return Options(
            shots=1000,
            seed=None,
            booking=None,
            project=None,
            job_name="",
            optimization_level=1,
            seed_transpiler=DEFAULT_SEED_TRANSPILER,
            qasm_version=3,
        )

    # ---- what the site knows of it ---------------------------------------------------------------------------

    @property
    def record(self) -> dict[str, Any]:
        """The backend as the API described it when last read."""
        return self._record

    @property
    def qubit_names(self) -> list[str]:
        """The device's qubit names; index i of the Target is `qubit_names[i]`."""
        return list(self._record["qubits"])

    @property
    def couplers(self) -> list[tuple[int, int]]:
        """The couplers as pairs of Target indices (one direction each)."""
        index = {name: i for i, name in enumerate(self.qubit_names)}
        return [(index[a], index[b]) for a, b in self._record.get("couplers") or []]

    @property
    def calibration(self) -> dict[str, Any] | None:
        """The latest calibration record (`qubits`, `couplers` with fidelities, `measured_at`)."""
        value: dict[str, Any] | None = self._record.get("latest_calibration")
        return value

    @property
    def timing(self) -> dict[str, Any]:
        """The timing profile: `prx_ns, cz_ns, readout_ns, rep_delay_us, overhead_s`."""
        return dict(self._record.get("timing") or {})

    def estimate_seconds(self, circuits: QuantumCircuit | Sequence[QuantumCircuit], *, shots: int = 1000) -> float:
        """The metering formula for native circuits: overhead + sum of shots x (duration + readout + delay)."""
        timing = self.timing
        total = float(timing.get("overhead_s", 2))
        per_shot_fixed = float(timing.get("readout_ns", 1500)) * 1e-9 + float(timing.get("rep_delay_us", 200)) * 1e-6
        for circuit in self.prepare(circuits):
            total += shots * (_duration_ns(circuit, timing) * 1e-9 + per_shot_fixed)
        return total

    # ---- running circuits -----------------------------------------------------------------------------------

    def _is_native(self, circuit: QuantumCircuit) -> bool:
        """Whether every operation is a native gate on qubits the device has (no transpiling needed)."""
        if circuit.num_qubits > self._target.num_qubits or circuit.parameters:
            return False
        for instruction in circuit.data:
            name = instruction.operation.name
            if name == "barrier":
                continue
            qargs = tuple(circuit.find_bit(qubit).index for qubit in instruction.qubits)
            if not self._target.instruction_supported(name, qargs):
                return False
        return True

    def prepare(
        self,
        circuits: QuantumCircuit | Sequence[QuantumCircuit],
        *,
        optimization_level: int | None = None,
        seed_transpiler: int | None = None,
    ) -> list[QuantumCircuit]:
        """The circuits as they will be sent: native gates on physical qubits.

        A circuit already on native gates and couplers keeps its gates, its qubit i on the device's qubit i;
        any other is transpiled to the Target.
        """
        items = [circuits] if isinstance(circuits, QuantumCircuit) else list(circuits)
        level = self.options.optimization_level if optimization_level is None else optimization_level
        seed = self.options.seed_transpiler if seed_transpiler is None else seed_transpiler
        prepared = []
        for circuit in items:
            if self._is_native(circuit):
                if circuit.layout is None or circuit.num_qubits != self._target.num_qubits:
                    # Fix the layout without touching the gates, so the export names physical qubits ($i).
                    circuit = transpile(
                        circuit,
                        target=self._target,
                        initial_layout=list(range(circuit.num_qubits)),
                        optimization_level=0,
                    )
            else:
                circuit = transpile(circuit, target=self._target, optimization_level=level, seed_transpiler=seed)
            prepared.append(circuit)
        return prepared

    def run(self, run_input: QuantumCircuit | Sequence[QuantumCircuit], **options: Any) -> QFRJob:
        """Send the circuits as one job and return it at once (it runs in the project's booking).

        Options: `shots` (per circuit), `seed` (the job's seed; circuits' seeds derive from it), `booking`
        (id; else the project's booking in progress or next), `project` (id or code; else the booking's, or the
        user's only project), `job_name`, `qasm_version` (3, or 2: the site parses OpenQASM 2 about a hundred
        times faster, which matters for long circuits such as randomized benchmarking's). Raises an APIError
        subclass when the site refuses the job (`NoActiveBooking`, `ExceedsBooking`, `QueueFull`,
        `InvalidCircuit`...).
        """
        settings = self._run_options(options)
        circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
        if not circuits:
            raise ValueError("nothing to run: give a circuit or a list of circuits")
        prepared = self.prepare(circuits)
        body = self._job_body(circuits, prepared, settings)
        size = len(json.dumps(body).encode())
        if size > MAX_BODY_BYTES:  # refused by the site anyway: say so before sending a megabyte
            raise RequestTooLarge(
                f"The job's {len(circuits)} circuits take {size} bytes; the site takes at most {MAX_BODY_BYTES} "
                "bytes a request. Send them in smaller batches.",
                code="request_too_large",
                status=413,
            )
        record = self.provider.submit_job(body)
        return QFRJob(self, record["id"], circuits=circuits, record=record)

    def _run_options(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = dict(self.options.__dict__)
        if "seed_simulator" in options:  # the name Qiskit Aer and qiskit-experiments use
            options.setdefault("seed", options.pop("seed_simulator"))
        if "name" in options:
            options.setdefault("job_name", options.pop("name"))
        for key, value in options.items():
            if key in settings:
                settings[key] = value
            elif key in ACCEPTED_DEFAULTS and value in (None, ACCEPTED_DEFAULTS[key]):
                continue
            else:
                raise TypeError(f"the backend has no run option {key!r} (or not the value {value!r})")
        return settings

    def _job_body(
        self, circuits: list[QuantumCircuit], prepared: list[QuantumCircuit], settings: dict[str, Any]
    ) -> dict[str, Any]:
        provider = self.provider
        booking = settings["booking"]
        booking_id = None if booking is None else int(booking["id"] if isinstance(booking, dict) else booking)
        project = settings["project"]
        if project is None and booking_id is not None:
            project = int(provider.get(f"bookings/{booking_id}/")["project"])
        body: dict[str, Any] = {
            "backend": self.backend_id,
            "project": provider.project_id(project),
            "shots": int(settings["shots"]),
            "name": settings["job_name"] or (circuits[0].name if len(circuits) == 1 else ""),
        }
        if settings["seed"] is not None:
            body["seed"] = int(settings["seed"])
        if booking_id is not None:
            body["booking"] = booking_id
        version = int(settings["qasm_version"])
        if version not in (2, 3):
            raise ValueError(f"qasm_version must be 2 or 3, got {version!r}")
        sources = [qasm3.dumps(circuit) if version == 3 else qasm2.dumps(circuit) for circuit in prepared]
        if len(sources) == 1:
            body["qasm"] = sources[0]
        else:
            body["circuits"] = [
                {"qasm": source, "name": circuit.name} for source, circuit in zip(sources, circuits, strict=True)
            ]
        return body

    # ---- conveniences for scripts ---------------------------------------------------------------------------

    def retrieve_job(self, job_id: int | str) -> QFRJob:
        """A job of this backend by id (its result names circuits as the site recorded them)."""
        return QFRJob(self, job_id, record=self.provider.job(job_id))

    def jobs(self, **filters: Any) -> list[QFRJob]:
        """This backend's jobs of the user's projects, newest first (filters: project, booking, status)."""
        return [
            QFRJob(self, record["id"], record=record)
            for record in self.provider.jobs(backend=self.backend_id, **filters)
        ]

    def find_free_slot(self, *, minutes: int = 15, after: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
        """The earliest free `[start, end)` of `minutes` on this backend's slot grid."""
        slot: tuple[dt.datetime, dt.datetime] = self.provider.find_free_slot(
            self.backend_id, minutes=minutes, after=after
        )
        return slot

    def book(self, start: dt.datetime | str, end: dt.datetime | str, **kwargs: Any) -> dict[str, Any]:
        """Book `[start, end)` on this backend (`project=`, `purpose=` as in QFRProvider.book)."""
        booking: dict[str, Any] = self.provider.book(self.backend_id, start, end, **kwargs)
        return booking


def _duration_ns(circuit: QuantumCircuit, timing: dict[str, Any]) -> float:
    """The critical path of a native circuit (final measurements excluded: metering adds the readout once)."""
    durations = {"r": float(timing.get("prx_ns", 120)), "cz": float(timing.get("cz_ns", 120))}
    readout = float(timing.get("readout_ns", 1500))
    clock = [0.0] * circuit.num_qubits
    used_later: set[int] = set()
    final: set[int] = set()
    for position in range(len(circuit.data) - 1, -1, -1):
        instruction = circuit.data[position]
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if instruction.operation.name == "measure" and qubits[0] not in used_later:
            final.add(position)
        if instruction.operation.name != "barrier":
            used_later.update(qubits)
    for position, instruction in enumerate(circuit.data):
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        name = instruction.operation.name
        if name == "barrier" or position in final:
            duration = 0.0
        else:
            duration = readout if name == "measure" else durations.get(name, 0.0)
        end = max((clock[q] for q in qubits), default=0.0) + duration
        for qubit in qubits:
            clock[qubit] = end
    return max(clock, default=0.0)
