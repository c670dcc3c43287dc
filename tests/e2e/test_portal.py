"""The researcher's day in a real browser: log in, book, hit a conflict, run a Bell circuit, switch to Korean,
cancel. Screenshots of the main pages at desktop and phone width go to tests/e2e/screenshots/."""

import datetime
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from scheduling.choices import BookingStatus, JobStatus, MembershipRole
from scheduling.models import Booking, Job
from tests.e2e.browser import expect, portal_log_in
from tests.factories import (
    AllocationFactory,
    BookingFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_backend,
)
from tests.support import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def world():
    """A backend, a researcher (Asia/Seoul) with a project and allocation, and another project's booking."""
    backend = make_backend()
    user = UserFactory(username="mina", full_name="Mina Kim", time_zone="Asia/Seoul")
    project = ProjectFactory(code="CBQRC-2026-01", title="Error mitigation on 5 qubits", pi=user)
    MembershipFactory(project=project, user=user, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    rival = UserFactory(username="otto")
    other = ProjectFactory(code="OTHER-2026-09", pi=rival)
    MembershipFactory(project=other, user=rival, role=MembershipRole.PI)
    AllocationFactory(project=other, backend=backend)
    day_after = timezone.localdate(timezone.now(), SEOUL) + datetime.timedelta(days=2)
    taken = datetime.datetime.combine(day_after, datetime.time(10, 0), tzinfo=SEOUL)
    BookingFactory(charged=True, backend=backend, project=other, user=rival, starts_at=taken, purpose="secret purpose")
    return {"backend": backend, "user": user, "project": project, "taken": taken, "day_after": day_after}


def wait_clear_of_slot_boundary():
    """Booking the current slot fails if a 15-minute boundary passes mid-test; start well clear of one."""
    seconds = timezone.now().timestamp() % 900
    if seconds > 900 - 20:
        time.sleep(900 - seconds + 1)


def book(page, *, start: datetime.datetime, minutes: int = 60):
    page.goto("/portal/bookings/new/")
    page.get_by_label("Start").fill(start.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Length").select_option(str(minutes))
    page.get_by_role("button", name="Check availability and cost").click()


def test_researcher_books_runs_a_bell_circuit_and_cancels(new_page, shoot, world):
    wait_clear_of_slot_boundary()
    page = new_page()
    portal_log_in(page)
    shoot(page, "desktop-dashboard")

    # The calendar: the other project's booking shows only as "Booked", never its project or purpose.
    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week calendar")
    body = page.content()
    assert "OTHER-2026-09" not in body
    assert "secret purpose" not in body
    shoot(page, "desktop-calendar")

    # Book the slot under way, from the first free hour of the calendar: preview first, then confirm.
    page.locator(".week a.block--free").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book time")
    page.get_by_role("button", name="Check availability and cost").click()
    preview = page.locator(".preview")
    expect(preview).to_contain_text("Free cancellation until")
    expect(preview).to_contain_text("1.00 hours")
    shoot(page, "desktop-booking-preview")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.locator(".messages")).to_contain_text("Booked.")
    now_booking = Booking.objects.get(project=world["project"])
    assert now_booking.status == BookingStatus.CONFIRMED
    assert now_booking.starts_at <= timezone.now() < now_booking.ends_at

    # The taken slot: the conflict is shown next to the start field, announced, and nothing is booked.
    book(page, start=world["taken"])
    error = page.locator("#id_start_error")
    expect(error).to_contain_text("already booked")
    expect(error).to_have_attribute("role", "alert")
    expect(page.get_by_label("Start")).to_have_attribute("aria-invalid", "true")
    shoot(page, "desktop-booking-conflict")
    assert Booking.objects.filter(project=world["project"]).count() == 1

    # A Bell circuit in the booking under way: the job runs on submit and its page shows the histogram.
    page.get_by_role("link", name="Submit", exact=True).click()
    expect(page.get_by_label("OpenQASM circuit")).to_contain_text("cx q[0], q[1];")
    shoot(page, "desktop-job-form")
    page.get_by_role("button", name="Submit job").click()
    expect(page.locator("#job-status")).to_have_text("Completed")
    chart = page.get_by_role("img", name=re.compile("Histogram of the measured counts"))
    expect(chart).to_be_visible()
    expect(page.locator("table.data")).to_contain_text("00")
    job = Job.objects.get()
    assert job.status == JobStatus.COMPLETED
    assert sum(job.counts.values()) == 1000
    expect(page.locator(".facts")).to_contain_text("Metered QPU time")
    shoot(page, "desktop-job")

    # A future booking, then cancelled before the free-cancellation cutoff: the refund is shown first.
    later = datetime.datetime.combine(
        world["day_after"] + datetime.timedelta(days=1), datetime.time(14, 0), tzinfo=SEOUL
    )
    book(page, start=later, minutes=120)
    page.get_by_role("button", name="Confirm booking").click()
    page.get_by_role("link", name=re.compile("Cancel…")).last.click()
    expect(page.locator("#consequence")).to_contain_text("2.00 hours go back to the project's allocation")
    shoot(page, "desktop-booking-cancel")
    page.get_by_role("button", name="Cancel this booking").click()
    expect(page.locator(".messages")).to_contain_text("Booking cancelled")
    cancelled = Booking.objects.get(project=world["project"], starts_at=later)
    assert cancelled.status == BookingStatus.CANCELLED
    assert not cancelled.late_cancellation
    page.goto("/portal/bookings/")
    shoot(page, "desktop-bookings")
    page.goto("/portal/jobs/")
    shoot(page, "desktop-jobs")
    page.goto("/portal/usage/")
    shoot(page, "desktop-usage")

    # Korean: the switch translates the page and sticks across pages.
    page.goto("/portal/")
    page.get_by_label("Language").select_option("ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("link", name="대시보드")).to_be_visible()
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
    shoot(page, "desktop-dashboard-ko")
    page.goto("/portal/calendar/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_contain_text("주간 달력")
    shoot(page, "desktop-calendar-ko")


def test_pages_at_phone_width(new_page, shoot, world):
    booking = BookingFactory(
        charged=True,
        backend=world["backend"],
        project=world["project"],
        user=world["user"],
        starts_at=world["taken"] + datetime.timedelta(hours=3),
    )
    from tests.factories import JobFactory

    job = JobFactory(with_result=True, booking=booking, counts={"00": 470, "11": 492, "01": 20, "10": 18})
    page = new_page(PHONE)
    portal_log_in(page)
    shoot(page, "phone-dashboard")
    for path, name in [
        ("/portal/calendar/", "phone-calendar"),
        ("/portal/bookings/new/", "phone-booking-form"),
        ("/portal/bookings/", "phone-bookings"),
        ("/portal/jobs/new/", "phone-job-form"),
        ("/portal/jobs/", "phone-jobs"),
        (f"/portal/jobs/{job.pk}/", "phone-job"),
        ("/portal/usage/", "phone-usage"),
    ]:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        # Nothing is wider than the phone: no sideways scrolling of the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        shoot(page, name)
    # The calendar's phone layout is the agenda list, with a Book button per free stretch.
    page.goto("/portal/calendar/")
    expect(page.locator(".agenda").get_by_role("link", name=re.compile("^Book")).first).to_be_visible()
