"""A procurement officer (only the procurement permissions) runs the whole lifecycle of a new process in the
admin, every write through a service: a refused step shows its reason and changes nothing."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import ocdsmerge  # type: ignore[import-untyped]  # the library ships no types
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procurement import selectors, services
from procurement.models import (
    Amendment,
    Award,
    Bid,
    Contract,
    ContractingProcess,
    Document,
    ExchangeRate,
    Milestone,
    OcdsRelease,
    Payment,
    Tender,
)
from procurement.ocds import validator
from procurement.ocds.builder import record_package

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer(client, procurement_officer):
    assert not procurement_officer.is_superuser
    client.force_login(procurement_officer)
    return client


def add(model):
    return reverse(f"admin:procurement_{model}_add")


def change(model, pk):
    return reverse(f"admin:procurement_{model}_change", args=[pk])


def messages_of(response):
    """The messages shown on the page a followed POST ended on."""
    return [str(m) for m in response.context["messages"]]


# Queries of each save in the lifecycle below (the POST alone, with the content-type cache cold), pinned: they may
# go down, never up.
SAVE_QUERIES = {
    "process": 39,
    "tender with an item": 65,
    "bid": 45,
    "award": 45,
    "contract": 50,
    "milestone": 51,
    "amendment": 60,
    "exchange rate": 25,
    "milestone met": 52,
    "payment": 55,
    "payment at a given rate": 56,
    "document": 49,
    "document superseding": 56,
}


def save(client, url, data, pin):
    """POST an admin form; fail with the form's errors when it does not save, or when it takes more or fewer
    queries than SAVE_QUERIES[pin]. Returns the messages shown on the page it redirects to."""
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    if response.status_code != 302:
        form = response.context["adminform"].form
        formsets = [f.formset.errors for f in response.context.get("inline_admin_formsets", [])]
        pytest.fail(f"not saved: {form.errors.as_text()} {formsets} {messages_of(response)}")
    assert len(queries) == SAVE_QUERIES[pin], f"{pin}: {len(queries)} queries, pinned at {SAVE_QUERIES[pin]}"
    return messages_of(client.get(response.url))


def step(client, process, to, published=("", "")):
    url = reverse("admin:procurement_contractingprocess_transition", args=[process.pk])
    data = {"to": to, "note": "", "published_at_0": published[0], "published_at_1": published[1]}
    response = client.post(url, data, follow=True)
    process.refresh_from_db()
    return messages_of(response)


def money(prefix, amount, currency="EUR"):
    return {f"{prefix}_0": amount, f"{prefix}_1": currency}


def when(prefix, day, time="09:00:00"):
    return {f"{prefix}_0": day, f"{prefix}_1": time}


def test_the_whole_lifecycle_of_a_new_process(officer, orgs):
    buyer, agency, vendor = orgs["buyer"], orgs["agency"], orgs["vendor"]
    # Planning: the process, first published in the procurement plan.
    save(
        officer,
        add("contractingprocess"),
        {
            "title": "A second quantum computer",
            "buyer": buyer.pk,
            "procuring_entity": agency.pk,
            "main_category": "goods",
            "method": "open",
            "plan_number": "P-2",
            **money("budget", "4000000000", "KRW"),
            "fiscal_year": "2025",
            **when("first_published_at", "2025-01-06"),
        },
        "process",
    )
    process = ContractingProcess.objects.get(title="A second quantum computer")
    assert (process.plan_number, process.budget_minor) == ("P-2", 4000000000)
    assert process.releases.get().date == dt.datetime(2025, 1, 6, 0, tzinfo=dt.UTC)  # 09:00 in Seoul
    page = officer.get(change("contractingprocess", process.pk)).content.decode()
    assert "A tender must be recorded before it can be published." in page  # why "tender" is not possible yet
    assert f"{add('tender')}?process={process.pk}" in page

    # The tender with its items (inline) and periods, in planning.
    save(
        officer,
        add("tender"),
        {
            "process": process.pk,
            "title": "Quantum computer tender",
            **money("estimated_value", "1000000.00"),
            "award_criteria": "ratedCriteria",
            **when("tender_start", "2025-02-03"),
            **when("tender_end", "2025-03-03", "17:00:00"),
            **when("first_published_at", "2025-01-20"),
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
            "items-0-description": "A 5-qubit QPU, installed",
            "items-0-quantity": "1",
            "items-0-unit": "system",
            "items-0-classification_scheme": "UNSPSC",
            "items-0-classification_id": "43211500",
        },
        "tender with an item",
    )
    tender = Tender.objects.get(process=process)
    assert list(tender.items.values_list("description", flat=True)) == ["A 5-qubit QPU, installed"]
    assert process.releases.count() == 2  # the tender and its item: one release

    # A refused step shows its reason and changes nothing.
    assert any("not possible" in m or "Cannot move" in m for m in step(officer, process, "completed"))
    assert process.status == "planning"
    assert step(officer, process, "tender", ("2025-02-03", "09:00:00")) == ["The process moved to Tender."]
    tender.refresh_from_db()
    assert tender.published_at == dt.datetime(2025, 2, 3, 0, tzinfo=dt.UTC)

    # Bids: one outside the tender period is refused by the service (nothing saved), then the real one.
    bid = {"tender": tender.pk, "tenderer": vendor.pk, **money("value", "950000.00"), "status": "valid", "rank": "1"}
    response = officer.post(add("bid"), {**bid, **when("submitted_at", "2025-04-01")}, follow=True)
    page = response.content.decode()
    assert "A bid must be submitted within the tender period." in page
    assert not Bid.objects.exists()
    # The form comes back with what was entered, to correct rather than retype.
    assert not response.redirect_chain
    assert 'value="2025-04-01"' in page
    assert 'value="950000.00"' in page
    save(
        officer,
        add("bid"),
        {**bid, **when("submitted_at", "2025-02-20"), **when("first_published_at", "2025-03-04")},
        "bid",
    )
    assert step(officer, process, "evaluation", ("2025-03-04", "10:00:00")) == ["The process moved to Evaluation."]

    # Award, contract, milestones, signature.
    save(
        officer,
        add("award"),
        {
            "process": process.pk,
            "title": "Award to Vendor Oy",
            "suppliers": [vendor.pk],
            **money("value", "950000.00"),
            **when("date", "2025-03-14"),
            **when("first_published_at", "2025-03-14"),
        },
        "award",
    )
    step(officer, process, "awarded", ("2025-03-14", "10:00:00"))
    award = Award.objects.get(process=process)
    assert award.status == "active"
    contract_data = {
        "award": award.pk,
        "number": "C-2",
        "title": "Supply contract",
        **money("value", "950000.00"),
        "period_start": "2025-04-01",
        "period_end": "2026-03-31",
        **when("first_published_at", "2025-03-20"),
    }
    save(officer, add("contract"), contract_data, "contract")
    contract = Contract.objects.get(process=process)
    for code, due in (("delivered", "2025-06-01"), ("accepted", "2025-07-01")):
        save(
            officer,
            add("milestone"),
            {
                "contract": contract.pk,
                "code": code,
                "title": code.title(),
                "type": "delivery",
                "due_date": due,
                "status": "scheduled",
                **when("first_published_at", "2025-03-20"),
            },
            "milestone",
        )
    page = officer.get(change("contract", contract.pk)).content.decode()
    assert 'id="sign-form"' in page
    sign = reverse("admin:procurement_contract_sign", args=[contract.pk])
    response = officer.post(
        sign,
        {"signed_on": "2025-03-28", "first_published_at_0": "2025-03-28", "first_published_at_1": "11:00:00"},
        follow=True,
    )
    assert messages_of(response) == ["The contract is signed."]
    step(officer, process, "contracted", ("2025-03-28", "11:00:00"))
    step(officer, process, "implementation", ("2025-04-01", "09:00:00"))
    assert process.status == "implementation"

    # An amendment (prefilled from the contract's page) raises the value.
    assert f"{add('amendment')}?contract={contract.pk}" in officer.get(change("contract", contract.pk)).content.decode()
    save(
        officer,
        add("amendment"),
        {
            "contract": contract.pk,
            **when("date", "2025-05-02"),
            "rationale": "Two more training days",
            **money("value_change", "50000.00"),
            **when("first_published_at", "2025-05-02"),
        },
        "amendment",
    )
    contract.refresh_from_db()
    assert contract.value_minor == 100000000
    assert Amendment.objects.get().release_id

    # Milestones met, payments with their exchange rate (a published rate, or the one given).
    save(
        officer,
        add("exchangerate"),
        {"date": "2025-06-01", "currency": "EUR", "rate_to_krw": "1500", "source": "Bank"},
        "exchange rate",
    )
    assert ExchangeRate.objects.get().rate_to_krw == 1500
    for milestone in Milestone.objects.filter(contract=contract):
        save(
            officer,
            change("milestone", milestone.pk),
            {
                "code": milestone.code,
                "title": milestone.title,
                "type": "delivery",
                "due_date": milestone.due_date.isoformat(),
                "date_met": "2025-06-02",
                "status": "scheduled",
                **when("first_published_at", "2025-06-02"),
            },
            "milestone met",
        )
    assert set(Milestone.objects.values_list("status", flat=True)) == {"met"}
    payment = {"contract": contract.pk, "payer": buyer.pk, "payee": vendor.pk, "method": "wire_transfer"}
    response = officer.post(
        add("payment"), {**payment, "date": "2025-06-05", **money("value", "2000000.00")}, follow=True
    )
    assert "This payment would exceed the contract value." in response.content.decode()
    assert not Payment.objects.exists()
    save(officer, add("payment"), {**payment, "date": "2025-06-05", **money("value", "600000.00")}, "payment")
    save(
        officer,
        add("payment"),
        {**payment, "date": "2025-06-20", **money("value", "400000.00"), "rate_to_krw": "1490.5"},
        "payment at a given rate",
    )
    first, second = Payment.objects.order_by("date")
    assert (first.rate_to_krw, first.exchange_rate_id, first.krw_amount_minor) == (
        Decimal(1500),
        ExchangeRate.objects.get().pk,
        900000000,
    )
    assert (second.rate_to_krw, second.exchange_rate_id, second.krw_amount_minor) == (
        Decimal("1490.5"),
        None,
        596200000,
    )

    # Documents: the checksum is computed on upload; a new version supersedes the first.
    document = {"process": process.pk, "stage": "contract", "document_type": "contractSigned", "language": "ko"}
    save(
        officer,
        add("document"),
        {**document, "title": "Signed contract", "file": SimpleUploadedFile("c.pdf", PDF)},
        "document",
    )
    old = Document.objects.get()
    assert old.sha256 == hashlib.sha256(PDF).hexdigest()
    new_pdf = PDF + b"% signed copy\n"
    save(
        officer,
        add("document"),
        {
            **document,
            "title": "Signed contract v2",
            "supersedes": old.pk,
            "file": SimpleUploadedFile("c2.pdf", new_pdf),
        },
        "document superseding",
    )
    assert Document.objects.get(supersedes=old).sha256 == hashlib.sha256(new_pdf).hexdigest()
    response = officer.post(
        add("document"),
        {**document, "title": "Fake", "file": SimpleUploadedFile("fake.pdf", b"MZ not a pdf")},
        follow=True,
    )
    assert "does not match its type" in response.content.decode()

    assert step(officer, process, "completed") == ["The process moved to Completed."]
    releases = list(OcdsRelease.objects.filter(process=process).order_by("sequence"))
    dates = [r.date for r in releases]
    assert dates == sorted(dates)
    assert services.release_chain_verify(process=process)
    package = record_package(releases, uri="https://example.org/records.json")
    assert validator.validate_record_package(package) == []
    schema = json.loads((validator.SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
    merged = ocdsmerge.Merger(schema=schema).create_compiled_release([r.payload for r in releases])
    compiled = package["records"][0]["compiledRelease"]
    assert {k: v for k, v in merged.items() if k != "id"} == {k: v for k, v in compiled.items() if k != "id"}


def test_a_published_date_before_the_previous_release_is_refused(officer, build_process):
    built = build_process("planning")
    releases = built.process.releases.count()
    messages = step(officer, built.process, "tender", ("2000-01-01", "09:00:00"))
    assert any("may not be before the previous release" in m for m in messages)
    assert built.process.status == "planning"
    assert built.process.releases.count() == releases


@pytest.mark.parametrize(
    ("stage", "to", "tender_status", "award_status", "tag"),
    [
        ("tender", "cancelled", "cancelled", None, "tenderCancellation"),
        ("evaluation", "unsuccessful", "unsuccessful", "unsuccessful", "tenderUpdate"),
    ],
)
def test_an_officer_closes_a_process_as_cancelled_or_unsuccessful(
    officer, build_process, stage, to, tender_status, award_status, tag
):
    """The closing steps from the process page: the tender (and its award) closed with it, a release tagged so,
    and the records read-only afterwards."""
    built = build_process(stage)
    page = officer.get(change("contractingprocess", built.process.pk)).content.decode()
    assert f'value="{to}"' in page  # offered on the process page
    assert step(officer, built.process, to) == [f"The process moved to {to.title()}."]
    assert built.process.status == to
    built.tender.refresh_from_db()
    assert built.tender.status == tender_status
    if award_status is not None:
        built.award.refresh_from_db()
        assert built.award.status == award_status
    assert tag in built.process.releases.order_by("-sequence").first().tags
    assert services.release_chain_verify(process=built.process)
    # Closed: a further step is refused with its reason and changes nothing.
    releases = built.process.releases.count()
    assert any("Cannot move" in m or "not possible" in m for m in step(officer, built.process, "tender"))
    assert (built.process.status, built.process.releases.count()) == (to, releases)


def test_only_procurement_staff_may_use_the_procurement_admin(client, office_staff, facility_manager, build_process):
    built = build_process("planning")
    for user in (office_staff, facility_manager):
        client.force_login(user)
        assert client.get(add("tender")).status_code == 403
        assert client.get(change("contractingprocess", built.process.pk)).status_code == 403
        url = reverse("admin:procurement_contractingprocess_transition", args=[built.process.pk])
        assert client.post(url, {"to": "cancelled"}).status_code == 403
    built.process.refresh_from_db()
    assert built.process.status == "planning"


def test_the_admin_speaks_korean(officer, procurement_officer, build_process):
    procurement_officer.language = "ko"
    procurement_officer.save()
    built = build_process("evaluation")
    page = officer.get(change("contractingprocess", built.process.pk)).content.decode()
    assert "다음 단계" in page  # Next step
    assert "최초 공개 일시" in page  # first published at
    page = officer.get(add("award") + f"?process={built.process.pk}").content.decode()
    assert "최초 공개 일시" in page


def test_the_process_page_folds_its_history_and_counts_it(officer, build_process):
    built = build_process("contracted")
    changes = len(selectors.process_history_list(process=built.process))
    page = officer.get(change("contractingprocess", built.process.pk)).content.decode()
    history = page[page.index('id="history"') :]
    assert history.index("<details>") < history.index("<table>")  # closed until asked for
    assert f"History ({changes})" in history
    assert changes > 10  # a process at this stage has a long history: it is why the page folds it
