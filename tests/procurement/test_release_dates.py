"""Each recorded step is dated when its information was first published (`published_at`, default now); a
process's releases are dated in their chain's order; the demo story is dated as it happened; and the official
merge library compiles the same record as the project does."""

import datetime as dt
import json
import socket

import ocdsmerge  # type: ignore[import-untyped]  # the library ships no types
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from procurement import demo, services
from procurement.demo import seed as procurement_seed
from procurement.models import ContractingProcess, Document, OcdsRelease
from procurement.ocds import validator
from procurement.ocds.builder import compiled_release, record_package
from procurement.selectors import release_list
from tests.factories import StaffFactory
from tests.support import eur, utc

pytestmark = pytest.mark.django_db

BASE = "/api/v1/procurement"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """The merge library and the validator run offline: any socket use fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def merger():
    """ocdsmerge with the project's copy of the official OCDS 1.1.5 release schema (never fetched)."""
    schema = json.loads((validator.SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
    return ocdsmerge.Merger(schema=schema)


def _dates(process):
    return list(OcdsRelease.objects.filter(process=process).order_by("sequence").values_list("date", flat=True))


def _assert_merge_equals_compiled(merger, releases):
    ours = compiled_release(releases)
    theirs = merger.create_compiled_release([r.payload for r in releases])
    assert theirs.pop("id") != ours.pop("id")
    assert theirs == ours


def test_a_step_is_dated_when_it_was_first_published(build_process):
    built = build_process("planning")
    before = timezone.now().replace(microsecond=0)
    services.tender_update(tender=built.tender, user=None, description="Default: now")
    latest = built.process.releases.order_by("-sequence").first()
    assert latest.date >= before
    assert latest.date.microsecond == 0  # whole seconds: the text of the dates sorts as they do
    published = timezone.now() - dt.timedelta(minutes=5)
    with pytest.raises(ValidationError) as refused:
        services.tender_update(tender=built.tender, user=None, description="Too early", published_at=published)
    assert refused.value.message_dict["published_at"][0].startswith(
        "The date of first publication may not be before the previous release"
    )
    built.tender.refresh_from_db()
    assert built.tender.description == "Default: now"  # nothing changed
    assert built.process.releases.count() == 3


def test_the_releases_of_a_process_are_dated_in_their_order(orgs):
    process = services.process_create(
        user=None, title="Dated", buyer=orgs["buyer"], procuring_entity=orgs["agency"], published_at=utc(2024, 1, 5)
    )
    tender = services.tender_create(
        process=process,
        user=None,
        title="T",
        tender_start=utc(2024, 2, 1),
        tender_end=utc(2024, 3, 1),
        published_at=utc(2024, 1, 20),
    )
    services.process_transition(process=process, to="tender", user=None, published_at=utc(2024, 2, 1, 9))
    tender.refresh_from_db()
    assert tender.published_at == utc(2024, 2, 1, 9)  # the tender's publication is the step's date
    with pytest.raises(ValidationError) as refused:  # before the previous release: refused, not moved
        services.bid_create(
            tender=tender,
            user=None,
            tenderer=orgs["vendor"],
            value=eur("1.00"),
            submitted_at=utc(2024, 2, 10),
            published_at=utc(2024, 1, 31),
        )
    assert "published_at" in refused.value.message_dict
    with pytest.raises(ValidationError, match="future"):
        services.process_update(
            process=process, user=None, notes="x", published_at=timezone.now() + dt.timedelta(minutes=1)
        )
    services.bid_create(
        tender=tender,
        user=None,
        tenderer=orgs["vendor"],
        value=eur("1.00"),
        submitted_at=utc(2024, 2, 10),
        published_at=utc(2024, 2, 1, 9),  # the same instant as the previous release is allowed
    )
    document = services.document_create(
        process=process,
        user=StaffFactory(),
        file=SimpleUploadedFile("notice.pdf", b"%PDF-1.7\n%%EOF\n"),
        stage="tender",
        document_type="tenderNotice",
        title="Notice",
        published_at=utc(2024, 2, 2),
    )
    assert document.published_at == utc(2024, 2, 2)
    services.process_update(process=process, user=None, notes="now")  # default: now
    dates = _dates(process)
    assert dates[:5] == [utc(2024, 1, 5), utc(2024, 1, 20), utc(2024, 2, 1, 9), utc(2024, 2, 1, 9), utc(2024, 2, 2)]
    assert dates == sorted(dates)
    payload = process.releases.order_by("-sequence").first().payload
    assert payload["tender"]["documents"][0]["datePublished"] == "2024-02-02T00:00:00Z"
    assert process.releases.get(sequence=3).payload["date"] == "2024-02-01T09:00:00Z"


def test_the_api_takes_published_at_and_refuses_an_earlier_one(make_client, procurement_officer, build_process):
    officer = make_client(procurement_officer)
    built = build_process("planning")
    latest = built.process.releases.order_by("-sequence").first()
    response = officer.post(
        f"{BASE}/processes/{built.process.pk}/transition/",
        {"to": "tender", "published_at": "2020-01-01T09:00:00+09:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "published_at" in response.json()
    built.process.refresh_from_db()
    assert built.process.status == "planning"
    assert built.process.releases.count() == latest.sequence  # nothing appended
    response = officer.post(
        f"{BASE}/processes/{built.process.pk}/transition/",
        {"to": "tender", "published_at": latest.date.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    tender = officer.get(f"{BASE}/tenders/{built.tender.pk}/").json()
    assert tender["published_at"] == latest.date.isoformat().replace("+00:00", "Z")
    response = officer.post(
        f"{BASE}/bids/",
        {
            "tender": built.tender.pk,
            "tenderer": built.vendor.pk,
            "value": {"amount": "900000.00", "currency": "EUR"},
            "submitted_at": "2024-01-20T00:00:00Z",
            "published_at": "2024-01-01T00:00:00Z",  # before the tender's publication
        },
        format="json",
    )
    assert response.status_code == 400
    assert "previous release" in response.json()["published_at"][0]


def test_the_schema_documents_published_at(client):
    schema = client.get("/api/schema/?format=json").json()
    props = schema["components"]["schemas"]["BidInputRequest"]["properties"]
    assert "first published" in props["published_at"]["description"]
    assert "published_at" not in schema["components"]["schemas"]["TenderItem"]["properties"]


def _seed_demo():
    from facility.demo import seed

    seed(lambda message: None)
    procurement_seed(lambda message: None)


def test_the_demo_story_is_dated_as_it_was_published(merger):
    started = timezone.now()
    _seed_demo()
    process = ContractingProcess.objects.get()
    dates = _dates(process)
    assert dates == sorted(dates)
    assert dates[0] == utc(2024, 2, 15, 1)
    assert dates[-1] == utc(2025, 12, 5, 1)
    assert all(d < started for d in dates)  # nothing released at seed time
    assert process.tender.published_at == utc(2024, 4, 1)
    assert all(a.date.year == 2024 for a in process.amendments.all())
    assert all(a.date.year == 2024 for a in process.awards.all())
    assert not Document.objects.exists()
    package = record_package(release_list(), uri="https://example.org/records.json")
    assert validator.validate_record_package(package) == []
    _assert_merge_equals_compiled(merger, list(release_list(process=process)))


def test_the_demo_has_a_procurement_officer_login(client):
    _seed_demo()
    officer = User.objects.get(username=demo.OFFICER_USERNAME)
    assert officer.is_staff
    assert not officer.is_superuser
    assert officer.check_password(demo.OFFICER_PASSWORD)
    assert officer.has_perm("procurement.add_contract")
    assert not officer.has_perm("scheduling.add_booking")
    client.force_login(officer)
    process = ContractingProcess.objects.get()
    assert client.get(f"/admin/procurement/contractingprocess/{process.pk}/change/").status_code == 200
    procurement_seed(lambda message: None)  # idempotent
    assert User.objects.filter(username=demo.OFFICER_USERNAME).count() == 1


def test_ocdsmerge_compiles_what_the_project_compiles(merger, build_process):
    built = build_process("completed")
    _assert_merge_equals_compiled(merger, list(release_list(process=built.process)))
    other = build_process("tender")
    _assert_merge_equals_compiled(merger, list(release_list(process=other.process)))
