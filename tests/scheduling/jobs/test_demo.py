from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import demo_jobs
from scheduling.choices import BookingStatus, JobStatus
from scheduling.models import Job
from tests.factories import BookingFactory, CalibrationRecordFactory


@pytest.mark.django_db
def test_demo_jobs_fill_past_completed_bookings_once():
    start = timezone.now() - timedelta(days=2)
    bookings = [
        BookingFactory(
            starts_at=start + timedelta(hours=2 * i),
            ends_at=start + timedelta(hours=2 * i + 1),
            status=BookingStatus.COMPLETED,
        )
        for i in range(5)
    ]
    CalibrationRecordFactory(backend=bookings[0].backend, measured_at=start - timedelta(days=1))
    future = BookingFactory(starts_at=timezone.now() + timedelta(days=1))
    messages: list[str] = []
    demo_jobs.seed(messages.append)
    jobs = Job.objects.all()
    assert {job.booking_id for job in jobs} == {b.pk for b in bookings}
    assert jobs.filter(status=JobStatus.FAILED).count() == 1
    for job in jobs.filter(status=JobStatus.COMPLETED):
        assert sum(job.counts.values()) == job.shots
        assert job.started_at is not None
        assert job.finished_at is not None
        assert job.booking.starts_at <= job.started_at < job.finished_at <= job.booking.ends_at
    assert not future.jobs.exists()
    count = jobs.count()
    demo_jobs.seed(messages.append)
    assert Job.objects.count() == count
    assert len(messages) == 1
