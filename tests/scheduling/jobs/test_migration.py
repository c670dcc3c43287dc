"""The data step of migration 0005: every job that existed gets its one circuit, and an error code if it failed or
was cancelled."""

import importlib

from django.apps import apps as django_apps

from scheduling.choices import JobStatus
from scheduling.models import Job, JobCircuit
from tests.factories import JobFactory

migration = importlib.import_module("scheduling.migrations.0005_job_batches")


def test_existing_jobs_get_one_circuit_each_and_their_error_codes(world):
    completed = JobFactory(booking=world.booking, counts={"00": 3}, seed=8, depth=4, prx_count=5, cz_count=1)
    failed = JobFactory(booking=world.booking, status=JobStatus.FAILED, error_code="")
    by_user = JobFactory(queued=True, booking=world.booking, status=JobStatus.CANCELLED, cancel_reason="user")
    ended = JobFactory(queued=True, booking=world.booking, status=JobStatus.CANCELLED, cancel_reason="booking_ended")
    JobCircuit.objects.all().delete()  # as before the migration
    Job.objects.update(error_code="")

    migration.one_circuit_per_job(django_apps, None)

    circuit = JobCircuit.objects.get(job=completed)
    assert (circuit.index, circuit.qasm, circuit.counts, circuit.seed) == (0, completed.qasm, {"00": 3}, 8)
    assert (circuit.depth, circuit.prx_count, circuit.cz_count) == (4, 5, 1)
    assert JobCircuit.objects.count() == 4
    assert JobCircuit.objects.get(job=failed).counts is None
    codes = dict(Job.objects.values_list("pk", "error_code"))
    assert codes == {
        completed.pk: "",
        failed.pk: "simulation_error",
        by_user.pk: "cancelled_by_user",
        ended.pk: "booking_ended",
    }
