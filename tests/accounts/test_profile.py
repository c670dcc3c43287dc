"""The profile page (issue 18): name, time zone, language, the calendar link and its rotation, and the password
pages (change; reset by e-mail through Django's own views, in the portal's templates and translated)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"


@pytest.fixture
def person(db):
    return UserFactory(username="hana", email="hana@example.org", full_name="Hana", time_zone="Asia/Seoul")


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client


def test_profile_needs_sign_in(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_profile_shows_the_searchable_time_zone_list_and_the_calendar_link(signed_in, person):
    page = signed_in.get(PROFILE).content.decode()
    assert 'list="time-zones"' in page
    assert '<option value="Europe/Helsinki">' in page
    assert reverse("calendar-feed", kwargs={"secret": person.calendar_secret}) in page
    assert "data-copy=" in page
    assert "<script" not in page.replace('<script src="/static/js/app.js" defer></script>', "")  # CSP: no inline


def test_profile_saves_name_time_zone_and_language(signed_in, person):
    response = signed_in.post(PROFILE, {"full_name": "Hana Lee", "time_zone": "Europe/Helsinki", "language": "ko"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ko"
    fresh = User.objects.get(pk=person.pk)
    assert (fresh.full_name, fresh.time_zone, fresh.language) == ("Hana Lee", "Europe/Helsinki", "ko")
    assert "프로필" in signed_in.get(PROFILE).content.decode()  # the page now speaks Korean


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"full_name": "Hana", "time_zone": "Mars/Olympus", "language": "en"}, "time_zone"),
        ({"full_name": "Hana", "time_zone": "", "language": "en"}, "time_zone"),
        ({"full_name": "Hana", "time_zone": "Asia/Seoul", "language": "fr"}, "language"),
        ({"full_name": "x" * 201, "time_zone": "Asia/Seoul", "language": "en"}, "full_name"),
    ],
)
def test_profile_refuses_bad_values_and_changes_nothing(signed_in, person, data, field):
    response = signed_in.post(PROFILE, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    fresh = User.objects.get(pk=person.pk)
    assert (fresh.full_name, fresh.time_zone, fresh.language) == ("Hana", "Asia/Seoul", "en")


def test_rotating_the_calendar_link_kills_the_old_one(signed_in, client, person):
    old = reverse("calendar-feed", kwargs={"secret": person.calendar_secret})
    assert client.get(old).status_code == 200
    assert signed_in.get("/accounts/profile/calendar/rotate/").status_code == 405  # POST only
    response = signed_in.post("/accounts/profile/calendar/rotate/")
    assert response.status_code == 302
    fresh = User.objects.get(pk=person.pk)
    assert fresh.calendar_secret != person.calendar_secret
    assert client.get(old).status_code == 404
    assert client.get(reverse("calendar-feed", kwargs={"secret": fresh.calendar_secret})).status_code == 200


def test_password_change_needs_the_old_password(signed_in, person):
    url = reverse("accounts:password-change")
    new = "a-new Passphrase 42"
    response = signed_in.post(url, {"old_password": "wrong", "new_password1": new, "new_password2": new})
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert User.objects.get(pk=person.pk).check_password(PASSWORD)
    response = signed_in.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).check_password(new)
    assert signed_in.get(PROFILE).status_code == 200  # still signed in


def test_password_reset_by_email(client, person):
    page = client.get("/accounts/login/").content.decode()
    assert reverse("accounts:password-reset") in page
    response = client.post(reverse("accounts:password-reset"), {"email": "HANA@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hana@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert "new_password1" in form.content.decode()
    new = "reset Passphrase 77"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert User.objects.get(pk=person.pk).check_password(new)
    assert client.get(link.group(1), follow=True).context["validlink"] is False  # one use only


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_reset_pages_are_translated(client):
    client.cookies["django_language"] = "ko"
    page = client.get(reverse("accounts:password-reset")).content.decode()
    assert "비밀번호" in page


def test_profile_query_count(signed_in, django_assert_num_queries):
    with django_assert_num_queries(2):  # session, user
        assert signed_in.get(PROFILE).status_code == 200
    with django_assert_num_queries(5):  # session, user; savepoint, update, release
        signed_in.post(PROFILE, {"full_name": "H", "time_zone": "Asia/Seoul", "language": "en"})
