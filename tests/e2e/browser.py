"""What the browser tests share: Playwright's `expect`, and signing in to the portal and to the admin."""

import re

from tests.factories import PASSWORD


def expect(locator):
    """Playwright's `expect`, imported only when a browser test runs (the suite runs without Playwright too)."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def portal_log_in(page, username="mina", password=PASSWORD):
    """Sign in on the portal's login page and wait for the page it leads to."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_be_visible()


def admin_log_in(page, username="root", password=PASSWORD):
    """Sign in to the admin (by field ids, so in any language) and wait for its header."""
    page.goto("/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("input[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/admin/login/"))
    expect(page.locator("#site-name")).to_be_visible()
