"""The newcomer's path (issue 17 point 7): right after the demo is loaded, every demo researcher can book."""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from procurement import demo as procurement_demo
from scheduling import demo
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus
from scheduling.models import Backend, Booking, Project
from scheduling.services import booking_create


def test_every_demo_researcher_can_book_right_after_the_demo_is_loaded(db):
    demo.seed(lambda message: None)
    spark = Backend.objects.select_related("site", "policy").get(name=demo.BACKEND_NAME)
    cap = spark.policy.max_future_bookings
    now = timezone.now()
    for project in Project.objects.all():
        held = Booking.objects.filter(
            project=project, backend=spark, status__in=ACTIVE_BOOKING_STATUSES, ends_at__gt=now
        ).count()
        assert held <= cap - demo.CAP_ROOM, project.code
    # Each researcher books 30 minutes at noon local time, two days ahead (a slot the demo leaves free).
    zone = ZoneInfo(spark.site.time_zone)
    noon = datetime.datetime.combine(
        timezone.localdate(timezone=zone) + datetime.timedelta(days=2), datetime.time(12), tzinfo=zone
    )
    researchers = User.objects.filter(memberships__project__code__in=[p[0] for p in demo.PROJECTS]).distinct()
    usernames = {name for _, _, _, pi, members in demo.PROJECTS for name in (pi, *members)}
    assert set(researchers.values_list("username", flat=True)) == usernames
    assert demo.DEMO_RESEARCHER in usernames
    for n, user in enumerate(researchers.order_by("username")):
        start = noon + datetime.timedelta(minutes=15 * n)
        theirs = Project.objects.filter(memberships__user=user).order_by("code").first()
        assert theirs is not None
        booking = booking_create(
            backend=spark, project=theirs, user=user, starts_at=start, ends_at=start + datetime.timedelta(minutes=15)
        )
        assert booking.status == BookingStatus.CONFIRMED, user.username
    assert user.check_password(demo.RESEARCHER_PASSWORD)


def test_the_readme_and_the_start_up_banner_name_a_researcher_login():
    root = Path(__file__).resolve().parents[2]
    for text in ((root / "README.md").read_text(), (root / "scripts" / "run.sh").read_text()):
        assert f"{demo.DEMO_RESEARCHER} / {demo.RESEARCHER_PASSWORD}" in text or (
            f"`{demo.DEMO_RESEARCHER}` / `{demo.RESEARCHER_PASSWORD}`" in text
        )


def test_the_readme_and_the_start_up_banner_name_the_procurement_officer_login():
    root = Path(__file__).resolve().parents[2]
    login = f"{procurement_demo.OFFICER_USERNAME} / {procurement_demo.OFFICER_PASSWORD}"
    for text in ((root / "README.md").read_text(), (root / "scripts" / "run.sh").read_text()):
        assert login in text or login.replace(" / ", "` / `") in text
