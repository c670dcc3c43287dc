"""Calibrations in a real browser: the history page's charts and records, one record, the booking form's latest
values, and the link from a job page; at desktop and phone width (screenshots in tests/e2e/screenshots/)."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.choices import MembershipRole
from scheduling.services import calibration_create, calibration_data_default
from tests.e2e.browser import expect, portal_log_in
from tests.factories import (
    AllocationFactory,
    JobFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_backend,
)
from tests.support import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    """A researcher, and a backend calibrated every few days for a month (values drifting, QB4 worse)."""
    backend = make_backend()
    user = UserFactory(username="mina", full_name="Mina Kim", time_zone="Asia/Seoul")
    project = ProjectFactory(code="CBQRC-2026-01", pi=user)
    MembershipFactory(project=project, user=user, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    # The default calibration the backend was made with is the oldest record of the month.
    backend.calibrations.update(measured_at=timezone.now() - dt.timedelta(days=29, hours=12))
    records = []
    for step, days_ago in enumerate(range(28, -1, -4)):
        qubits, couplers = calibration_data_default(backend)
        for index, row in enumerate(qubits):
            row["t1_us"] = 30 + 2 * index + (step % 3) * 1.5
            row["t2_us"] = 15 + index + (step % 2) * 2
            row["prx_fidelity"] = round(0.9985 - 0.0004 * index - (0.002 if row["qubit"] == "QB4" else 0), 4)
            row["readout_fidelity"] = round(0.94 + 0.004 * index + 0.001 * (step % 2), 3)
        for index, row in enumerate(couplers):
            row["cz_fidelity"] = round(0.955 + 0.004 * index + 0.001 * step, 3)
        measured = timezone.now() - dt.timedelta(days=days_ago, hours=2)
        records.append(calibration_create(backend=backend, qubits=qubits, couplers=couplers, measured_at=measured))
    job = JobFactory(with_result=True, backend=backend, project=project, user=user, calibration=records[3])
    return {"backend": backend, "records": records, "job": job}


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_calibration_history_record_booking_form_and_job_link(new_page, shoot, live_server, world, viewport, size):
    page = new_page(viewport)
    portal_log_in(page)

    page.goto(f"/portal/calibrations/?backend={world['backend'].pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calibration history")
    for title in ("T1 (µs)", "T2 (µs)", "PRX fidelity (%)", "Readout fidelity (%)", "CZ fidelity (%)"):
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(page.locator("svg.linechart")).to_have_count(5)
    # Eight calibrations in the last 30 days plus the backend's default one; one dot per qubit per record on T1.
    expect(page.locator("#chart-t1 ~ figure circle")).to_have_count(9 * 5)
    expect(page.locator("section:has(#records-h) tbody tr")).to_have_count(9)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways at {viewport['width']} px ({width} px)"
    shoot(page, f"calibration-history-{size}")

    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("section:has(#records-h) tbody tr")).to_have_count(2)

    page.goto(f"/portal/jobs/{world['job'].pk}/")
    used = world["records"][3]
    page.get_by_role(
        "link", name=timezone.localtime(used.measured_at, timezone.get_fixed_timezone(540)).strftime("%Y-%m-%d %H:%M")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Calibration #{used.pk}")
    expect(page.locator("tbody tr")).to_have_count(5 + 4)
    shoot(page, f"calibration-record-{size}")

    page.goto("/portal/bookings/new/")
    latest = page.locator("section.calib")
    expect(latest.get_by_role("heading", level=2)).to_contain_text("Latest calibration of")
    expect(latest.locator("tbody tr")).to_have_count(5 + 4)
    expect(latest.locator('tr:has(th:text-is("QB4"))')).to_contain_text("99.53 %")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the booking form scrolls sideways at {viewport['width']} px ({width} px)"
    shoot(page, f"booking-form-calibration-{size}")
