import datetime as dt

import pytest

from procurement import services
from procurement.demo import seed as procurement_seed
from procurement.models import ChangeRecord, ContractingProcess, OcdsRelease
from procurement.ocds import validator
from procurement.ocds.builder import record_package
from procurement.selectors import procurement_summary, release_list
from tests.support import eur

pytestmark = pytest.mark.django_db


def test_summary_values_paid_and_late_milestones(build_process):
    built = build_process("implementation")
    services.payment_create(
        contract=built.contract,
        user=None,
        date=dt.date(2024, 6, 5),
        value=eur("190000.00"),
        payer=built.buyer,
        payee=built.vendor,
    )
    (row,) = procurement_summary(as_of=dt.date(2024, 7, 1))
    assert row["stage"] == "implementation"
    assert row["currency"] == "EUR"
    assert row["contract_value"] == {"amount": "950000.00", "currency": "EUR"}
    assert row["contract_value_krw"] == {"amount": "1396500000", "currency": "KRW"}
    assert row["paid"] == {"amount": "190000.00", "currency": "EUR"}
    assert row["paid_krw"] == {"amount": "279300000", "currency": "KRW"}
    assert row["remaining"] == {"amount": "760000.00", "currency": "EUR"}
    assert row["paid_ratio"] == "0.2000"
    assert row["milestones_late"] == 1  # due 2024-06-01, not met by 2024-07-01
    assert procurement_summary(as_of=dt.date(2024, 5, 1))[0]["milestones_late"] == 0


def test_summary_of_a_process_without_contract(build_process):
    build_process("planning")
    (row,) = procurement_summary()
    assert row["contract_value"] is None
    assert row["paid"] == {"amount": "0", "currency": "KRW"}


def test_summary_queries_are_constant(build_process, django_assert_max_num_queries):
    build_process("completed")
    build_process("completed")
    build_process("tender")
    with django_assert_max_num_queries(8):
        assert len(procurement_summary()) == 3


def _seed_facility():
    from facility.demo import seed

    seed(lambda message: None)


def test_demo_is_a_completed_valid_process_and_idempotent():
    _seed_facility()
    procurement_seed(lambda message: None)
    counts = (ContractingProcess.objects.count(), OcdsRelease.objects.count(), ChangeRecord.objects.count())
    procurement_seed(lambda message: None)
    assert (ContractingProcess.objects.count(), OcdsRelease.objects.count(), ChangeRecord.objects.count()) == counts
    process = ContractingProcess.objects.get()
    assert process.status == "completed"
    assert process.foreign_procurement
    contract = process.contracts.get()
    assert contract.value_currency == "EUR"
    assert sorted(contract.milestones.values_list("code", flat=True)) == [
        "delivered",
        "installed",
        "site_acceptance",
        "warranty_end",
    ]
    assert all(p.krw_amount_minor > 0 for p in contract.payments.all())
    assert "Illustrative" in process.notes
    assert services.release_chain_verify(process=process)
    package = record_package(release_list(), uri="https://example.org/records.json")
    assert validator.validate_record_package(package) == []
    (row,) = procurement_summary(as_of=dt.date(2026, 1, 1))
    assert row["remaining"] == {"amount": "0.00", "currency": "EUR"}
