"""Sign-in lockout on every door (DESIGN.md section 5): the portal, the admin and the API token endpoint.

Failures are counted by the real client address and, separately, by account. The limits are the production
settings (config/settings/base.py): config/settings/test.py must not relax them, which
`test_the_lockout_runs_on_the_production_settings` checks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import AnonRateThrottle

from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

LOCKED_TEXT = "Too many failed sign-in attempts"


@dataclass(frozen=True)
class Door:
    name: str
    path: str
    refused: int  # the status of a wrong password
    signed_in: int  # the status of the right one

    def attempt(self, client: Client, username: str, password: str, **meta: str) -> Any:
        if self.name == "token":
            data = {"username": username, "password": password}
            return client.post(self.path, data, content_type="application/json", **meta)
        return client.post(self.path, {"username": username, "password": password}, **meta)


DOORS = [
    Door("portal", "/accounts/login/", refused=200, signed_in=302),
    Door("admin", "/admin/login/?next=/admin/", refused=200, signed_in=302),
    Door("token", "/api/v1/auth/token/", refused=400, signed_in=200),
]


@pytest.fixture(params=DOORS, ids=lambda door: door.name)
def door(request: pytest.FixtureRequest) -> Door:
    chosen: Door = request.param
    return chosen


def limit() -> int:
    value: int = settings.LOGIN_FAILURE_LIMIT
    return value


def assert_locked_out(door: Door, response: Any, client: Client) -> None:
    assert response.status_code == 429, response.content[:300]
    assert response["Retry-After"] == str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    if door.name == "token":
        body = response.json()
        assert body["code"] == "too_many_attempts"
        assert LOCKED_TEXT in body["detail"]
        assert "token" not in body
    else:
        assert LOCKED_TEXT in response.content.decode()
        assert "_auth_user_id" not in client.session


def assert_signed_in(door: Door, response: Any, client: Client) -> None:
    assert response.status_code == door.signed_in, response.content[:300]
    if door.name == "token":
        assert response.json()["token"]
    else:
        assert "_auth_user_id" in client.session


def test_wrong_passwords_lock_the_account_and_then_refuse_the_right_one(door: Door) -> None:
    StaffFactory(username="mina")
    client = Client()
    statuses = [door.attempt(client, "mina", f"wrong-{i}").status_code for i in range(limit() - 1)]
    assert statuses == [door.refused] * (limit() - 1)
    # The failure that reaches the limit is already answered with the lockout.
    assert_locked_out(door, door.attempt(client, "mina", "wrong-last"), client)
    assert_locked_out(door, door.attempt(client, "mina", PASSWORD), client)


def test_an_account_under_attack_is_locked_from_every_address(door: Door) -> None:
    StaffFactory(username="mina")
    client = Client()
    for i in range(limit()):
        door.attempt(client, "mina", "wrong", REMOTE_ADDR=f"203.0.113.{i + 1}")
    response = door.attempt(client, "mina", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert_locked_out(door, response, client)


def test_an_address_guessing_many_accounts_is_locked_for_every_account(door: Door) -> None:
    StaffFactory(username="mina")
    client = Client()
    for i in range(limit()):
        door.attempt(client, f"guess{i}", "wrong", REMOTE_ADDR="203.0.113.9")
    assert_locked_out(door, door.attempt(client, "mina", PASSWORD, REMOTE_ADDR="203.0.113.9"), client)


def test_the_lockout_does_not_spread_to_other_accounts_and_addresses(door: Door) -> None:
    StaffFactory(username="mina")
    StaffFactory(username="otto")
    attacker = Client()
    for _ in range(limit()):
        door.attempt(attacker, "mina", "wrong", REMOTE_ADDR="203.0.113.9")
    bystander = Client()
    assert_signed_in(door, door.attempt(bystander, "otto", PASSWORD, REMOTE_ADDR="198.51.100.7"), bystander)


def test_a_spoofed_forwarded_for_does_not_reset_the_count(door: Door) -> None:
    """With no trusted proxy (the default), X-Forwarded-For is the client's own claim: a new one per attempt
    still counts against the socket's address."""
    assert settings.TRUSTED_PROXIES == 0
    StaffFactory(username="mina")
    client = Client()
    for i in range(limit()):  # a new user name each time, so only the address count can reach the limit
        door.attempt(client, f"guess{i}", "wrong", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
    response = door.attempt(client, "mina", PASSWORD, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.8.8.8")
    assert_locked_out(door, response, client)


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client(door: Door, settings: Any) -> None:
    settings.TRUSTED_PROXIES = 1
    StaffFactory(username="mina")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client()
    for i in range(limit()):
        # Whatever the attacker puts in front, the proxy appends the address it saw last.
        spoof = f"192.0.2.{i}, 203.0.113.9"
        door.attempt(attacker, f"guess{i}", "wrong", HTTP_X_FORWARDED_FOR=spoof, **proxy)
    response = door.attempt(attacker, "mina", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.9", **proxy)
    assert_locked_out(door, response, attacker)
    # Another client behind the same proxy is not locked out with the attacker.
    neighbour = Client()
    response = door.attempt(neighbour, "mina", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert_signed_in(door, response, neighbour)


def test_failures_at_one_door_count_at_the_others() -> None:
    StaffFactory(username="mina")
    client = Client()
    portal, admin, token = DOORS
    for i in range(limit()):
        [portal, admin][i % 2].attempt(client, "mina", "wrong")
    assert_locked_out(token, token.attempt(client, "mina", PASSWORD), client)


def test_a_successful_sign_in_does_not_clear_the_address_count(door: Door) -> None:
    """Otherwise anyone with an account could guess at others' without end, signing in between guesses."""
    StaffFactory(username="mina")
    client = Client()
    for i in range(limit() - 1):
        door.attempt(client, f"victim{i}", "wrong", REMOTE_ADDR="203.0.113.9")
        assert door.attempt(client, "mina", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == door.signed_in
        client.logout()
    assert_locked_out(door, door.attempt(client, "victim-last", "wrong", REMOTE_ADDR="203.0.113.9"), client)


def test_the_lockout_ends_after_the_window() -> None:
    StaffFactory(username="mina")
    client = Client()
    token = DOORS[2]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(limit()):
            token.attempt(client, "mina", "wrong")
        assert token.attempt(client, "mina", PASSWORD).status_code == 429
    window = datetime.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    with time_machine.travel(start + window - datetime.timedelta(seconds=5), tick=False):
        assert token.attempt(client, "mina", PASSWORD).status_code == 429
    with time_machine.travel(start + window + datetime.timedelta(seconds=5), tick=False):
        assert_signed_in(token, token.attempt(client, "mina", PASSWORD), client)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_locked_out_page_is_translated(path: str) -> None:
    StaffFactory(username="mina")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    for _ in range(limit()):
        response = client.post(path, {"username": "mina", "password": "wrong"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "로그인 실패가 너무 많습니다" in page
    assert "로그인으로 돌아가기" in page
    assert 'lang="ko"' in page


def test_the_admin_locked_out_page_is_an_admin_page() -> None:
    StaffFactory(username="mina")
    client = Client()
    for _ in range(limit()):
        response = client.post("/admin/login/?next=/admin/", {"username": "mina", "password": "wrong"})
    assert response.status_code == 429
    page = response.content.decode()
    assert 'id="site-name"' in page
    assert 'href="/admin/login/"' in page


def test_the_lockout_runs_on_the_production_settings() -> None:
    """A limit relaxed only for tests would leave the tests checking something production does not run."""
    from config.settings import base

    names = [name for name in dir(base) if name.startswith(("AXES_", "LOGIN_FAILURE_"))]
    names += ["TRUSTED_PROXIES", "AUTHENTICATION_BACKENDS"]
    assert {name: getattr(settings, name) for name in names} == {name: getattr(base, name) for name in names}
    assert settings.LOGIN_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == ["ip_address", "username"]
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE


def test_api_throttles_ignore_a_clients_own_forwarded_for() -> None:
    """DRF's throttles key anonymous clients by the same address as the lockout (`NUM_PROXIES`)."""
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXIES == 0
    request = APIRequestFactory().post("/api/v1/auth/token/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AnonRateThrottle().get_ident(request) == "203.0.113.9"
