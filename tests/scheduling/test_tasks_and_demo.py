"""Beat schedules exist; tasks wrap the services; the demo seeds idempotently."""

import importlib

import pytest
from django.apps import apps as django_apps
from django_celery_beat.models import PeriodicTask

from scheduling import demo
from scheduling.choices import BookingStatus, WaitlistStatus
from scheduling.models import Backend, Booking, Project
from scheduling.selectors import allocation_list_with_usage, calibration_latest
from scheduling.tasks import booking_reminders_task, booking_sweep_task, waitlist_expire_task
from tests.factories import WaitlistEntryFactory
from tests.support import at, book


def test_beat_schedules_are_created_by_migration(db):
    # Transactional tests flush the tables, so run the data migration's function again (it is idempotent).
    for name in ("0003_periodic_tasks", "0004_job_sweepers", "0005_job_batches", "0006_waitlist"):
        migration = importlib.import_module(f"scheduling.migrations.{name}")
        migration.create_tasks(django_apps, None)
        migration.create_tasks(django_apps, None)
    assert PeriodicTask.objects.filter(task__startswith="scheduling.tasks.").count() == 6
    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    assert tasks["scheduling.tasks.booking_sweep_task"] is True
    assert tasks["scheduling.tasks.booking_reminders_task"] is True
    assert tasks["scheduling.tasks.job_cancel_expired_task"] is True
    assert tasks["scheduling.tasks.job_publish_stale_task"] is True
    # Stranded runs are looked for every 30 s, so that a dead worker's job is noticed within a minute.
    stranded = PeriodicTask.objects.select_related("interval").get(task="scheduling.tasks.job_recover_stranded_task")
    assert (stranded.enabled, stranded.interval.every, stranded.interval.period) == (True, 30, "seconds")
    assert tasks["scheduling.tasks.waitlist_expire_task"] is True


@pytest.mark.usefixtures("now")
def test_sweep_task_runs_the_sweeper(backend, project, researcher, facility_manager):
    booking = book(backend, project, researcher, at(-3), at(-2), created_by=facility_manager, override_policy=True)
    assert booking_sweep_task.delay().get() == {"completed": 0, "no_show": 1, "expired": 0}
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.NO_SHOW
    assert booking_reminders_task.delay().get() == 0


@pytest.mark.usefixtures("now")
def test_waitlist_expire_task_runs_the_sweep(backend, project, researcher):
    entry = WaitlistEntryFactory(backend=backend, project=project, user=researcher, starts_at=at(-1), ends_at=at(0))
    assert waitlist_expire_task.delay().get() == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED


def test_demo_seed_is_idempotent(db):
    demo.seed(lambda message: None)
    counts = (Backend.objects.count(), Project.objects.count(), Booking.objects.count())
    demo.seed(lambda message: None)
    assert (Backend.objects.count(), Project.objects.count(), Booking.objects.count()) == counts
    spark = Backend.objects.get(name="spark")
    assert calibration_latest(backend=spark) is not None
    assert counts[1] == 4
    bookings = Booking.objects.filter(backend=spark)
    assert bookings.filter(status=BookingStatus.COMPLETED).exists()
    assert bookings.filter(status=BookingStatus.NO_SHOW).exists()
    assert bookings.filter(status=BookingStatus.CONFIRMED).exists()
    for allocation in allocation_list_with_usage(backend=spark):
        assert allocation.remaining_hours > 0


def test_demo_completed_bookings_all_had_a_job_run(db):
    """As the sweeper defines it: a completed booking is one in which a job ran; a no-show had none."""
    from django.utils import timezone

    from scheduling.models import Job

    demo.seed(lambda message: None)
    past = Booking.objects.filter(ends_at__lte=timezone.now())
    completed = past.filter(status=BookingStatus.COMPLETED)
    assert completed.exists()
    assert not completed.filter(jobs__isnull=True).exists()
    assert not Job.objects.filter(booking__status=BookingStatus.NO_SHOW).exists()
    jobs_before = Job.objects.count()
    demo.seed(lambda message: None)
    assert Job.objects.count() == jobs_before
