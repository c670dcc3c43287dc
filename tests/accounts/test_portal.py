import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_portal_requires_login(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_then_portal_shows_time_zone(client):
    UserFactory(username="carol", full_name="Carol Park", time_zone="Europe/Helsinki")
    response = client.post("/accounts/login/", {"username": "carol", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/portal/").content.decode()
    assert "Carol Park" in page
    assert "Europe/Helsinki" in page


def test_login_with_wrong_password_shows_an_error(client):
    UserFactory(username="carol")
    response = client.post("/accounts/login/", {"username": "carol", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_language_switch_translates_and_sticks(client):
    user = UserFactory(username="dan")
    client.force_login(user)
    response = client.post("/accounts/language/", {"language": "ko", "next": "/portal/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "ko"
    page = client.get("/portal/").content.decode()
    assert 'lang="ko"' in page
    assert "로그아웃" in page


def test_saved_language_applies_on_a_new_session(client):
    user = UserFactory(username="eve", language="ko")
    client.force_login(user)
    assert 'lang="ko"' in client.get("/portal/").content.decode()


def test_language_switch_ignores_foreign_redirects(client):
    response = client.post("/accounts/language/", {"language": "ko", "next": "https://evil.example/"})
    assert response["Location"] == "/portal/"


def test_portal_forms_are_csrf_protected():
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    UserFactory(username="frank")
    response = csrf_client.post("/accounts/login/", {"username": "frank", "password": PASSWORD})
    assert response.status_code == 403
