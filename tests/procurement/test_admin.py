import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_browser(client, procurement_officer):
    client.force_login(procurement_officer)
    return client


def test_process_page_shows_stages_transitions_releases_history(officer_browser, build_process):
    built = build_process("evaluation")
    url = reverse("admin:procurement_contractingprocess_change", args=[built.process.pk])
    response = officer_browser.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Quantum computer tender" in body  # tender inline
    assert 'name="to" value="awarded"' in body
    assert built.process.releases.first().release_id in body
    assert "hash chain intact" in body
    assert "delete" not in response.context["adminform"].form.fields


def test_transition_button_calls_the_service(officer_browser, build_process):
    built = build_process("evaluation")
    url = reverse("admin:procurement_contractingprocess_transition", args=[built.process.pk])
    officer_browser.post(url, {"to": "completed"})
    built.process.refresh_from_db()
    assert built.process.status == "evaluation"
    officer_browser.post(url, {"to": "awarded"})
    built.process.refresh_from_db()
    assert built.process.status == "awarded"


def test_no_delete_in_admin(officer_browser, build_process, superuser, client):
    built = build_process("planning")
    client.force_login(superuser)
    url = reverse("admin:procurement_contractingprocess_delete", args=[built.process.pk])
    assert client.get(url).status_code == 403


def test_office_staff_cannot_open_procurement_admin(client, office_staff, build_process):
    built = build_process("planning")
    client.force_login(office_staff)
    url = reverse("admin:procurement_contractingprocess_change", args=[built.process.pk])
    assert client.get(url).status_code == 403


def test_changelist_queries_are_constant(officer_browser, build_process, django_assert_max_num_queries):
    build_process("completed")
    url = reverse("admin:procurement_contractingprocess_changelist")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert officer_browser.get(url).status_code == 200
    build_process("completed")
    build_process("tender")
    with django_assert_max_num_queries(len(one)):
        officer_browser.get(url)
