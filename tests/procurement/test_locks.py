"""A change to a locked field (published tender, signed contract) answers `amendment_required` before anything
checks the new value, in the API and in the admin; nothing changes."""

import pytest
from django.urls import reverse

from procurement.models import OcdsRelease

pytestmark = pytest.mark.django_db

BASE = "/api/v1/procurement"


@pytest.fixture
def officer(make_client, procurement_officer):
    return make_client(procurement_officer)


def _releases():
    return OcdsRelease.objects.count()


@pytest.mark.parametrize(
    "body",
    [
        {"value": {"amount": "2000000.00", "currency": "EUR"}},  # above the award: would be "may not exceed"
        {"value": {"amount": "1.001", "currency": "EUR"}},  # too many decimals: would be a precision error
        {"value": {"amount": "950000.00", "currency": "USD"}},  # another currency
        {"value": "nonsense"},
        {"period": {"start": "2024-04-01", "end": "not a date"}},
        {"title": "Renamed", "value": {"amount": "2000000.00", "currency": "EUR"}},
    ],
)
def test_signed_contract_answers_amendment_required_first(officer, build_process, body):
    built = build_process("contracted")
    releases = _releases()
    response = officer.patch(f"{BASE}/contracts/{built.contract.pk}/", body, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "amendment_required"
    built.contract.refresh_from_db()
    assert (built.contract.title, built.contract.value_minor) == ("Supply contract", 95000000)
    assert _releases() == releases


def test_unchanged_locked_value_and_unlocked_fields_pass(officer, build_process):
    built = build_process("contracted")
    response = officer.patch(
        f"{BASE}/contracts/{built.contract.pk}/",
        {"title": "Renamed", "value": {"amount": "950000", "currency": "EUR"}},  # same value, other spelling
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Renamed"


def test_unsigned_contract_value_is_validated_as_before(officer, build_process):
    built = build_process("awarded")
    response = officer.patch(
        f"{BASE}/contracts/{built.contract.pk}/", {"value": {"amount": "2000000.00", "currency": "EUR"}}, format="json"
    )
    assert response.status_code == 400
    assert "may not exceed the award value" in response.json()["value"][0]


@pytest.mark.parametrize(
    "body",
    [
        {"tender_period": {"start": "2024-03-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}},  # end before start
        {"estimated_value": {"amount": "-5", "currency": "EUR"}},
        {"award_criteria": "notACriterion"},
    ],
)
def test_published_tender_answers_amendment_required_first(officer, build_process, body):
    built = build_process("tender")
    response = officer.patch(f"{BASE}/tenders/{built.tender.pk}/", body, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "amendment_required"


def test_unpublished_tender_period_is_validated(officer, build_process):
    built = build_process("planning")
    response = officer.patch(
        f"{BASE}/tenders/{built.tender.pk}/",
        {"tender_period": {"start": "2024-03-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}},
        format="json",
    )
    assert response.status_code == 400


# --- the admin ---


def test_admin_stale_form_on_a_signed_contract_is_sent_to_an_amendment(client, procurement_officer, build_process):
    """A form opened before the signature and posted after it: the officer is told to amend, not that the value
    exceeds the award; nothing changes."""
    built = build_process("contracted")
    client.force_login(procurement_officer)
    url = reverse("admin:procurement_contract_change", args=[built.contract.pk])
    releases = _releases()
    response = client.post(
        url,
        {
            "number": "C-1",
            "title": "Supply contract",
            "value_0": "2000000.00",
            "value_1": "EUR",
            "period_start": "2024-04-01",
            "period_end": "2025-03-31",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "change them through an amendment" in text
    assert "may not exceed" not in text
    built.contract.refresh_from_db()
    assert built.contract.value_minor == 95000000
    assert _releases() == releases


def test_admin_locked_fields_are_read_only_with_a_link_to_amend(client, procurement_officer, build_process):
    built = build_process("contracted")
    client.force_login(procurement_officer)
    response = client.get(reverse("admin:procurement_contract_change", args=[built.contract.pk]))
    form = response.context["adminform"].form
    assert "value" not in form.fields
    assert "period_end" not in form.fields
    assert "title" in form.fields
    text = response.content.decode()
    add_amendment = reverse("admin:procurement_amendment_add") + f"?contract={built.contract.pk}"
    assert add_amendment.replace("?", "?") in text.replace("&amp;", "&")
    assert "signed" in text
