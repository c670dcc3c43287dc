from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from scheduling.choices import JobStatus
from scheduling.models import BookingPolicy, Job
from scheduling.tasks import job_execute_task
from tests.factories import GHZ3, BookingFactory, JobCircuitFactory, JobFactory, MembershipFactory, StaffFactory, ghz

URL = "/api/v1/jobs/"
FIELDS = {
    "id",
    "backend",
    "project",
    "user",
    "booking",
    "name",
    "qasm",
    "shots",
    "seed",
    "status",
    "submitted_at",
    "started_at",
    "finished_at",
    "error",
    "error_code",
    "calibration",
    "transpiled",
    "qpu_seconds",
    "estimated_qpu_seconds",
    "circuits",
}


@pytest.fixture(autouse=True)
def published():
    with mock.patch.object(job_execute_task, "apply_async") as apply_async:
        yield apply_async


@pytest.fixture
def client(world, make_client):
    return make_client(world.member)


def body(world, **extra):
    return {"backend": world.backend.pk, "project": world.project.pk, "qasm": GHZ3, **extra}


def test_post_queues_a_job(world, client):
    response = client.post(URL, body(world, shots=300, seed=4, name="ghz"))
    assert response.status_code == 201, response.data
    assert set(response.data) >= FIELDS
    assert response.data["status"] == "queued"
    assert response.data["booking"] == world.booking.pk
    assert response.data["error_code"] is None
    transpiled = response.data["transpiled"]
    assert transpiled["depth"] > 0
    assert transpiled["cz"] >= 2
    assert response.data["circuits"] == [{"index": 0, "name": "", "transpiled": transpiled}]
    assert response.data["estimated_qpu_seconds"] == pytest.approx(2 + 300 * 201.5e-6, abs=0.01)
    assert Job.objects.get().shots == 300


def test_post_defaults_to_1000_shots(world, client):
    response = client.post(URL, body(world))
    assert response.status_code == 201
    assert response.data["shots"] == 1000


def test_post_invalid_circuit_answers_400_with_positions(world, client):
    response = client.post(URL, body(world, qasm="OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n"))
    assert response.status_code == 400
    assert response.data["code"] == "invalid_circuit"
    assert {"circuit", "line", "column", "message"} == set(response.data["errors"][0])
    assert response.data["errors"][0]["circuit"] == 0
    assert not Job.objects.exists()


@pytest.mark.parametrize("shots", [0, 100_001, "many"])
def test_post_shots_out_of_range_answers_400(world, client, shots):
    response = client.post(URL, body(world, shots=shots))
    assert response.status_code == 400
    assert "shots" in response.data
    assert not Job.objects.exists()


def test_post_by_a_non_member_answers_403(world, outsider, make_client):
    response = make_client(outsider).post(URL, body(world))
    assert response.status_code == 403
    assert response.data["code"] == "not_member"
    assert not Job.objects.exists()


def test_post_without_a_booking_answers_409(world, client):
    world.booking.delete()
    response = client.post(URL, body(world))
    assert response.status_code == 409
    assert response.data["code"] == "no_active_booking"


def test_post_with_a_booking_of_another_project_answers_400(world, client):
    other = BookingFactory(backend=world.backend, starts_at=timezone.now() + timedelta(hours=2))
    response = client.post(URL, body(world, booking=other.pk))
    assert response.status_code == 400
    assert "booking" in response.data
    assert not Job.objects.exists()


def test_anonymous_answers_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_list_shows_own_projects_only_and_staff_see_all(world, client, make_client, facility_manager):
    mine = JobFactory(queued=True, booking=world.booking)
    theirs = JobFactory(queued=True)
    assert [row["id"] for row in client.get(URL).data["results"]] == [mine.pk]
    assert {row["id"] for row in make_client(facility_manager).get(URL).data["results"]} == {mine.pk, theirs.pk}
    # Staff without the job permission see only their own projects, like researchers.
    assert make_client(StaffFactory()).get(URL).data["count"] == 0


def test_list_filters(world, client):
    done = JobFactory(queued=True, booking=world.booking, status=JobStatus.COMPLETED)
    queued = JobFactory(queued=True, booking=world.booking)
    other_booking = BookingFactory(
        backend=world.backend, project=world.project, starts_at=timezone.now() + timedelta(hours=2)
    )
    elsewhere = JobFactory(queued=True, booking=other_booking)
    ids = lambda query: {row["id"] for row in client.get(URL, query).data["results"]}  # noqa: E731
    assert ids({"status": "completed"}) == {done.pk}
    assert ids({"booking": other_booking.pk}) == {elsewhere.pk}
    assert ids({"backend": world.backend.pk, "project": world.project.pk}) == {done.pk, queued.pk, elsewhere.pk}
    assert ids({"backend": 10**9}) == set()
    assert client.get(URL, {"status": "bogus"}).status_code == 400


def test_list_query_count_stays_constant(world, client, django_assert_num_queries):
    JobFactory(queued=True, booking=world.booking)
    with django_assert_num_queries(3) as first:  # token with its user, count, page (with the circuits)
        client.get(URL)
    for i in range(5):
        JobFactory(queued=True, booking=world.booking)
        later = timezone.now() + timedelta(hours=2 + 2 * i)  # bookings on one backend never overlap
        JobFactory(queued=True, booking=BookingFactory(backend=world.backend, project=world.project, starts_at=later))
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(URL).data["count"] == 11


def test_others_jobs_answer_404(world, client):
    theirs = JobFactory(queued=True, status=JobStatus.COMPLETED, counts={"0": 1})
    for suffix in ("", "result/"):
        assert client.get(f"{URL}{theirs.pk}/{suffix}").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == JobStatus.COMPLETED


def test_detail_and_result_of_a_completed_job(world, client):
    job = JobFactory(
        queued=True,
        booking=world.booking,
        status=JobStatus.COMPLETED,
        counts={"000": 60, "111": 40},
        seed=9,
        qpu_seconds=2.5,
        depth=7,
        prx_count=6,
        cz_count=2,
    )
    detail = client.get(f"{URL}{job.pk}/")
    assert detail.status_code == 200
    assert detail.data["transpiled"] == {"depth": 7, "prx": 6, "cz": 2}
    result = client.get(f"{URL}{job.pk}/result/")
    assert result.status_code == 200
    assert result.data["counts"] == {"000": 60, "111": 40}
    assert (result.data["shots"], result.data["seed"], result.data["qpu_seconds"]) == (100, 9, 2.5)
    assert "calibration" in result.data


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED])
def test_result_before_completion_answers_409(world, client, status):
    job = JobFactory(queued=True, booking=world.booking, status=status)
    response = client.get(f"{URL}{job.pk}/result/")
    assert response.status_code == 409
    assert (response.data["code"], response.data["status"]) == ("job_not_finished", status)


def test_cancel_a_queued_job_then_again(world, client):
    job = JobFactory(queued=True, booking=world.booking)
    response = client.post(f"{URL}{job.pk}/cancel/")
    assert response.status_code == 200
    assert response.data["status"] == "cancelled"
    again = client.post(f"{URL}{job.pk}/cancel/")
    assert again.status_code == 409
    assert again.data["code"] == "not_cancellable"


def test_cancel_a_running_job_answers_200_and_it_keeps_no_counts(world, client):
    now = timezone.now()
    job = JobFactory(queued=True, booking=world.booking, status=JobStatus.RUNNING, submitted_at=now, started_at=now)
    response = client.post(f"{URL}{job.pk}/cancel/")
    assert response.status_code == 200
    assert (response.data["status"], response.data["error_code"]) == ("cancelled", "cancelled_by_user")
    job.refresh_from_db()
    assert (job.status, job.counts, job.cancel_reason) == (JobStatus.CANCELLED, None, "user")


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_cancel_a_finished_job_answers_409_and_changes_nothing(world, client, status):
    job = JobFactory(queued=True, booking=world.booking, status=status)
    response = client.post(f"{URL}{job.pk}/cancel/")
    assert response.status_code == 409
    assert (response.data["code"], response.data["status"]) == ("not_cancellable", status)
    job.refresh_from_db()
    assert job.status == status


def test_other_members_of_the_project_see_the_job(world, make_client):
    colleague = MembershipFactory(project=world.project).user
    job = JobFactory(queued=True, booking=world.booking)
    assert make_client(colleague).get(f"{URL}{job.pk}/").status_code == 200


def test_schema_builds(client):
    assert client.get("/api/schema/").status_code == 200


# --- batches ---


def batch(n, **extra):
    return [{"qasm": ghz(2 + i % 4), "name": f"ghz-{i}", **extra} for i in range(n)]


def test_post_a_batch_queues_one_job_with_its_circuits_in_order(
    world, client, published, django_capture_on_commit_callbacks
):
    response = client.post(URL, body(world, qasm=None, circuits=batch(3), shots=200) | {"qasm": None})
    assert response.status_code == 400  # qasm given as null: give one of the two
    data = {"backend": world.backend.pk, "project": world.project.pk, "circuits": batch(3), "shots": 200}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, data)
    assert response.status_code == 201, response.data
    circuits = response.data["circuits"]
    assert [(c["index"], c["name"]) for c in circuits] == [(0, "ghz-0"), (1, "ghz-1"), (2, "ghz-2")]
    assert response.data["transpiled"]["cz"] == sum(c["transpiled"]["cz"] for c in circuits) >= 1 + 2 + 3
    assert response.data["qasm"] == ghz(2)
    # One overhead for the whole batch: 2 s plus every circuit's shots.
    assert 2 + 3 * 200 * 201.5e-6 < response.data["estimated_qpu_seconds"] < 2.2
    assert published.call_count == 1
    assert Job.objects.count() == 1


def test_post_a_batch_with_bad_circuits_names_each_index_and_saves_nothing(world, client):
    circuits = batch(4)
    circuits[1]["qasm"] = "OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n"
    circuits[3]["qasm"] = ghz(6)
    response = client.post(URL, {"backend": world.backend.pk, "project": world.project.pk, "circuits": circuits})
    assert response.status_code == 400
    assert response.data["code"] == "invalid_circuit"
    assert {error["circuit"] for error in response.data["errors"]} == {1, 3}
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("circuits", "shots", "field"),
    [
        ([], 10, "circuits"),
        (501, 1, "circuits"),
        (11, 100_000, "shots"),  # 1 100 000 shots in all
        ([{"name": "no source"}], 10, "circuits"),
    ],
)
def test_post_a_batch_out_of_bounds_answers_400(world, client, circuits, shots, field):
    circuits = batch(circuits) if isinstance(circuits, int) else circuits
    data = {"backend": world.backend.pk, "project": world.project.pk, "circuits": circuits, "shots": shots}
    response = client.post(URL, data)
    assert response.status_code == 400, response.data
    assert field in response.data
    assert not Job.objects.exists()


def test_post_both_qasm_and_circuits_answers_400(world, client):
    response = client.post(URL, body(world, circuits=batch(1)))
    assert response.status_code == 400
    assert "qasm" in response.data


def test_result_of_a_batch_has_the_counts_of_each_circuit(world, client):
    job = JobFactory(queued=True, booking=world.booking, status=JobStatus.COMPLETED, counts={"00": 7}, seed=4)
    JobCircuitFactory(job=job, index=1, name="second", counts={"11": 7}, seed=5)
    result = client.get(f"{URL}{job.pk}/result/")
    assert result.status_code == 200
    assert result.data["counts"] == {"00": 7}
    assert [(r["index"], r["name"], r["counts"]) for r in result.data["results"]] == [
        (0, "", {"00": 7}),
        (1, "second", {"11": 7}),
    ]


# --- bounded and fair ---


def test_post_over_the_queue_limit_answers_409_queue_full(world, client):
    BookingPolicy.objects.create(backend=world.backend, max_queued_jobs=2)
    JobFactory(queued=True, booking=world.booking)
    JobFactory(queued=True, booking=world.booking, status=JobStatus.RUNNING)
    JobFactory(queued=True, booking=world.booking, status=JobStatus.COMPLETED)  # finished jobs do not count
    response = client.post(URL, body(world))
    assert response.status_code == 409
    assert (response.data["code"], response.data["limit"]) == ("queue_full", 2)
    assert Job.objects.count() == 3


def test_post_longer_than_what_remains_of_the_booking_answers_409_exceeds_booking(world, client):
    world.booking.ends_at = timezone.now() + timedelta(seconds=30)
    world.booking.save()
    response = client.post(URL, body(world, shots=100_000))  # about 22 s
    assert response.status_code == 201
    response = client.post(URL, body(world, shots=100_000))  # 22 s more do not fit in what is left
    assert response.status_code == 409
    assert response.data["code"] == "exceeds_booking"
    assert response.data["estimated_seconds"] == pytest.approx(2 + 100_000 * 201.5e-6, abs=0.1)
    assert 0 <= response.data["remaining_seconds"] < 30 - 20
    assert Job.objects.count() == 1


def test_policy_shows_max_queued_jobs(world, client):
    BookingPolicy.objects.create(backend=world.backend)
    assert client.get(f"/api/v1/backends/{world.backend.pk}/").data["policy"]["max_queued_jobs"] == 20


# token with its user, backend, project, membership; under a savepoint: the booking locked with its policy, the
# project's queue, the job, its circuits; the job read back for the answer.
SUBMIT_QUERIES = 11


def test_submission_query_count_is_pinned(world, client, django_assert_num_queries):
    with django_assert_num_queries(SUBMIT_QUERIES):
        assert (
            client.post(
                URL, {"backend": world.backend.pk, "project": world.project.pk, "circuits": batch(20)}
            ).status_code
            == 201
        )


def test_post_a_batch_whose_seed_leaves_no_room_for_its_circuits_seeds_answers_400(world, client):
    from scheduling.simulator import MAX_SEED

    data = {"backend": world.backend.pk, "project": world.project.pk, "circuits": batch(3), "seed": MAX_SEED}
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "seed" in response.data
    assert client.post(URL, {**data, "circuits": batch(1)}).status_code == 201
