"""Recurring series and the waitlist in a real browser: book a weekly series whose check step shows the
occurrence that another project holds as skipped, then wait for that taken slot, see it booked for you when it
frees, and leave another entry; in Korean and at phone width. Screenshots go to tests/e2e/screenshots/."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from scheduling.choices import BookingStatus, MembershipRole, WaitlistStatus
from scheduling.models import Booking, WaitlistEntry
from scheduling.services import booking_cancel
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
    """A researcher (Asia/Seoul) with a project and allocation; another project holds 10:00 a week after next."""
    backend = make_backend()
    user = UserFactory(username="mina", full_name="Mina Kim", time_zone="Asia/Seoul")
    project = ProjectFactory(code="CBQRC-2026-01", title="Error mitigation on 5 qubits", pi=user)
    MembershipFactory(project=project, user=user, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    rival = UserFactory(username="otto")
    other = ProjectFactory(code="OTHER-2026-09", pi=rival)
    MembershipFactory(project=other, user=rival, role=MembershipRole.PI)
    AllocationFactory(project=other, backend=backend)
    first_day = timezone.localdate(timezone.now(), SEOUL) + datetime.timedelta(days=2)
    first = datetime.datetime.combine(first_day, datetime.time(10, 0), tzinfo=SEOUL)
    taken = BookingFactory(
        charged=True, backend=backend, project=other, user=rival, starts_at=first + datetime.timedelta(days=7)
    )
    return {"backend": backend, "user": user, "project": project, "rival": rival, "first": first, "taken": taken}


def fill_booking(page, start, minutes=60):
    """The booking form with a start and length (by id: the labels change with the language)."""
    page.goto("/portal/bookings/new/")
    page.locator("#id_start").fill(start.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_duration").select_option(str(minutes))


def test_weekly_series_then_waiting_for_the_skipped_slot(new_page, shoot, world):
    page = new_page()
    portal_log_in(page)

    # A weekly series of three: the check step lists each occurrence; the taken week is skipped, with why.
    fill_booking(page, world["first"])
    page.get_by_role("combobox", name=re.compile("^Repeat")).select_option("weekly")
    page.get_by_label("Number of bookings").fill("3")
    shoot(page, "desktop-series-form")
    page.get_by_role("button", name="Check availability and cost").click()
    preview = page.locator(".preview")
    expect(preview).to_contain_text("2 of 3 occurrences will be booked")
    expect(preview.locator("tr.occurrence--skipped")).to_have_count(1)
    expect(preview.locator("tr.occurrence--skipped")).to_contain_text("The time overlaps another booking.")
    expect(preview.locator("tr.occurrence--booked")).to_have_count(2)
    assert "OTHER-2026-09" not in page.content()
    assert not Booking.objects.filter(project=world["project"]).exists()
    shoot(page, "desktop-series-check")
    page.get_by_role("button", name="Book 2 occurrences").click()
    expect(page.locator(".messages")).to_contain_text("2 bookings of the series made. 1 occurrence skipped.")
    made = Booking.objects.filter(project=world["project"]).order_by("starts_at")
    assert [b.starts_at for b in made] == [world["first"], world["first"] + datetime.timedelta(days=14)]

    # The skipped week: booking it alone is refused as taken, and the page offers the waitlist.
    fill_booking(page, world["taken"].starts_at)
    page.get_by_role("button", name="Check availability and cost").click()
    expect(page.locator("#id_start_error")).to_contain_text("already booked")
    offer = page.locator(".waitlist-offer")
    expect(offer).to_be_visible()
    shoot(page, "desktop-waitlist-offer")
    offer.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My waitlist")
    expect(page.locator(".messages")).to_contain_text("You are on the waitlist")
    expect(page.locator("table.data")).to_contain_text("Waiting")
    entry = WaitlistEntry.objects.get()
    assert (entry.user, entry.starts_at, entry.status) == (world["user"], world["taken"].starts_at, "waiting")

    # The other project cancels: the slot is booked for the one waiting, in the same transaction.
    booking_cancel(booking=world["taken"], by=world["rival"])
    page.reload()
    expect(page.locator("table.data")).to_contain_text("Booked")
    expect(page.locator("table.data")).to_contain_text("booking: Confirmed")
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED
    assert entry.booking.status == BookingStatus.CONFIRMED
    shoot(page, "desktop-waitlist")

    # Korean: the waitlist page and the series step in the other language.
    page.get_by_label("Language").select_option("ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대기 목록")
    expect(page.locator("table.data")).to_contain_text("예약됨")
    shoot(page, "desktop-waitlist-ko")
    fill_booking(page, world["first"] + datetime.timedelta(hours=3))
    page.get_by_role("combobox", name=re.compile("^반복")).select_option("daily")
    page.get_by_label("예약 횟수").fill("2")
    page.get_by_role("button", name=re.compile("확인")).first.click()
    expect(page.locator(".preview h2")).to_have_text("반복 예약 확인 및 확정")
    shoot(page, "desktop-series-check-ko")
    # The Korean check step and waitlist at phone width too (the English ones: test_leave_and_phone_width).
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-series-check-ko")
    page.goto("/portal/waitlist/")
    expect(page.locator("table.data")).to_contain_text("예약됨")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-waitlist-ko")


def test_leave_and_phone_width(new_page, shoot, world):
    WaitlistEntry.objects.create(
        backend=world["backend"],
        project=world["project"],
        user=world["user"],
        starts_at=world["taken"].starts_at,
        ends_at=world["taken"].ends_at,
    )
    page = new_page(PHONE)
    portal_log_in(page)
    page.goto("/portal/waitlist/")
    expect(page.locator("main h1")).to_have_text("My waitlist")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-waitlist")
    page.get_by_role("button", name=re.compile("^Leave")).click()
    expect(page.locator(".messages")).to_contain_text("You left the waitlist")
    expect(page.locator("table.data")).to_contain_text("Left")
    assert WaitlistEntry.objects.get().status == WaitlistStatus.LEFT

    fill_booking(page, world["first"])
    page.get_by_role("combobox", name=re.compile("^Repeat")).select_option("daily")
    page.get_by_label("Until").fill((world["first"] + datetime.timedelta(days=7)).date().isoformat())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-series-form")
    page.get_by_role("button", name="Check availability and cost").click()
    expect(page.locator(".preview")).to_contain_text("7 of 8 occurrences will be booked")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-series-check")
    fill_booking(page, world["taken"].starts_at)
    page.get_by_role("button", name="Check availability and cost").click()
    expect(page.locator(".waitlist-offer")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-waitlist-offer")
