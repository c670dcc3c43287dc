import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from procurement.models import ContractingProcess, Document, Payment

pytestmark = pytest.mark.django_db

BASE = "/api/v1/procurement"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer(make_client, procurement_officer):
    return make_client(procurement_officer)


def upload(name, content, **extra):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(
    "path",
    [
        "processes/",
        "tenders/",
        "bids/",
        "awards/",
        "contracts/",
        "milestones/",
        "amendments/",
        "payments/",
        "documents/",
        "exchange-rates/",
        "ocds/releases/",
        "ocds/records/",
    ],
)
def test_only_procurement_officers_may_read(
    path, make_client, researcher, office_staff, facility_manager, procurement_officer
):
    assert make_client(researcher).get(f"{BASE}/{path}").status_code == 403
    assert make_client(office_staff).get(f"{BASE}/{path}").status_code == 403
    assert make_client(facility_manager).get(f"{BASE}/{path}").status_code == 403
    assert make_client(procurement_officer).get(f"{BASE}/{path}").status_code == 200


def test_anonymous_is_401(api_client):
    assert api_client.get(f"{BASE}/processes/").status_code == 401


def test_researcher_and_office_staff_cannot_write(make_client, researcher, office_staff, orgs):
    body = {"title": "x", "buyer": orgs["buyer"].pk, "procuring_entity": orgs["agency"].pk}
    for user in (researcher, office_staff):
        assert make_client(user).post(f"{BASE}/processes/", body, format="json").status_code == 403
    assert ContractingProcess.objects.count() == 0


def test_process_create_and_fields(officer, orgs):
    body = {
        "title": "Spark",
        "buyer": orgs["buyer"].pk,
        "procuring_entity": orgs["agency"].pk,
        "foreign_procurement": True,
        "numbers": {
            "plan": "P1",
            "request": "R1",
            "prespec": "S1",
            "notice": "N1",
            "notice_order": "00",
            "contract": "",
        },
        "budget": {"amount": "1234.50", "currency": "EUR"},
        "fiscal_year": 2024,
    }
    response = officer.post(f"{BASE}/processes/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    for key in (
        "id",
        "ocid",
        "title",
        "description",
        "buyer",
        "procuring_entity",
        "status",
        "main_category",
        "method",
        "method_details",
        "foreign_procurement",
        "international_tender",
        "numbers",
        "budget",
        "fiscal_year",
        "funding_source",
        "project_name",
    ):
        assert key in data
    assert data["budget"] == {"amount": "1234.50", "currency": "EUR"}
    assert data["numbers"]["notice_order"] == "00"
    assert data["status"] == "planning"


@pytest.mark.parametrize(
    "budget",
    [
        {"amount": "1.234", "currency": "EUR"},
        {"amount": "1.5", "currency": "KRW"},
        {"amount": "1", "currency": "XYZ"},
        "5",
    ],
)
def test_bad_money_is_400(officer, orgs, budget):
    body = {"title": "x", "buyer": orgs["buyer"].pk, "procuring_entity": orgs["agency"].pk, "budget": budget}
    response = officer.post(f"{BASE}/processes/", body, format="json")
    assert response.status_code == 400
    assert "budget" in response.json()


def test_transition_endpoint(officer, build_process):
    built = build_process("planning")
    url = f"{BASE}/processes/{built.process.pk}/transition/"
    response = officer.post(url, {"to": "completed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["allowed"] == ["tender", "cancelled", "unsuccessful"]
    response = officer.post(url, {"to": "tender", "note": "published"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "tender"


def test_history_endpoint(officer, build_process, procurement_officer):
    built = build_process("tender")
    rows = officer.get(f"{BASE}/processes/{built.process.pk}/history/").json()
    assert set(rows[0]) == {"at", "user", "object", "field", "old", "new"}
    assert {"user": "po", "field": "status", "old": "planning", "new": "tender"}.items() <= next(
        r for r in rows if r["field"] == "status" and r["old"] == "planning" and r["object"].startswith("Contracting")
    ).items()


def test_payment_exceeding_contract_is_409(officer, build_process):
    built = build_process("implementation")
    body = {
        "contract": built.contract.pk,
        "date": "2024-06-05",
        "value": {"amount": "950000.01", "currency": "EUR"},
        "payer": built.buyer.pk,
        "payee": built.vendor.pk,
        "method": "wire_transfer",
    }
    response = officer.post(f"{BASE}/payments/", body, format="json")
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "payment_exceeds_contract"
    assert data["contract_value"] == {"amount": "950000.00", "currency": "EUR"}
    assert data["paid"] == {"amount": "0.00", "currency": "EUR"}
    assert Payment.objects.count() == 0
    body["value"]["amount"] = "500000.00"
    response = officer.post(f"{BASE}/payments/", body, format="json")
    assert response.status_code == 201
    assert response.json()["krw_amount"] == {"amount": "735000000", "currency": "KRW"}
    assert response.json()["rate_to_krw"] == "1470.000000"
    contract = officer.get(f"{BASE}/contracts/{built.contract.pk}/").json()
    assert contract["paid"] == {"amount": "500000.00", "currency": "EUR"}
    assert contract["remaining"] == {"amount": "450000.00", "currency": "EUR"}
    assert contract["period"] == {"start": "2024-04-01", "end": "2025-03-31"}


def test_locked_fields_answer_amendment_required(officer, build_process):
    built = build_process("contracted")
    response = officer.patch(
        f"{BASE}/contracts/{built.contract.pk}/", {"value": {"amount": "1.00", "currency": "EUR"}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "amendment_required"
    response = officer.patch(
        f"{BASE}/tenders/{built.tender.pk}/",
        {"tender_period": {"start": "2024-01-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}},
        format="json",
    )
    assert response.status_code == 409
    response = officer.post(
        f"{BASE}/amendments/",
        {"contract": built.contract.pk, "rationale": "Scope", "value_change": {"amount": "5000.00", "currency": "EUR"}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["value_change"] == {"amount": "5000.00", "currency": "EUR"}
    assert officer.get(f"{BASE}/contracts/{built.contract.pk}/").json()["value"]["amount"] == "955000.00"


def test_stage_record_shapes(officer, build_process):
    built = build_process("completed")
    tender = officer.get(f"{BASE}/tenders/{built.tender.pk}/").json()
    assert tender["tender_period"] == {"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"}
    assert tender["items"][0] == {
        "description": "A 5-qubit QPU",
        "classification": None,
        "quantity": "1.000",
        "unit": "system",
    }
    assert tender["estimated_value"] == {"amount": "1000000.00", "currency": "EUR"}
    bid = officer.get(f"{BASE}/bids/{built.bid.pk}/").json()
    assert set(bid) >= {"id", "tender", "tenderer", "value", "submitted_at", "status", "rank"}
    award = officer.get(f"{BASE}/awards/{built.award.pk}/").json()
    assert award["suppliers"] == [built.vendor.pk]
    assert award["date"] == "2024-03-01T00:00:00Z"
    milestone = officer.get(f"{BASE}/milestones/{built.milestone.pk}/").json()
    assert set(milestone) >= {"id", "contract", "code", "title", "type", "due_date", "date_met", "status"}
    payment = officer.get(f"{BASE}/payments/{built.payment.pk}/").json()
    assert set(payment) >= {
        "id",
        "contract",
        "date",
        "value",
        "payer",
        "payee",
        "method",
        "milestone",
        "rate_to_krw",
        "krw_amount",
    }
    rates = officer.get(f"{BASE}/exchange-rates/").json()["results"]
    assert set(rates[0]) == {"id", "date", "currency", "rate_to_krw", "source"}


def test_no_delete_anywhere(officer, build_process, make_client, superuser):
    built = build_process("planning")
    assert officer.delete(f"{BASE}/processes/{built.process.pk}/").status_code == 403  # no delete permission
    root = make_client(superuser)
    assert root.delete(f"{BASE}/processes/{built.process.pk}/").status_code == 405
    assert root.delete(f"{BASE}/tenders/{built.tender.pk}/").status_code == 405
    assert ContractingProcess.objects.filter(pk=built.process.pk).exists()


@pytest.mark.parametrize("path", ["processes/", "contracts/", "tenders/", "awards/", "payments/"])
def test_list_queries_are_constant(officer, build_process, django_assert_num_queries, path):
    build_process("completed")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert officer.get(f"{BASE}/{path}").status_code == 200
    build_process("completed")
    build_process("completed")
    with django_assert_num_queries(len(one)):
        officer.get(f"{BASE}/{path}")


# --- documents ---


def post_document(client, process, name, content, **extra):
    body = {
        "process": process.pk,
        "stage": "tender",
        "document_type": "tenderNotice",
        "title": "Notice",
        "file": SimpleUploadedFile(name, content),
        **extra,
    }
    return client.post(f"{BASE}/documents/", body, format="multipart")


def test_document_upload_hash_version_and_download(officer, build_process, make_client, researcher, office_staff):
    built = build_process("tender")
    response = post_document(officer, built.process, "../../etc/notice.pdf", PDF)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert data["size"] == len(PDF)
    assert data["media_type"] == "application/pdf"
    document = Document.objects.get(pk=data["id"])
    assert ".." not in document.file.name
    assert "etc" not in document.file.name
    assert document.file.name.startswith("procurement/")
    assert document.original_name == "notice.pdf"
    download = officer.get(data["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert make_client(researcher).get(data["url"]).status_code == 403
    assert make_client(office_staff).get(data["url"]).status_code == 403
    v2 = post_document(officer, built.process, "notice-v2.pdf", PDF + b"%v2", supersedes=data["id"])
    assert v2.status_code == 201
    assert v2.json()["supersedes"] == data["id"]
    assert Document.objects.get(pk=data["id"]).sha256 == data["sha256"]  # the old version is kept
    again = post_document(officer, built.process, "notice-v3.pdf", PDF, supersedes=data["id"])
    assert again.status_code == 400
    release = built.process.releases.order_by("-sequence").first()
    assert len(release.payload["tender"]["documents"]) == 2


def _docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("a.png", PNG, True),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"0" * 10, True),
        ("a.docx", _docx(), True),
        ("a.csv", "품목,수량\nQPU,1\n".encode(), True),
        ("a.pdf", PNG, False),
        ("a.png", PDF, False),
        ("a.docx", b"PK\x03\x04 not really", False),
        ("a.txt", b"\x00\x01binary", False),
        ("a.csv", b"\xff\xfe bad utf8", False),
        ("a.exe", b"MZ", False),
        ("noext", b"hello", False),
        ("a.pdf", b"", False),
    ],
)
def test_document_type_checks(officer, build_process, name, content, ok):
    built = build_process("planning")
    response = post_document(officer, built.process, name, content)
    assert response.status_code == (201 if ok else 400), response.json()
    if not ok:
        assert "file" in response.json()
        assert Document.objects.count() == 0


def test_document_size_limit(officer, build_process, settings):
    settings.MAX_UPLOAD_BYTES = 10
    built = build_process("planning")
    response = post_document(officer, built.process, "a.pdf", PDF)
    # API.md: an upload over the limit answers 413 request_too_large, stopped while it is received.
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert "larger" in response.json()["detail"]
    assert Document.objects.count() == 0


def test_exchange_rate_create(officer):
    response = officer.post(
        f"{BASE}/exchange-rates/",
        {"date": "2024-01-02", "currency": "EUR", "rate_to_krw": "1450.5", "source": "bank"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["rate_to_krw"] == "1450.500000"
    assert dt.date.fromisoformat(response.json()["date"]) == dt.date(2024, 1, 2)
