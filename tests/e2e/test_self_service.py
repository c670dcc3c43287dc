"""Self-service in a real browser (issue 18): the profile (time zone from the searchable list, language, the
calendar link's copy button and rotation, password change and reset by e-mail), project members (add by e-mail,
hand over the PI role), and exports (jobs CSV, counts, a usage report's PDF). Screenshots at phone and desktop width
go to tests/e2e/screenshots/; every page is checked for Content-Security-Policy violations and for horizontal
overflow at 390 px."""

import re
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import User
from scheduling.choices import MembershipRole
from scheduling.models import Membership
from tests.e2e.browser import expect, portal_log_in
from tests.factories import (
    PASSWORD,
    AllocationFactory,
    BookingFactory,
    JobFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_backend,
)
from tests.support import DESKTOP, PHONE, next_slot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    backend = make_backend()
    pi = UserFactory(username="mina", email="mina@example.org", full_name="Mina Kim", time_zone="Asia/Seoul")
    student = UserFactory(username="jun", email="jun@example.org", full_name="Jun Park", time_zone="Asia/Seoul")
    project = ProjectFactory(code="CBQRC-2026-01", title="Error mitigation on 5 qubits", pi=pi)
    MembershipFactory(project=project, user=pi, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    booking = BookingFactory(charged=True, backend=backend, project=project, user=pi, starts_at=next_slot(30))
    done = JobFactory(with_result=True, booking=booking, name="bell")
    JobFactory(queued=True, booking=booking, name="ghz")
    BookingFactory(backend=backend, project=project, user=pi, starts_at=next_slot(60), status="cancelled")
    return {"pi": pi, "student": student, "project": project, "job": done}


def fits_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_profile_time_zone_language_calendar_link_and_password(new_page, shoot, live_server, world):
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    portal_log_in(page)
    page.get_by_role("link", name="Profile").click()
    shoot(page, "desktop-profile")
    # The time zone: typed, with the IANA names offered by the datalist (no script involved).
    assert page.locator("datalist#time-zones option[value='Europe/Helsinki']").count() == 1
    page.get_by_label("Time zone").fill("Europe/Helsinki")
    page.get_by_label("Full name").fill("Mina Kim-Lee")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert page.locator(".whoami").inner_text().endswith("Europe/Helsinki")
    # A bad zone is refused next to the field.
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("IANA")
    assert User.objects.get(username="mina").time_zone == "Europe/Helsinki"
    # The calendar link: copied by the button (an external script), then replaced; the old link dies.
    page.goto("/accounts/profile/")
    old_url = page.locator("#calendar-url").input_value()
    assert page.request.get(old_url).status == 200
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copyfield [role=status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == old_url
    page.get_by_role("button", name="Make a new link").click()
    new_url = page.locator("#calendar-url").input_value()
    assert new_url != old_url
    assert page.request.get(old_url).status == 404
    assert page.request.get(new_url).status == 200
    # Password change.
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a brand new Passphrase 9")
    page.get_by_label("New password confirmation").fill("a brand new Passphrase 9")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".message--success")).to_be_visible()
    # Language: Korean from now on.
    page.locator("#id_language").select_option("ko")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("프로필")
    shoot(page, "desktop-profile-ko")
    phone = new_page(PHONE)
    portal_log_in(phone, password="a brand new Passphrase 9")
    phone.goto("/accounts/profile/")
    fits_phone(phone)
    shoot(phone, "phone-profile")
    phone.locator(".howto summary").click()  # the user now reads Korean
    shoot(phone, "phone-profile-howto")


def test_password_reset_by_email(new_page, shoot, world):
    page = new_page(PHONE)
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    fits_phone(page)
    shoot(page, "phone-password-reset")
    page.get_by_label("Email").fill("jun@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    fits_phone(page)
    shoot(page, "phone-password-reset-done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body)
    assert link is not None
    page.goto(link.group(0))
    page.get_by_label("New password", exact=True).fill("reset Passphrase 77")
    page.get_by_label("New password confirmation").fill("reset Passphrase 77")
    fits_phone(page)
    shoot(page, "phone-password-reset-confirm")
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("h1")).to_have_text("Password set")
    fits_phone(page)
    shoot(page, "phone-password-reset-complete")
    portal_log_in(page, "jun", "reset Passphrase 77")
    expect(page.locator("h1")).to_contain_text("Welcome")


def test_pi_adds_a_member_and_hands_over_the_role(new_page, shoot, world):
    page = new_page()
    portal_log_in(page)
    page.get_by_role("link", name="Projects").click()
    page.get_by_label("Add a member by e-mail").fill("nobody@example.org")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".form-errors")).to_contain_text("No account has this e-mail address")
    page.get_by_label("Add a member by e-mail").fill("JUN@example.org")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".message--success")).to_contain_text("Jun Park")
    expect(page.locator("table.data")).to_contain_text("jun@example.org")
    shoot(page, "desktop-projects")
    # The student sees the list, without the PI's forms.
    student = new_page(PHONE)
    portal_log_in(student, "jun")
    student.goto("/portal/projects/")
    expect(student.locator("table.data")).to_contain_text("Mina Kim")
    assert student.get_by_label("Add a member by e-mail").count() == 0
    fits_phone(student)
    shoot(student, "phone-projects-member")
    # Hand over: needs the tick.
    page.get_by_text("Make PI").click()
    page.get_by_label("Hand the PI role over to Jun Park").check()
    shoot(page, "desktop-projects-handover")
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator(".message--success")).to_contain_text("principal investigator")
    roles = dict(Membership.objects.filter(project=world["project"]).values_list("user__username", "role"))
    assert roles == {"mina": "member", "jun": "pi"}
    assert page.get_by_label("Add a member by e-mail").count() == 0
    student.reload()
    student.get_by_label("Add a member by e-mail").fill("mina@example.org")
    fits_phone(student)
    shoot(student, "phone-projects-pi")


def test_exports_and_a_usage_report(new_page, shoot, world):
    page = new_page()
    portal_log_in(page)
    page.goto("/portal/jobs/")
    expect(page.locator("[data-autorefresh]")).to_have_count(1)  # a queued job: the list reloads itself
    shoot(page, "desktop-jobs-live")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("id,name,project")
    assert "bell" in text
    page.goto(f"/portal/jobs/{world['job'].pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == f"job-{world['job'].pk}-results.csv"
    page.goto("/portal/usage/")
    shoot(page, "desktop-usage-report-form")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-01-31")
    page.get_by_role("button", name="Request report").click()
    expect(page.locator("h1")).to_have_text("Usage reports")
    expect(page.locator("tbody tr").first).to_contain_text("CBQRC-2026-01")
    page.reload()
    expect(page.locator(".badge--report-succeeded")).to_have_count(1)
    shoot(page, "desktop-reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_changed_pages_at_phone_and_desktop_width(new_page, shoot, world, language):
    for viewport, prefix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(viewport)
        portal_log_in(page)
        if language == "ko":
            with page.expect_navigation():  # the language form submits itself; wait for its page, not before it
                page.locator("#language-select").select_option("ko")
        for path, name in (
            ("/portal/", "dashboard"),
            ("/portal/jobs/", "jobs"),
            ("/portal/bookings/", "bookings"),
            ("/portal/usage/", "usage"),
            ("/portal/projects/", "projects"),
            ("/portal/reports/", "reports"),
            ("/accounts/profile/", "profile"),
            ("/accounts/password/", "password-change"),
            ("/portal/waitlist/", "waitlist"),
            ("/portal/bookings/new/", "booking-form"),
            (f"/portal/jobs/{world['job'].pk}/", "job"),
        ):
            page.goto(path)
            if viewport is PHONE:
                fits_phone(page)
            # A status badge is one line high, whatever the language.
            for badge in page.locator(".badge").all():
                box = badge.bounding_box()
                if box:
                    assert box["height"] < 30, (path, badge.inner_text())
            shoot(page, f"{prefix}-{name}-{language}")
