"""Administrators in a real browser (issue 17 points 3 and 4): a report requested with the admin's form (the fields
follow the kind, dates from the picker) and downloaded through the checked download; bookings awaiting approval
found from the index, one rejected with a reason on the intermediate page, one approved. Screenshots at desktop and
phone width go to tests/e2e/screenshots/."""

import datetime

import pytest

from reports.choices import ReportStatus
from reports.models import Report
from scheduling.choices import BookingStatus, CancelReason, MembershipRole
from scheduling.models import Booking
from scheduling.services import booking_create, booking_policy_update
from tests.e2e.browser import admin_log_in, expect
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    ProjectFactory,
    StaffFactory,
    UserFactory,
    make_backend,
)
from tests.support import DESKTOP, PHONE, next_slot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    StaffFactory(username="root", is_superuser=True, time_zone="Asia/Seoul")
    backend = make_backend()
    pi = UserFactory(username="mina", full_name="Mina Kim")
    project = ProjectFactory(code="CBQRC-2026-01", pi=pi)
    MembershipFactory(project=project, user=pi, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    return {"backend": backend, "project": project, "pi": pi}


def test_a_report_is_requested_with_real_fields_and_downloaded(new_page, shoot, world):
    page = new_page()
    admin_log_in(page)
    page.goto("/admin/reports/report/add/")
    kind = page.locator("#id_kind")
    kind.select_option("project_usage")
    expect(page.locator(".field-project")).to_be_visible()
    expect(page.locator(".field-backend")).to_be_hidden()
    kind.select_option("procurement_summary")  # no parameters at all
    expect(page.locator(".field-start")).to_be_hidden()
    kind.select_option("utilization")
    expect(page.locator(".field-backend")).to_be_visible()
    expect(page.locator(".field-project")).to_be_hidden()
    expect(page.locator("#id_time_zone")).to_have_value("Asia/Seoul")  # the site's
    page.locator("#id_backend").select_option(str(world["backend"].pk))
    # The date picker: "Today" for the start, then the end typed.
    page.locator("#id_start ~ .datetimeshortcuts a", has_text="Today").click()
    start = datetime.date.fromisoformat(page.locator("#id_start").input_value())
    page.locator("#id_end").fill((start + datetime.timedelta(days=1)).isoformat())
    shoot(page, "admin-report-form")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    report = Report.objects.get()
    assert report.params["backend"] == world["backend"].pk
    assert report.status == ReportStatus.SUCCEEDED  # computed when the request committed (eager tasks)
    page.reload()
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text(f"{start.isoformat()} \u2013")
    shoot(page, "admin-report-list")
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename.endswith(f"-{report.pk}.pdf")
    phone = new_page(PHONE)
    admin_log_in(phone)
    phone.goto("/admin/reports/report/add/")
    expect(phone.locator("#id_kind")).to_be_visible()
    shoot(phone, "admin-report-form-phone")


def test_pending_bookings_are_found_from_the_index_then_rejected_with_a_reason_and_approved(new_page, shoot, world):
    backend, project, pi = world["backend"], world["project"], world["pi"]
    booking_policy_update(backend=backend, approval_over_minutes=60)
    start = next_slot(48)
    first, second = (
        booking_create(
            backend=backend,
            project=project,
            user=pi,
            starts_at=start + datetime.timedelta(hours=h),
            ends_at=start + datetime.timedelta(hours=h + 2),
            notify=False,
        )
        for h in (0, 3)
    )
    assert first.status == second.status == BookingStatus.PENDING
    page = new_page(DESKTOP)
    admin_log_in(page)
    approvals = page.locator("#pending-approvals")
    expect(approvals).to_contain_text("2 bookings await approval")
    shoot(page, "admin-index-approvals")
    approvals.get_by_role("link").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#booking-time-zone")).to_contain_text("Asia/Seoul")
    page.locator(f"input[name='_selected_action'][value='{first.pk}']").check()
    page.locator("select[name='action']").select_option("reject_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#booking-action-rows")).to_contain_text("CBQRC-2026-01")
    page.get_by_label("Reason").fill("The cryostat warms up that week.")
    shoot(page, "admin-booking-reject")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".messagelist")).to_contain_text("Rejected 1 booking(s)")
    rejected = Booking.objects.get(pk=first.pk)
    assert (rejected.status, rejected.cancel_reason) == (BookingStatus.CANCELLED, CancelReason.REJECTED)
    assert rejected.rejection_reason == "The cryostat warms up that week."
    assert rejected.approved_at is None

    page.goto("/admin/scheduling/booking/?approval=waiting")
    page.locator(f"input[name='_selected_action'][value='{second.pk}']").check()
    page.locator("select[name='action']").select_option("approve_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved 1 booking(s)")
    approved = Booking.objects.get(pk=second.pk)
    assert approved.status == BookingStatus.CONFIRMED
    assert approved.approved_at is not None
    page.goto("/admin/")
    expect(page.locator("#pending-approvals")).to_contain_text("No booking awaits approval.")

    phone = new_page(PHONE)
    admin_log_in(phone)
    phone.goto(f"/admin/scheduling/booking/{rejected.pk}/change/")
    expect(phone.locator("#booking-time-zone")).to_contain_text("Asia/Seoul")
    shoot(phone, "admin-booking-rejected-phone")
