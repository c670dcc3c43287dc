import importlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import clear_url_caches

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_calendar_secret_rotation_retires_the_old_feed_url(make_client, client):
    user = UserFactory(username="ical")
    api = make_client(user)
    old_url = api.get("/api/v1/users/me/").json()["calendar_url"]
    old_path = old_url.split("testserver", 1)[1]
    assert client.get(old_path).status_code == 200

    response = api.post("/api/v1/users/me/calendar-secret/")
    assert response.status_code == 200
    new_url = response.json()["calendar_url"]
    assert new_url != old_url
    assert client.get(old_path).status_code == 404
    assert client.get(new_url.split("testserver", 1)[1]).status_code == 200


def test_calendar_secret_rotation_needs_authentication(api_client):
    assert api_client.post("/api/v1/users/me/calendar-secret/").status_code == 401


def test_uploaded_files_are_not_served_from_media_url(client, superuser):
    import config.urls

    name = default_storage.save("procurement/documents/secret.pdf", ContentFile(b"%PDF-1.4 secret"))
    try:
        # Even with DEBUG on (the URLconf built afresh under it), MEDIA_URL serves nothing.
        with override_settings(DEBUG=True):
            importlib.reload(config.urls)
            clear_url_caches()
            client.force_login(superuser)
            assert client.get(f"/media/{name}").status_code == 404
    finally:
        default_storage.delete(name)
        importlib.reload(config.urls)
        clear_url_caches()
