"""The simulator's fidelity, measured: randomized benchmarking (qiskit-experiments) through the Qiskit client and
the job API of a live site recovers the calibration's PRX and CZ fidelities (DESIGN.md 3.5).

StandardRB on QB1 gives the error per PRX (`EPG_r`: the error per Clifford over the PRX gates per Clifford);
InterleavedRB of the CZ on QB1-QB3 gives the CZ's error. Both are average gate infidelities, which is what the
calibration records (1 - fidelity). Two calibrations far enough apart that a noise model ignoring its calibration
fails: the default one (PRX 0.997, CZ 0.962) and a better one (PRX 0.999, CZ 0.98, with T1/T2 long enough to
allow a PRX that good: relaxation alone over 120 ns at T1 36 us, T2 19 us costs 0.0027).
"""

from __future__ import annotations

import logging

import pytest

from qfr_qiskit.benchmarking import cz_fidelity, prx_fidelity
from scheduling.models import Job
from scheduling.services import calibration_create, calibration_data_default
from tests.factories import make_backend

pytestmark = [pytest.mark.worker, pytest.mark.slow]
logger = logging.getLogger(__name__)

PRX_TOLERANCE = 0.001
CZ_TOLERANCE = 0.005
SECOND = {"t1_us": 120.0, "t2_us": 100.0, "prx_fidelity": 0.999, "readout_fidelity": 0.97, "cz_fidelity": 0.98}
# Seeded: the sequences, the site's transpiler and the simulator's shots are the same on every run.
SEED = 2026


def second_calibration(backend):
    qubits, couplers = calibration_data_default(backend)
    for row in qubits:
        row.update({key: SECOND[key] for key in ("t1_us", "t2_us", "prx_fidelity", "readout_fidelity")})
    for row in couplers:
        row["cz_fidelity"] = SECOND["cz_fidelity"]
    return calibration_create(backend=backend, qubits=qubits, couplers=couplers, notes="RB test: a better device")


@pytest.mark.parametrize("calibration", ["default", "second"])
def test_randomized_benchmarking_recovers_the_calibrated_prx_and_cz_fidelity(make_researcher, calibration):
    backend = make_backend(name="spark")
    expected = {"prx": 0.997, "cz": 0.962}
    if calibration == "second":
        second_calibration(backend)
        expected = {"prx": SECOND["prx_fidelity"], "cz": SECOND["cz_fidelity"]}
    researcher = make_researcher(backend)
    qfr = researcher.provider().get_backend("spark")
    assert qfr.target["r"][(0,)].error == pytest.approx(1 - expected["prx"])
    assert qfr.target["cz"][(0, 2)].error == pytest.approx(1 - expected["cz"])

    prx = prx_fidelity(qfr, "QB1", seed=SEED)
    logger.info("PRX %s: %.5f +- %.5f in %.0f s", calibration, prx.recovered, prx.stderr, prx.wall_seconds)
    assert prx.configured == pytest.approx(expected["prx"])
    assert abs(prx.recovered_error - (1 - expected["prx"])) <= PRX_TOLERANCE, prx

    cz = cz_fidelity(qfr, "QB1-QB3", seed=SEED)
    logger.info("CZ %s: %.4f +- %.4f in %.0f s", calibration, cz.recovered, cz.stderr, cz.wall_seconds)
    assert cz.configured == pytest.approx(expected["cz"])
    assert abs(cz.recovered_error - (1 - expected["cz"])) <= CZ_TOLERANCE, cz

    # Every circuit went through the job API as batches (at most 500 circuits a job), all run with this calibration.
    jobs = Job.objects.filter(pk__in=[*prx.jobs, *cz.jobs])
    assert jobs.count() == len(prx.jobs) + len(cz.jobs) < (prx.circuits + cz.circuits) / 10
    assert {job.calibration_id for job in jobs} == {backend.calibrations.order_by("-measured_at", "-pk")[0].pk}
