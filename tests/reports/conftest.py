import pytest
from django.core.cache import cache

from scheduling.choices import BookingStatus, JobStatus
from tests.factories import (
    BackendFactory,
    BookingFactory,
    JobFactory,
    MaintenanceWindowFactory,
    OutageFactory,
    ProjectFactory,
)
from tests.support import seoul


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores report files in a folder of its own, and starts with an empty cache (downloads use it)."""
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def backend(db):
    return BackendFactory(name="spark", display_name="IQM Spark")


@pytest.fixture
def week(backend):
    """DESIGN.md's worked week (Mon 2026-03-02 to Mon 2026-03-09, Asia/Seoul):

    8 h maintenance (Tue 00-08), a 6 h outage (Wed 10-16) overlapping a 10 h booking (Wed 14-24) by 2 h,
    a 4 h no-show (Thu 09-13) and a 6 h completed booking (Fri 09-15) with two jobs (10:00-10:30, 11:30-12:00).
    """
    p1 = ProjectFactory(code="P-ONE")
    p2 = ProjectFactory(code="P-TWO")
    MaintenanceWindowFactory(backend=backend, starts_at=seoul(2026, 3, 3, 0), ends_at=seoul(2026, 3, 3, 8))
    OutageFactory(backend=backend, starts_at=seoul(2026, 3, 4, 10), ends_at=seoul(2026, 3, 4, 16))
    long = BookingFactory(backend=backend, project=p1, starts_at=seoul(2026, 3, 4, 14), ends_at=seoul(2026, 3, 5, 0))
    no_show = BookingFactory(
        backend=backend,
        project=p2,
        starts_at=seoul(2026, 3, 5, 9),
        ends_at=seoul(2026, 3, 5, 13),
        status=BookingStatus.NO_SHOW,
    )
    done = BookingFactory(
        backend=backend,
        project=p1,
        starts_at=seoul(2026, 3, 6, 9),
        ends_at=seoul(2026, 3, 6, 15),
        status=BookingStatus.COMPLETED,
    )
    JobFactory(
        booking=done,
        submitted_at=seoul(2026, 3, 6, 9, 50),
        started_at=seoul(2026, 3, 6, 10),
        finished_at=seoul(2026, 3, 6, 10, 30),
        qpu_seconds=100.0,
        shots=1000,
    )
    JobFactory(
        booking=done,
        submitted_at=seoul(2026, 3, 6, 11),
        started_at=seoul(2026, 3, 6, 11, 30),
        finished_at=seoul(2026, 3, 6, 12),
        qpu_seconds=200.0,
        shots=500,
        status=JobStatus.FAILED,
    )
    return {"backend": backend, "p1": p1, "p2": p2, "long": long, "no_show": no_show, "done": done}
