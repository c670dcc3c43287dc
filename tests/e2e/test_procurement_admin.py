"""A procurement officer (a staff user with only the procurement permissions) runs a new contracting process from
planning to completion in the admin, in a real browser; then the key pages in Korean."""

import datetime as dt
import hashlib

import pytest

from accounts.roles import PROCUREMENT_OFFICERS
from facility.choices import OrganizationKind
from procurement import services
from procurement.models import ContractingProcess, Document, OcdsRelease
from tests.e2e.browser import admin_log_in, expect
from tests.factories import OrganizationFactory, StaffFactory
from tests.support import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def officer():
    user = StaffFactory(username="officer", groups=[PROCUREMENT_OFFICERS])
    assert not user.is_superuser
    return user


@pytest.fixture
def orgs():
    return {
        "buyer": OrganizationFactory(
            name="Chungbuk National University", short_name="CBNU", kind=OrganizationKind.UNIVERSITY
        ),
        "agency": OrganizationFactory(
            name="Public Procurement Service", short_name="PPS", kind=OrganizationKind.GOVERNMENT
        ),
        "vendor": OrganizationFactory(
            name="IQM Quantum Computers", short_name="IQM", kind=OrganizationKind.VENDOR, country="FI"
        ),
    }


SHOWN = {"Chungbuk": "CBNU", "Public Procurement": "PPS", "IQM": "IQM"}


def pick(page, field, text):
    """Choose an organisation by (part of) its name in an autocomplete (select2) field; it shows its short name."""
    page.locator(f"#id_{field} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=SHOWN[text]).first.click()


def when(page, field, day, time="09:00:00"):
    page.locator(f"#id_{field}_0").fill(day)
    page.locator(f"#id_{field}_1").fill(time)


def money(page, field, amount, currency="EUR"):
    page.locator(f"#id_{field}_0").fill(amount)
    page.locator(f"#id_{field}_1").select_option(currency)


def save(page):
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def step(page, label, day, time="09:00:00"):
    """One workflow step from the process page, dated when it was first published."""
    page.locator("#workflow input[name=published_at_0]").fill(day)
    page.locator("#workflow input[name=published_at_1]").fill(time)
    page.get_by_role("button", name=f"Move to {label}").click()
    expect(page.locator(".messagelist")).to_contain_text(f"The process moved to {label}.")


def test_an_officer_runs_a_process_from_planning_to_completion(new_page, shoot, officer, orgs, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = new_page()
    admin_log_in(page, "officer")

    # Planning.
    page.goto("/admin/procurement/contractingprocess/add/")
    page.locator("#id_title").fill("A second quantum computer")
    pick(page, "buyer", "Chungbuk")
    pick(page, "procuring_entity", "Public Procurement")
    page.locator("#id_plan_number").fill("R25BD00000001")
    money(page, "budget", "4000000000", "KRW")
    when(page, "first_published_at", "2025-01-06")
    shoot(page, "procurement-process-add")
    save(page)
    process = ContractingProcess.objects.get(title="A second quantum computer")
    process_url = f"/admin/procurement/contractingprocess/{process.pk}/change/"
    page.goto(process_url)
    expect(page.locator("#workflow")).to_contain_text("A tender must be recorded before it can be published.")
    shoot(page, "procurement-process-planning")

    # The tender with an item, from the process page's link.
    page.get_by_role("link", name="Record the tender").click()
    expect(page.locator("#id_process")).to_have_value(str(process.pk))
    page.locator("#id_title").fill("Purchase of a 5-qubit quantum computer")
    money(page, "estimated_value", "2900000.00")
    when(page, "tender_start", "2025-02-03")
    when(page, "tender_end", "2025-03-03", "17:00:00")
    when(page, "first_published_at", "2025-01-20")
    page.locator("#id_items-0-description").fill("5-qubit superconducting quantum computer, installed")
    page.locator("#id_items-0-unit").fill("system")
    shoot(page, "procurement-tender-add")
    save(page)

    page.goto(process_url)
    step(page, "Tender", "2025-02-03")
    page.goto(f"/admin/procurement/tender/{process.tender.pk}/change/")
    expect(page.locator(".field-locked")).to_contain_text("changes only through an amendment")
    expect(page.locator("#id_title")).to_have_count(0)  # locked: read-only
    shoot(page, "procurement-tender-locked")

    # A bid, then evaluation.
    page.goto("/admin/procurement/bid/add/")
    page.locator("#id_tender").select_option(str(process.tender.pk))
    pick(page, "tenderer", "IQM")
    money(page, "value", "2850000.00")
    when(page, "submitted_at", "2025-02-20")
    page.locator("#id_rank").fill("1")
    when(page, "first_published_at", "2025-03-04")
    save(page)
    page.goto(process_url)
    step(page, "Evaluation", "2025-03-04", "10:00:00")

    # A guard that refuses: completion now shows its reason and changes nothing.
    shoot(page, "procurement-process-evaluation")
    page.get_by_role("link", name="Record an award").click()
    page.locator("#id_title").fill("Award to IQM")
    pick(page, "suppliers", "IQM")
    money(page, "value", "2850000.00")
    when(page, "date", "2025-03-14")
    when(page, "first_published_at", "2025-03-14")
    save(page)
    page.goto(process_url)
    step(page, "Awarded", "2025-03-14", "10:00:00")

    # The contract, a milestone, the signature.
    page.get_by_role("link", name="Record a contract").click()
    page.locator("#id_award").select_option(str(process.awards.get().pk))
    page.locator("#id_number").fill("R25TE00000005")
    page.locator("#id_title").fill("Supply and installation")
    money(page, "value", "2850000.00")
    page.locator("#id_period_start").fill("2025-04-01")
    page.locator("#id_period_end").fill("2026-03-31")
    when(page, "first_published_at", "2025-03-20")
    save(page)
    contract = process.contracts.get()
    contract_url = f"/admin/procurement/contract/{contract.pk}/change/"
    page.goto(contract_url)
    page.get_by_role("link", name="Add a milestone").click()
    page.locator("#id_code").fill("delivered")
    page.locator("#id_title").fill("Delivered and accepted")
    page.locator("#id_due_date").fill("2025-06-30")
    when(page, "first_published_at", "2025-03-20")
    save(page)
    page.goto(contract_url)
    page.locator("#sign-signed-on").fill("2025-03-28")
    page.locator("#signature input[name=first_published_at_0]").fill("2025-03-28")
    page.locator("#signature input[name=first_published_at_1]").fill("11:00:00")
    page.get_by_role("button", name="Sign the contract").click()
    expect(page.locator(".messagelist")).to_contain_text("The contract is signed.")
    expect(page.locator(".field-locked")).to_contain_text("signed")
    shoot(page, "procurement-contract-signed")

    page.goto(process_url)
    step(page, "Contracted", "2025-03-28", "11:00:00")
    step(page, "Implementation", "2025-04-01")
    page.get_by_role("button", name="Move to Completed").wait_for(state="detached")  # guard: not yet
    expect(page.locator("#workflow")).to_contain_text("Completion needs every milestone met.")

    # An amendment from the contract's locked field, prefilled.
    page.goto(contract_url)
    page.locator(".field-locked").get_by_role("link", name="Add an amendment").click()
    expect(page.locator("#id_contract")).to_have_value(str(contract.pk))
    page.locator("#id_rationale").fill("Two more training days")
    money(page, "value_change", "50000.00")
    when(page, "first_published_at", "2025-05-02")
    save(page)

    # The milestone met; payments with their exchange rate; one too many is refused with its reason.
    page.goto(f"/admin/procurement/milestone/{contract.milestones.get().pk}/change/")
    page.locator("#id_date_met").fill("2025-06-20")
    when(page, "first_published_at", "2025-06-20")
    save(page)
    for day, amount, rate in (("2025-06-25", "3000000.00", "1500"), ("2025-06-25", "2900000.00", "1500")):
        page.goto(f"/admin/procurement/payment/add/?contract={contract.pk}")
        page.locator("#id_date").fill(day)
        money(page, "value", amount)
        page.locator("#id_rate_to_krw").fill(rate)
        pick(page, "payer", "Chungbuk")
        pick(page, "payee", "IQM")
        when(page, "first_published_at", day)
        page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert contract.payments.get().krw_amount_minor == 4350000000

    # Documents: the checksum computed, a second version supersedes the first.
    for title, content, supersedes in (("Signed contract", PDF, None), ("Signed contract v2", PDF + b"%v2\n", True)):
        upload = tmp_path / f"{len(content)}.pdf"
        upload.write_bytes(content)
        page.goto(f"/admin/procurement/document/add/?process={process.pk}")
        page.locator("#id_stage").select_option("contract")
        page.locator("#id_document_type").select_option("contractSigned")
        page.locator("#id_title").fill(title)
        page.locator("#id_file").set_input_files(str(upload))
        if supersedes:
            page.locator("#id_supersedes").select_option(str(Document.objects.get().pk))
        when(page, "first_published_at", "2025-06-26")
        save(page)
    latest = Document.objects.get(supersedes__isnull=False)
    assert latest.sha256 == hashlib.sha256(PDF + b"%v2\n").hexdigest()
    page.goto(f"/admin/procurement/document/{latest.pk}/change/")
    expect(page.locator(".field-sha256")).to_contain_text(latest.sha256)

    page.goto(process_url)
    step(page, "Completed", "2025-07-01")
    shoot(page, "procurement-process-completed")
    dates = list(OcdsRelease.objects.filter(process=process).order_by("sequence").values_list("date", flat=True))
    assert dates == sorted(dates)
    assert dates[0] == dt.datetime(2025, 1, 6, 0, tzinfo=dt.UTC)
    assert services.release_chain_verify(process=process)


def test_the_key_pages_in_korean(new_page, shoot, officer, orgs, settings, tmp_path):
    officer.language = "ko"
    officer.save()
    process = services.process_create(
        user=officer, title="Quantum computer", buyer=orgs["buyer"], procuring_entity=orgs["agency"]
    )
    page = new_page()
    admin_log_in(page, "officer")
    page.goto(f"/admin/procurement/contractingprocess/{process.pk}/change/")
    expect(page.locator("#workflow")).to_contain_text("다음 단계")
    expect(page.locator("#workflow")).to_contain_text("입찰 기록")
    shoot(page, "procurement-process-ko")
    page.goto(f"/admin/procurement/tender/add/?process={process.pk}")
    expect(page.locator("body")).to_contain_text("최초 공개 일시")
    shoot(page, "procurement-tender-add-ko")
    page.goto("/admin/procurement/contractingprocess/add/")
    page.locator("#id_title").fill("미래 날짜")
    pick(page, "buyer", "Chungbuk")
    pick(page, "procuring_entity", "Public Procurement")
    when(page, "first_published_at", "2999-01-01")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .error")).to_contain_text("최초 공개 일시는 미래일 수 없습니다.")
    assert not ContractingProcess.objects.filter(title="미래 날짜").exists()
    shoot(page, "procurement-refusal-ko")
    phone = new_page(PHONE)
    admin_log_in(phone, "officer")
    phone.goto(f"/admin/procurement/contractingprocess/{process.pk}/change/")
    expect(phone.locator("#workflow")).to_be_visible()
    shoot(phone, "procurement-process-ko-phone")
