import copy
import json
import socket

import pytest

from procurement.models import OcdsRelease
from procurement.ocds import validator

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(make_client, procurement_officer):
    return make_client(procurement_officer)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Validation must be offline: any socket use fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access during OCDS validation")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_process_release_package_validates(build_process, officer_client):
    built = build_process("completed")
    response = officer_client.get(f"/api/v1/procurement/processes/{built.process.pk}/ocds/")
    assert response.status_code == 200
    package = response.json()
    assert validator.validate_release_package(package) == []
    assert len(package["releases"]) == built.process.releases.count()
    last = package["releases"][-1]
    roles = {party["name"]: set(party["roles"]) for party in last["parties"]}
    assert roles["Buyer University"] >= {"buyer", "payer"}
    assert roles["Procurement Agency"] == {"procuringEntity"}
    assert roles["Vendor Oy"] >= {"supplier", "tenderer", "payee"}
    assert last["planning"]["budget"]["amount"] == {"amount": 4000000000, "currency": "KRW"}
    assert last["tender"]["procuringEntity"]["name"] == "Procurement Agency"
    assert last["tender"]["tenderers"][0]["name"] == "Vendor Oy"
    assert last["tender"]["items"][0]["description"] == "A 5-qubit QPU"
    contract = last["contracts"][0]
    assert contract["implementation"]["transactions"][0]["value"] == {"amount": 950000, "currency": "EUR"}
    assert contract["milestones"][0]["status"] == "met"


def test_all_releases_and_record_package_validate(build_process, officer_client):
    build_process("completed")
    build_process("tender")
    releases = officer_client.get("/api/v1/procurement/ocds/releases/").json()
    assert validator.validate_release_package(releases) == []
    assert len(releases["releases"]) == OcdsRelease.objects.count()
    records = officer_client.get("/api/v1/procurement/ocds/records/").json()
    assert validator.validate_record_package(records) == []
    assert len(records["records"]) == 2
    compiled = records["records"][0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    assert validator.validate_release(compiled) == []


def test_every_stored_release_validates(build_process):
    build_process("completed")
    for release in OcdsRelease.objects.all():
        assert validator.validate_release(release.payload) == [], release.tags


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("tag",), ["notATag"]),
        (("date",), 12),
        (("tender", "status"), "finished"),
        (("contracts", 0, "value", "currency"), "EURO"),
        (("planning", "budget", "amount", "amount"), "1000"),
    ],
)
def test_broken_payload_fails_validation(build_process, path, value):
    built = build_process("completed")
    package: dict = {
        "uri": "https://example.org/p.json",
        "version": "1.1",
        "publishedDate": "2024-01-01T00:00:00Z",
        "publisher": {"name": "t"},
        "releases": [copy.deepcopy(built.process.releases.order_by("-sequence").first().payload)],
    }
    assert validator.validate_release_package(package) == []
    target = package["releases"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert validator.validate_release_package(package) != []


def test_package_without_required_fields_fails():
    assert validator.validate_release_package({"releases": []}) != []
    assert validator.validate_record_package({"records": [{"ocid": "x"}]}) != []


def test_registry_refuses_unknown_uris():
    with pytest.raises(Exception):  # noqa: B017, PT011 - referencing wraps the LookupError
        validator.registry().get_or_retrieve("https://example.org/other-schema.json")


def test_schema_files_are_the_official_ones():
    ids = [json.loads((validator.SCHEMA_DIR / name).read_text())["id"] for name in validator.SCHEMA_FILES]
    assert all(i.startswith("https://standard.open-contracting.org/schema/1__1__5/") for i in ids)
    assert (validator.SCHEMA_DIR / "NOTICE").read_text().count("Apache License") == 1
