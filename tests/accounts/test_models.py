import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User
from accounts.services import user_calendar_secret_rotate, user_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_defaults_to_seoul_time_and_english():
    user = UserFactory()
    assert user.time_zone == "Asia/Seoul"
    assert user.language == "en"
    assert len(user.calendar_secret) >= 40


def test_user_email_is_unique_in_the_database():
    UserFactory(username="a", email="same@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create(username="b", email="same@example.org")


def test_user_language_is_checked_by_the_database():
    with pytest.raises(IntegrityError):
        User.objects.create(username="c", email="c@example.org", language="fr")


def test_user_create_rejects_unknown_time_zone_and_saves_nothing():
    with pytest.raises(ValidationError) as excinfo:
        user_create(username="tz", email="tz@example.org", password="pw-correct-horse-42", time_zone="Mars/Olympus")
    assert "time_zone" in excinfo.value.message_dict
    assert not User.objects.filter(username="tz").exists()


def test_user_create_rejects_weak_password():
    with pytest.raises(ValidationError):
        user_create(username="weak", email="weak@example.org", password="123")
    assert not User.objects.filter(username="weak").exists()


def test_calendar_secret_rotation_changes_the_secret():
    user = UserFactory()
    old = user.calendar_secret
    user_calendar_secret_rotate(user=user)
    user.refresh_from_db()
    assert user.calendar_secret != old


def test_staff_groups_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    fm = Group.objects.get(name="Facility managers")
    po = Group.objects.get(name="Procurement officers")
    office = Group.objects.get(name="Office staff")
    assert fm.permissions.filter(codename="change_equipment").exists()
    assert not po.permissions.filter(codename="change_equipment").exists()
    assert office.permissions.filter(codename="change_regionaloffice").exists()
    assert not office.permissions.filter(codename="change_equipment").exists()
    assert not fm.permissions.filter(codename__startswith="delete_").exists()
