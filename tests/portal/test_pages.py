"""Every portal page renders for a member, in English and Korean, and needs a login."""

import pytest
from django.urls import reverse

from tests.factories import BookingFactory, JobFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db

PAGES = [
    "portal:home",
    "portal:calendar",
    "portal:booking-create",
    "portal:booking-list",
    "portal:job-create",
    "portal:job-list",
    "portal:usage",
    "portal:project-list",
    "accounts:profile",
    "portal-reports:list",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_a_member(portal_client, backend, project, name):
    booking = BookingFactory(charged=True, backend=backend, project=project, user=project.pi, starts_at=next_slot())
    JobFactory(with_result=True, booking=booking)
    response = portal_client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Asia/Seoul" in page


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_in_korean(portal_client, name):
    portal_client.cookies["django_language"] = "ko"
    page = portal_client.get(reverse(name)).content.decode()
    assert 'lang="ko"' in page
