import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings

from core.errors import DomainError
from procurement import services
from procurement.models import (
    Amendment,
    Award,
    Bid,
    ChangeRecord,
    Contract,
    ContractingProcess,
    OcdsRelease,
    Payment,
    Tender,
)
from procurement.money import CurrencyMismatchError, Money
from tests.support import eur, utc

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (ContractingProcess, Tender, Bid, Award, Contract, Payment, Amendment, OcdsRelease, ChangeRecord)
    }


def assert_refused(fn, code, **kwargs):
    """`fn` raises DomainError `code` and changes nothing."""
    before = counts()
    with pytest.raises(DomainError) as info:
        fn(**kwargs)
    assert info.value.code == code
    assert counts() == before
    return info.value


def test_process_create_sets_ocid_history_and_planning_release(build_process):
    built = build_process("planning")
    process = built.process
    assert process.ocid == f"ocds-qfr001-{process.pk}"
    assert process.numbers["plan"] == "P-1"
    assert process.budget == Money(Decimal(4000000000), "KRW")
    releases = list(process.releases.order_by("sequence"))
    assert releases[0].tags == ["planning"]
    assert releases[1].tags == ["planningUpdate"]  # the tender recorded in planning
    assert ChangeRecord.objects.filter(process=process, object_type="ContractingProcess", field="title").exists()


@override_settings(OCDS_PREFIX="ocds-abc123")
def test_ocid_uses_the_configured_prefix(build_process):
    assert build_process("planning").process.ocid.startswith("ocds-abc123-")


def test_full_workflow_reaches_completed(build_process):
    built = build_process("completed")
    assert built.process.status == "completed"
    assert built.contract.status == "terminated"
    assert built.tender.status == "complete"
    assert built.award.status == "active"
    tags = [r.tags for r in built.process.releases.order_by("sequence")]
    for expected in ("planning", "tender", "award", "contract", "implementation", "contractTermination"):
        assert [expected] in tags
    assert services.release_chain_verify(process=built.process)


def test_illegal_step_answers_invalid_transition_with_allowed_and_changes_nothing(build_process):
    built = build_process("planning")
    error = assert_refused(
        services.process_transition, "invalid_transition", process=built.process, to="awarded", user=built.user
    )
    assert error.extra["allowed"] == ["tender", "cancelled", "unsuccessful"]
    built.process.refresh_from_db()
    assert built.process.status == "planning"


def test_unknown_status_is_an_invalid_transition(build_process):
    built = build_process("planning")
    assert_refused(services.process_transition, "invalid_transition", process=built.process, to="bogus", user=None)


def test_tender_needs_a_tender_period(build_process):
    built = build_process("planning")
    Tender.objects.filter(pk=built.tender.pk).update(tender_end=None)
    error = assert_refused(
        services.process_transition, "invalid_transition", process=built.process, to="tender", user=None
    )
    assert "tender period" in error.detail
    assert "tender" not in error.extra["allowed"]


def test_tender_needs_a_tender(orgs):
    process = services.process_create(user=None, title="t", buyer=orgs["buyer"], procuring_entity=orgs["agency"])
    assert_refused(services.process_transition, "invalid_transition", process=process, to="tender", user=None)


def test_evaluation_starts_after_the_tender_period_ends(build_process):
    built = build_process("tender")
    with time_machine.travel(utc(2024, 1, 31, 23), tick=False):
        assert_refused(
            services.process_transition, "invalid_transition", process=built.process, to="evaluation", user=None
        )
    with time_machine.travel(utc(2024, 2, 1), tick=False):
        services.process_transition(process=built.process, to="evaluation", user=None)


def test_award_needs_a_valid_bid_from_its_supplier(build_process):
    built = build_process("evaluation")
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.award_create(process=built.process, user=None, suppliers=[built.rival], value=eur("1.00"))
    assert "suppliers" in info.value.message_dict
    assert counts() == before


def test_awarded_step_rechecks_the_bid(build_process):
    built = build_process("evaluation")
    services.bid_update(bid=built.bid, user=None, status="disqualified")
    error = assert_refused(
        services.process_transition, "invalid_transition", process=built.process, to="awarded", user=None
    )
    assert "valid bid" in error.detail


def test_contract_needs_an_active_award(build_process):
    built = build_process("awarded")
    Award.objects.filter(pk=built.award.pk).update(status="pending")
    with pytest.raises(ValidationError, match="active award"):
        services.contract_create(award=built.award, user=None, title="x", value=eur("1.00"))


def test_contract_value_may_not_exceed_the_award(build_process):
    built = build_process("awarded")
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.contract_create(award=built.award, user=None, title="x", value=eur("950000.01"))
    assert "value" in info.value.message_dict
    assert counts() == before


def test_contracted_needs_a_contract(build_process):
    built = build_process("evaluation")
    services.process_transition(process=built.process, to="awarded", user=None)
    assert_refused(services.process_transition, "invalid_transition", process=built.process, to="contracted", user=None)


def test_implementation_needs_a_signed_contract(build_process):
    built = build_process("contracted", sign=False)
    error = assert_refused(
        services.process_transition, "invalid_transition", process=built.process, to="implementation", user=None
    )
    assert error.extra["allowed"] == []


def test_completion_needs_every_milestone_met(build_process):
    built = build_process("implementation")
    services.payment_create(
        contract=built.contract,
        user=None,
        date=dt.date(2024, 6, 5),
        value=eur("950000.00"),
        payer=built.buyer,
        payee=built.vendor,
    )
    error = assert_refused(
        services.process_transition, "invalid_transition", process=built.process, to="completed", user=None
    )
    assert "milestone" in error.detail


def test_completion_needs_payments_equal_to_the_contract_value(build_process):
    built = build_process("implementation")
    services.milestone_update(milestone=built.milestone, user=None, date_met=dt.date(2024, 6, 1))
    services.payment_create(
        contract=built.contract,
        user=None,
        date=dt.date(2024, 6, 5),
        value=eur("900000.00"),
        payer=built.buyer,
        payee=built.vendor,
    )
    error = assert_refused(
        services.process_transition, "invalid_transition", process=built.process, to="completed", user=None
    )
    assert "payments" in error.detail


@pytest.mark.parametrize("stage", ["planning", "tender", "evaluation", "awarded"])
@pytest.mark.parametrize("to", ["cancelled", "unsuccessful"])
def test_cancelled_or_unsuccessful_from_any_step_before_contracted(build_process, stage, to):
    built = build_process(stage)
    services.process_transition(process=built.process, to=to, user=built.user, note="why")
    built.process.refresh_from_db()
    built.tender.refresh_from_db()
    assert built.process.status == to
    assert built.tender.status == to
    assert built.process.releases.order_by("-sequence").first().tags in (
        ["tenderCancellation"],
        ["tenderUpdate"],
        ["tender"],
    )


@pytest.mark.parametrize("stage", ["contracted", "implementation", "completed"])
def test_no_cancellation_from_contracted_on(build_process, stage):
    built = build_process(stage)
    assert_refused(services.process_transition, "invalid_transition", process=built.process, to="cancelled", user=None)


def test_payment_beyond_the_contract_value_is_refused(build_process):
    built = build_process("implementation")
    services.payment_create(
        contract=built.contract,
        user=None,
        date=dt.date(2024, 6, 5),
        value=eur("900000.00"),
        payer=built.buyer,
        payee=built.vendor,
    )
    error = assert_refused(
        services.payment_create,
        "payment_exceeds_contract",
        contract=built.contract,
        user=None,
        date=dt.date(2024, 6, 6),
        value=eur("50000.01"),
        payer=built.buyer,
        payee=built.vendor,
    )
    assert error.extra["contract_value"] == {"amount": "950000.00", "currency": "EUR"}
    assert error.extra["paid"] == {"amount": "900000.00", "currency": "EUR"}


def test_payment_allowed_after_a_value_amendment(build_process):
    built = build_process("implementation")
    services.amendment_create(
        user=built.user, contract=built.contract, rationale="Extra training", value_change=eur("50000.00")
    )
    payment = services.payment_create(
        contract=built.contract,
        user=None,
        date=dt.date(2024, 6, 5),
        value=eur("1000000.00"),
        payer=built.buyer,
        payee=built.vendor,
    )
    assert payment.krw_amount == Money(Decimal("1470000000"), "KRW")
    assert payment.rate_to_krw == Decimal("1470.00")
    assert payment.exchange_rate is not None


def test_payment_in_another_currency_or_without_rate_is_refused(build_process):
    built = build_process("implementation")
    with pytest.raises(ValidationError, match="contract currency"):
        services.payment_create(
            contract=built.contract,
            user=None,
            date=dt.date(2024, 6, 5),
            value=Money(Decimal(1), "KRW"),
            payer=built.buyer,
            payee=built.vendor,
        )
    with pytest.raises(ValidationError, match="exchange rate"):
        services.payment_create(
            contract=built.contract,
            user=None,
            date=dt.date(2024, 5, 31),
            value=eur("1.00"),
            payer=built.buyer,
            payee=built.vendor,
        )
    assert Payment.objects.count() == 0


def test_published_tender_locked_fields_need_an_amendment(build_process):
    built = build_process("tender")
    error = assert_refused(
        services.tender_update, "amendment_required", tender=built.tender, user=None, tender_end=utc(2024, 3, 1)
    )
    assert error.extra["fields"] == ["tender_end"]
    assert_refused(
        services.tender_update, "amendment_required", tender=built.tender, user=None, estimated_value=eur("2.00")
    )
    assert_refused(services.tender_item_create, "amendment_required", tender=built.tender, user=None, description="x")
    built.tender.refresh_from_db()
    assert built.tender.tender_end == utc(2024, 2, 1)


def test_unpublished_tender_is_edited_directly(build_process):
    built = build_process("planning")
    services.tender_update(tender=built.tender, user=built.user, title="New title")
    assert ChangeRecord.objects.filter(field="title", new="New title", user=built.user).exists()


def test_signed_contract_locked_fields_need_an_amendment(build_process):
    built = build_process("contracted")
    assert_refused(
        services.contract_update, "amendment_required", contract=built.contract, user=None, value=eur("1.00")
    )
    assert_refused(
        services.contract_update,
        "amendment_required",
        contract=built.contract,
        user=None,
        period_end=dt.date(2026, 1, 1),
    )
    services.contract_update(contract=built.contract, user=None, title="Renamed")  # not locked


def test_contract_amendment_records_rationale_change_and_release(build_process):
    built = build_process("implementation")
    amendment = services.amendment_create(
        user=built.user,
        contract=built.contract,
        rationale="Delivery delayed by the carrier",
        value_change=eur("10000.00"),
        new_period_end=dt.date(2025, 6, 30),
    )
    built.contract.refresh_from_db()
    assert built.contract.value == eur("960000.00")
    assert built.contract.period_end == dt.date(2025, 6, 30)
    assert {c["property"] for c in amendment.changes} == {"value", "period_end"}
    release = built.process.releases.order_by("-sequence").first()
    assert release.tags == ["contractAmendment"]
    assert release.release_id == amendment.release_id
    assert amendment.amends_release_id
    contract_payload = release.payload["contracts"][0]
    assert contract_payload["value"] == {"amount": 960000, "currency": "EUR"}
    assert contract_payload["amendments"][0]["rationale"] == "Delivery delayed by the carrier"
    assert ChangeRecord.objects.filter(object_type="Contract", field="value", action="amendment").exists()


def test_tender_amendment_extends_the_period(build_process):
    built = build_process("tender")
    services.amendment_create(
        user=None, tender=built.tender, rationale="More time", new_period_end=dt.date(2024, 2, 10)
    )
    built.tender.refresh_from_db()
    assert built.tender.tender_end == utc(2024, 2, 10)
    assert built.process.releases.order_by("-sequence").first().tags == ["tenderAmendment"]


def test_amendment_guards(build_process):
    built = build_process("contracted", sign=False)
    with pytest.raises(ValidationError, match="unsigned"):
        services.amendment_create(user=None, contract=built.contract, rationale="x", value_change=eur("1.00"))
    services.contract_sign(contract=built.contract, user=None, signed_on=dt.date(2024, 3, 15))
    with pytest.raises(ValidationError):
        services.amendment_create(user=None, contract=built.contract, rationale="  ", value_change=eur("1.00"))
    with pytest.raises(CurrencyMismatchError):
        services.amendment_create(
            user=None, contract=built.contract, rationale="x", value_change=Money(Decimal(1), "KRW")
        )
    assert Amendment.objects.count() == 0


def test_bid_must_be_inside_the_tender_period(build_process):
    built = build_process("tender")
    with pytest.raises(ValidationError):
        services.bid_create(
            tender=built.tender, user=None, tenderer=built.rival, value=eur("1.00"), submitted_at=utc(2024, 2, 2)
        )


def test_closed_process_is_read_only(build_process):
    built = build_process("completed")
    assert_refused(services.process_update, "invalid_transition", process=built.process, user=None, title="x")
    assert_refused(services.milestone_update, "invalid_transition", milestone=built.milestone, user=None, title="x")


def test_history_keeps_who_when_old_and_new(build_process):
    built = build_process("tender")
    services.process_update(process=built.process, user=built.user, title="Renamed")
    record = ChangeRecord.objects.filter(field="title", object_type="ContractingProcess").order_by("-id").first()
    assert (record.old, record.new, record.user) == ("A quantum computer", "Renamed", built.user)
    status = ChangeRecord.objects.filter(field="status", object_type="ContractingProcess", action="transition").first()
    assert (status.old, status.new) == ("planning", "tender")


def test_release_chain_detects_tampering(build_process):
    built = build_process("awarded")
    assert services.release_chain_verify(process=built.process)
    release = built.process.releases.order_by("sequence")[1]
    payload = release.payload
    payload["tender"]["title"] = "Tampered"
    OcdsRelease.objects.filter(pk=release.pk).update(payload=payload)
    assert not services.release_chain_verify(process=built.process)


def test_release_hash_chains_to_previous(build_process):
    built = build_process("tender")
    releases = list(built.process.releases.order_by("sequence"))
    assert releases[0].previous_sha256 == ""
    for previous, current in itertools.pairwise(releases):
        assert current.previous_sha256 == previous.sha256
    assert len({r.release_id for r in releases}) == len(releases)
