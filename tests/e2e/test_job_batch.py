"""A batch job in a real browser: the circuits of the batch in a table, one histogram at a time, at desktop and
phone width (screenshots in tests/e2e/screenshots/)."""

import datetime

import pytest
from django.utils import timezone

from scheduling.choices import MembershipRole
from tests.e2e.browser import expect, portal_log_in
from tests.factories import (
    AllocationFactory,
    BookingFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_backend,
    make_batch_job,
)
from tests.support import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def batch():
    backend = make_backend()
    user = UserFactory(username="mina", full_name="Mina Kim", time_zone="Asia/Seoul")
    project = ProjectFactory(code="CBQRC-2026-01", pi=user)
    MembershipFactory(project=project, user=user, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    start = timezone.now() - datetime.timedelta(minutes=15)
    booking = BookingFactory(backend=backend, project=project, user=user, starts_at=start)
    return make_batch_job(booking, circuits=12, shots=1000)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_batch_job_page_shows_one_circuit_at_a_time(new_page, shoot, batch, viewport):
    page = new_page(PHONE) if viewport == "phone" else new_page()
    portal_log_in(page)
    page.goto(f"/portal/jobs/{batch.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("GHZ sweep")
    expect(page.locator("#circuits-h")).to_have_text("Circuits of the batch")
    assert page.locator("svg[role=img]").count() == 1
    shoot(page, f"{viewport}-job-batch")
    page.get_by_role("link", name="Show counts of circuit 3").click()
    expect(page.locator("#counts-h")).to_contain_text("circuit 3")
    assert page.locator("svg[role=img]").count() == 1
    expect(page.locator("pre.code")).to_contain_text("qreg q[5];")
    shoot(page, f"{viewport}-job-batch-circuit-3")
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
