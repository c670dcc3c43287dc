"""A contracting process built through the services up to any stage."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from facility.choices import OrganizationKind
from procurement import services
from procurement.money import Money
from tests.factories import ExchangeRateFactory, OrganizationFactory
from tests.support import eur, utc

STAGES = ["planning", "tender", "evaluation", "awarded", "contracted", "implementation", "completed"]


@dataclass
class Built:
    """What `build_process` made, by name."""

    process: Any
    buyer: Any
    agency: Any
    vendor: Any
    rival: Any
    user: Any
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def orgs(db):
    return {
        "buyer": OrganizationFactory(name="Buyer University", kind=OrganizationKind.UNIVERSITY),
        "agency": OrganizationFactory(name="Procurement Agency", kind=OrganizationKind.GOVERNMENT),
        "vendor": OrganizationFactory(name="Vendor Oy", kind=OrganizationKind.VENDOR, country="FI"),
        "rival": OrganizationFactory(name="Rival Inc", kind=OrganizationKind.VENDOR, country="US"),
    }


@pytest.fixture
def build_process(orgs, procurement_officer):
    """`build_process("awarded")` returns a Built whose process is at that stage, made by the services."""

    def build(stage: str = "planning", *, sign: bool = True, pay: bool = True) -> Built:
        user = procurement_officer
        built = Built(
            process=services.process_create(
                user=user,
                title="A quantum computer",
                buyer=orgs["buyer"],
                procuring_entity=orgs["agency"],
                foreign_procurement=True,
                numbers={"plan": "P-1", "notice": "N-1", "notice_order": "00"},
                budget=Money(Decimal("4000000000"), "KRW"),
                fiscal_year=2024,
            ),
            user=user,
            **orgs,
        )
        p = built.process
        target = STAGES.index(stage)
        built.objects["tender"] = services.tender_create(
            process=p,
            user=user,
            title="Quantum computer tender",
            tender_start=utc(2024, 1, 1),
            tender_end=utc(2024, 2, 1),
            estimated_value=eur("1000000.00"),
            items=[{"description": "A 5-qubit QPU", "quantity": Decimal(1), "unit": "system"}],
        )
        if target >= 1:
            services.process_transition(process=p, to="tender", user=user)
            built.objects["bid"] = services.bid_create(
                tender=built.tender,
                user=user,
                tenderer=orgs["vendor"],
                value=eur("950000.00"),
                submitted_at=utc(2024, 1, 20),
                rank=1,
            )
        if target >= 2:
            services.process_transition(process=p, to="evaluation", user=user)
            built.objects["award"] = services.award_create(
                process=p, user=user, suppliers=[orgs["vendor"]], value=eur("950000.00"), date=utc(2024, 3, 1)
            )
        if target >= 3:
            services.process_transition(process=p, to="awarded", user=user)
            built.award.refresh_from_db()
            built.objects["contract"] = services.contract_create(
                award=built.award,
                user=user,
                title="Supply contract",
                number="C-1",
                value=eur("950000.00"),
                period_start=dt.date(2024, 4, 1),
                period_end=dt.date(2025, 3, 31),
            )
            built.objects["milestone"] = services.milestone_create(
                contract=built.contract, user=user, code="delivered", title="Delivered", due_date=dt.date(2024, 6, 1)
            )
        if target >= 4:
            services.process_transition(process=p, to="contracted", user=user)
            if sign:
                services.contract_sign(contract=built.contract, user=user, signed_on=dt.date(2024, 3, 15))
        if target >= 5:
            services.process_transition(process=p, to="implementation", user=user)
            ExchangeRateFactory(date=dt.date(2024, 6, 1), rate_to_krw=Decimal("1470.00"))
        if target >= 6:
            services.milestone_update(milestone=built.milestone, user=user, date_met=dt.date(2024, 6, 1))
            if pay:
                built.objects["payment"] = services.payment_create(
                    contract=built.contract,
                    user=user,
                    date=dt.date(2024, 6, 5),
                    value=eur("950000.00"),
                    payer=orgs["buyer"],
                    payee=orgs["vendor"],
                    method="wire_transfer",
                )
            services.process_transition(process=p, to="completed", user=user)
        p.refresh_from_db()
        for obj in built.objects.values():
            obj.refresh_from_db()
        return built

    return build
