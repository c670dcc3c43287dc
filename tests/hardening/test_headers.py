"""Response headers (DESIGN.md section 5): a Content-Security-Policy on every HTML page that allows no inline
script or style, and `Cache-Control: private, no-store` on the API's answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.factories import PASSWORD, StaffFactory, UserFactory, make_backend

pytestmark = pytest.mark.django_db


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def assert_strict_policy(response: Any) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert directives[name] == ["'self'"], name  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # a script element without src
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle=", re.IGNORECASE),
    re.compile(r"\son[a-z]+=", re.IGNORECASE),  # onclick=, onload=, ...
    re.compile(r"javascript:", re.IGNORECASE),
]


def assert_no_inline_code(page: str) -> None:
    found = [match.group(0) for pattern in INLINE for match in pattern.finditer(page)]
    assert found == []


@pytest.fixture
def staff_client(superuser: Any) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def researcher_client(researcher: Any) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/admin/login/", "/api/docs/"],
)
def test_public_html_pages_carry_the_policy_and_no_inline_code(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_strict_policy(response)
    assert_no_inline_code(response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/portal/",
        "/portal/calendar/",
        "/portal/bookings/",
        "/portal/bookings/new/",
        "/portal/jobs/",
        "/portal/jobs/new/",
        "/portal/usage/",
    ],
)
def test_portal_pages_carry_the_policy_and_no_inline_code(researcher_client: Client, path: str) -> None:
    make_backend()  # so that the calendar draws its blocks
    response = researcher_client.get(path)
    assert response.status_code == 200, path
    assert_strict_policy(response)
    assert_no_inline_code(response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/scheduling/booking/",
        "/admin/scheduling/maintenancewindow/add/",
        "/admin/facility/equipment/add/",
        "/admin/procurement/contractingprocess/",
        "/admin/accounts/user/",
    ],
)
def test_admin_pages_carry_the_policy(staff_client: Client, path: str) -> None:
    response = staff_client.get(path)
    assert response.status_code == 200, path
    assert_strict_policy(response)
    assert_no_inline_code(response.content.decode())


def test_the_api_docs_start_script_is_a_file(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    start = [src for src in sources if "script=" in src]
    assert start, sources
    script = client.get(start[0].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_lockout_pages_carry_the_policy(client: Client, settings: Any) -> None:
    StaffFactory(username="mina")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        portal = client.post("/accounts/login/", {"username": "mina", "password": "wrong"})
    admin = client.post("/admin/login/", {"username": "mina", "password": PASSWORD})
    for response in (portal, admin):
        assert response.status_code == 429
        assert_strict_policy(response)
        assert_no_inline_code(response.content.decode())


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/users/me/", "get"),
        ("/api/v1/bookings/", "get"),
        ("/api/v1/backends/", "get"),
        ("/api/v1/users/me/calendar-secret/", "post"),
    ],
)
def test_authenticated_api_answers_are_not_stored(make_client: Any, researcher: Any, path: str, method: str) -> None:
    response = getattr(make_client(researcher), method)(path)
    assert response.status_code == 200, path
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}


def test_api_errors_and_the_token_answer_are_not_stored(api_client: Any, researcher: Any) -> None:
    token = api_client.post("/api/v1/auth/token/", {"username": researcher.username, "password": PASSWORD})
    assert token.status_code == 200
    refused = api_client.get("/api/v1/users/me/")
    assert refused.status_code == 401
    missing = api_client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404
    for response in (token, refused, missing):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_the_public_schema_may_be_cached(client: Client) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_locked_out_api_client_gets_an_uncached_429(api_client: Any, settings: Any) -> None:
    UserFactory(username="mina")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = api_client.post("/api/v1/auth/token/", {"username": "mina", "password": "wrong"})
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert "no-store" in response["Cache-Control"]
