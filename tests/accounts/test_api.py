import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_good_credentials(api_client):
    user = UserFactory(username="alice")
    response = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["token"] == user.auth_token.key


def test_token_is_refused_for_bad_credentials(api_client):
    UserFactory(username="alice")
    response = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_token_request_without_fields_is_a_validation_error(api_client):
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_missing_token_answers_401(api_client):
    response = api_client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_bad_token_answers_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/v1/users/me/").status_code == 401


def test_me_returns_the_user_with_calendar_url(make_client):
    org = OrganizationFactory(name="CBNU")
    user = UserFactory(username="bob", full_name="Bob Kim", institution=org)
    body = make_client(user).get("/api/v1/users/me/").json()
    assert body["username"] == "bob"
    assert body["full_name"] == "Bob Kim"
    assert body["institution"] == org.pk
    assert body["time_zone"] == "Asia/Seoul"
    assert body["is_staff"] is False
    assert body["projects"] == []
    assert body["calendar_url"].endswith(reverse("calendar-feed", kwargs={"secret": user.calendar_secret}))


def test_users_list_is_staff_only(make_client, researcher, facility_manager):
    assert make_client(researcher).get("/api/v1/users/").status_code == 403
    response = make_client(facility_manager).get("/api/v1/users/")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_researcher_cannot_create_users(make_client, researcher):
    response = make_client(researcher).post(
        "/api/v1/users/", {"username": "x", "email": "x@example.org", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_staff_creates_a_user(make_client, superuser):
    response = make_client(superuser).post(
        "/api/v1/users/",
        {
            "username": "new",
            "email": "new@example.org",
            "password": PASSWORD,
            "full_name": "New Person",
            "language": "ko",
            "time_zone": "Europe/Helsinki",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    user = User.objects.get(username="new")
    assert (user.language, user.time_zone, user.check_password(PASSWORD)) == ("ko", "Europe/Helsinki", True)
    assert "password" not in response.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "n", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"username": "n", "email": "n@example.org", "password": PASSWORD, "time_zone": "Nowhere/City"}, "time_zone"),
        ({"username": "n", "email": "n@example.org", "password": "1"}, "password"),
        ({"username": "root", "email": "n@example.org", "password": PASSWORD}, "username"),
    ],
)
def test_user_create_validation_errors_change_nothing(make_client, superuser, payload, field):
    before = User.objects.count()
    response = make_client(superuser).post("/api/v1/users/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == before


def test_users_list_query_count_is_constant(make_client, superuser, django_assert_num_queries):
    client = make_client(superuser)
    UserFactory.create_batch(3, institution=OrganizationFactory())
    with django_assert_num_queries(3):  # token with its user, count, page: none per row
        client.get("/api/v1/users/")
    UserFactory.create_batch(10, institution=OrganizationFactory())
    with django_assert_num_queries(3):
        client.get("/api/v1/users/")


def test_page_size_is_capped_at_500(make_client, superuser):
    response = make_client(superuser).get("/api/v1/users/?page_size=100000")
    assert response.status_code == 200


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_me_patch_changes_name_time_zone_and_language_and_ignores_the_rest(make_client):
    user = UserFactory(username="bob", full_name="Bob", is_staff=False)
    response = make_client(user).patch(
        "/api/v1/users/me/",
        {"full_name": "Bob Kim", "time_zone": "Europe/Helsinki", "language": "ko", "is_staff": True, "username": "x"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["full_name"], body["time_zone"], body["language"]) == ("Bob Kim", "Europe/Helsinki", "ko")
    assert body["calendar_url"].endswith(".ics")
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.full_name, fresh.time_zone, fresh.language, fresh.is_staff, fresh.username) == (
        "Bob Kim",
        "Europe/Helsinki",
        "ko",
        False,
        "bob",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"time_zone": "Asia/Seoul", "language": "fr"}, "language"),
        ({"full_name": "x" * 201}, "full_name"),
    ],
)
def test_me_patch_refuses_bad_values_and_changes_nothing(make_client, payload, field):
    user = UserFactory(full_name="Before", time_zone="Asia/Seoul", language="en")
    response = make_client(user).patch("/api/v1/users/me/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.full_name, fresh.time_zone, fresh.language) == ("Before", "Asia/Seoul", "en")


def test_me_patch_query_count(make_client, django_assert_num_queries):
    user = UserFactory()
    client = make_client(user)
    # token with its user; savepoint, update, release; the user's projects
    with django_assert_num_queries(5):
        assert client.patch("/api/v1/users/me/", {"language": "ko"}, format="json").status_code == 200


def test_staff_with_the_change_permission_patches_a_user(make_client, superuser, researcher):
    response = make_client(superuser).patch(f"/api/v1/users/{researcher.pk}/", {"full_name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["full_name"] == "Renamed"
    assert make_client(researcher).patch(f"/api/v1/users/{researcher.pk}/", {}, format="json").status_code == 403
