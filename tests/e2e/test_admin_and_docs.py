"""The admin and the API docs in a real browser under the Content-Security-Policy: the admin's scripts (the
actions bar, the date and time pickers) and Swagger UI work with nothing inline. The `new_page` fixture fails any
test whose pages report a CSP violation; the first test shows that it would see one."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from scheduling.choices import MembershipRole
from tests.e2e.browser import admin_log_in, expect
from tests.factories import (
    PASSWORD,
    AllocationFactory,
    BookingFactory,
    EquipmentFactory,
    MembershipFactory,
    ProjectFactory,
    StaffFactory,
    UserFactory,
    make_backend,
)
from tests.support import REPORT_CSP_VIOLATIONS, csp_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff():
    return StaffFactory(username="root", is_superuser=True)


def test_the_violation_watch_sees_an_inline_script(browser, live_server):
    """What `new_page` relies on: an inline script on one of our pages is blocked and reported."""
    context = browser.new_context(base_url=live_server.url)
    try:
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        page.goto("/accounts/login/")
        with page.expect_console_message(lambda message: message.text.startswith("CSP violation:")):
            page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';"
                " document.body.append(s); }"
            )
        assert page.evaluate("() => window.ran === undefined")
        assert any(m.startswith("CSP violation: script-src-elem") for m in csp_violations(messages)), messages
    finally:
        context.close()


def test_admin_changelist_actions_and_date_pickers_work(new_page, shoot, staff):
    backend = make_backend()
    pi = UserFactory(username="pi")
    project = ProjectFactory(code="CSP-2026-01", pi=pi)
    MembershipFactory(project=project, user=pi, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    for hours in (0, 2):
        BookingFactory(
            charged=True, backend=backend, project=project, user=pi, starts_at=start + datetime.timedelta(hours=hours)
        )
    equipment = EquipmentFactory(name="Dilution refrigerator")

    page = new_page()
    admin_log_in(page)

    # The bookings' changelist: the calendar above it (styled from a file) and the actions bar (actions.js).
    page.goto("/admin/scheduling/booking/")
    expect(page.locator("#booking-calendar")).to_contain_text("CSP-2026-01")
    expect(page.locator("#booking-calendar .booking").first).to_have_css("display", "inline-block")
    counter = page.locator(".action-counter")
    expect(counter).to_contain_text("0 of 2 selected")
    page.locator("#action-toggle").check()
    expect(counter).to_contain_text("2 of 2 selected")
    shoot(page, "admin-booking-changelist")

    # A change form with a date widget: the calendar shortcut opens and picks a day (calendar.js,
    # DateTimeShortcuts.js), and "Today" fills in today.
    page.goto(f"/admin/facility/equipment/{equipment.pk}/change/")
    installed_on = page.locator("#id_installed_on")
    expect(installed_on).to_have_value("2025-06-01")
    # The admin's "Today" is today where the signed-in user is (their time zone is the admin's current one).
    today = timezone.localdate(timezone=ZoneInfo(staff.time_zone))
    page.locator("#id_installed_on ~ .datetimeshortcuts a", has_text="Today").click()
    expect(installed_on).to_have_value(today.isoformat())
    page.locator("#id_installed_on ~ .datetimeshortcuts .date-icon").click()
    calendar = page.locator(".calendarbox").first
    expect(calendar).to_be_visible()
    shoot(page, "admin-equipment-date-picker")
    calendar.locator("td a", has_text="15").first.click()
    expect(installed_on).to_have_value(today.replace(day=15).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    equipment.refresh_from_db()
    assert equipment.installed_on == today.replace(day=15)


def test_api_docs_render_swagger_ui(new_page, shoot):
    page = new_page()
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Quantum Facility Records API")
    token = page.locator(".opblock-summary-path[data-path='/api/v1/auth/token/']")
    expect(token).to_be_visible()
    token.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    shoot(page, "api-docs")


def test_portal_lockout_page_in_the_browser(new_page, shoot):
    UserFactory(username="mina")
    page = new_page()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("mina")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in locked")
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-in attempts")
    shoot(page, "portal-locked-out")
    page.get_by_role("link", name="Back to sign-in").click()
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in locked")
