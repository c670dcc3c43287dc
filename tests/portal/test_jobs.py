"""Job pages: submit (errors next to the field), the result page with an accessible histogram, 404 for others."""

import datetime

import pytest
from django.urls import reverse

from scheduling.choices import JobStatus
from scheduling.models import Job
from scheduling.portal.forms import BELL_CIRCUIT
from scheduling.portal.svg import histogram_svg
from tests.factories import BookingFactory, JobFactory, make_batch_job
from tests.support import next_slot

pytestmark = pytest.mark.django_db

URL = "/portal/jobs/new/"


def in_progress(backend, project, user):
    start = next_slot(0)
    return BookingFactory(
        charged=True,
        backend=backend,
        project=project,
        user=user,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
    )


def job_data(backend, project, **extra):
    return {
        "backend": backend.pk,
        "project": project.pk,
        "booking": "",
        "name": "",
        "qasm": BELL_CIRCUIT,
        "shots": 200,
        "seed": 7,
        **extra,
    }


def test_submit_form_is_prefilled_with_a_bell_circuit(portal_client):
    page = portal_client.get(URL).content.decode()
    assert "cx q[0], q[1];" in page
    assert 'value="1000"' in page


def test_submit_runs_in_the_booking_under_way_and_shows_the_histogram(
    portal_client, backend, project, member, django_capture_on_commit_callbacks
):
    booking = in_progress(backend, project, member)
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_client.post(URL, job_data(backend, project, booking=booking.pk))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:job-detail", args=[job.pk])
    assert job.status == JobStatus.COMPLETED
    page = portal_client.get(response["Location"]).content.decode()
    assert 'role="img"' in page
    assert 'aria-label="Histogram of the measured counts of 200 shots"' in page
    assert "<table" in page
    assert "Metered QPU time" in page


def test_invalid_circuit_is_shown_on_the_editor_with_line_and_column(portal_client, backend, project, member):
    in_progress(backend, project, member)
    response = portal_client.post(URL, job_data(backend, project, qasm="OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_qasm_error"' in page
    assert "Line 3" in page
    assert not Job.objects.exists()


def test_no_booking_is_shown_on_the_booking_field(portal_client, backend, project):
    response = portal_client.post(URL, job_data(backend, project))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_booking_error"' in page
    assert "Book time first" in page
    assert not Job.objects.exists()


def test_too_many_shots_is_a_field_error(portal_client, backend, project):
    response = portal_client.post(URL, job_data(backend, project, shots=100_001))
    assert 'id="id_shots_error"' in response.content.decode()
    assert not Job.objects.exists()


def test_another_projects_job_is_404(portal_client, backend, other_project):
    booking = BookingFactory(
        charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=next_slot()
    )
    job = JobFactory(with_result=True, booking=booking)
    assert portal_client.get(reverse("portal:job-detail", args=[job.pk])).status_code == 404
    assert portal_client.post(reverse("portal:job-cancel", args=[job.pk])).status_code == 404
    listing = portal_client.get(reverse("portal:job-list")).content.decode()
    assert reverse("portal:job-detail", args=[job.pk]) not in listing


def test_queued_job_can_be_cancelled(portal_client, backend, project, member):
    booking = BookingFactory(charged=True, backend=backend, project=project, user=member, starts_at=next_slot())
    job = JobFactory(with_result=True, booking=booking, status=JobStatus.QUEUED, counts=None, qpu_seconds=None)
    response = portal_client.post(reverse("portal:job-cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_histogram_escapes_its_label_and_sorts_outcomes():
    svg = histogram_svg({"11": 5, "00": 7}, label='<script>"x"</script>')
    assert "<script>" not in svg
    assert svg.index(">00<") < svg.index(">11<")
    assert 'role="img"' in svg


# --- a batch ---

JOB_PAGE_QUERIES = 5  # session, user, the job with its relations, the circuits, the one shown


def test_a_batch_lists_its_circuits_and_draws_one_histogram_at_a_time(portal_client, backend, project, member):
    job = make_batch_job(in_progress(backend, project, member), circuits=4)
    url = reverse("portal:job-detail", args=[job.pk])
    page = portal_client.get(url).content.decode()
    assert page.count('role="img"') == 1  # one histogram: circuit 0's
    assert "Histogram of the measured counts of 100 shots of circuit 0" in page
    for i in range(1, 4):
        assert f'href="?circuit={i}#counts-h"' in page
    chosen = portal_client.get(url, {"circuit": 2}).content.decode()
    assert chosen.count('role="img"') == 1
    assert "of circuit 2" in chosen
    assert "ghz-4" in chosen  # its name, and its source below
    assert "qreg q[4];" in chosen
    # An index the job does not have shows the first circuit.
    assert "of circuit 0" in portal_client.get(url, {"circuit": 99}).content.decode()


def test_the_job_page_query_count_does_not_grow_with_the_batch(
    portal_client, backend, project, member, django_assert_num_queries
):
    booking = in_progress(backend, project, member)
    small, large = make_batch_job(booking, circuits=2), make_batch_job(booking, circuits=40)
    for job in (small, large):
        with django_assert_num_queries(JOB_PAGE_QUERIES):
            assert portal_client.get(reverse("portal:job-detail", args=[job.pk]), {"circuit": 1}).status_code == 200
