"""Demo data of the procurement app: the IQM Spark's procurement as a completed process, built by the services.

Every step is recorded as it was published in 2024-2025 (`published_at`), so its OCDS release carries that date
and the releases are dated in the order the story happened. Every amount, rate, number and date not given by the
story is illustrative and labelled so in the records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import PROCUREMENT_OFFICERS
from facility.models import Organization
from procurement import services
from procurement.choices import (
    AwardCriteria,
    MilestoneType,
    PaymentMethod,
    ProcessStatus,
    ProcurementCategory,
    ProcurementMethod,
)
from procurement.models import Contract, ContractingProcess, ExchangeRate, Milestone
from procurement.money import Money

TITLE = "IQM Spark 5-qubit superconducting quantum computer for the ChungBuk Quantum Research Center"
ILLUSTRATIVE = "Illustrative demo record: amounts, rates, numbers and dates are not the real ones."
RATE_SOURCE = "Illustrative demo rate (not a published rate)"
# The demo's procurement officer: staff with only the procurement permissions (README, quick start).
OFFICER_USERNAME = "sora.kang"
OFFICER_PASSWORD = "procurement"  # noqa: S105  (the embedded demo only)

# (date, EUR rate to KRW), illustrative
RATES = [
    (dt.date(2024, 9, 16), Decimal("1475.20")),
    (dt.date(2024, 11, 25), Decimal("1460.85")),
    (dt.date(2025, 12, 1), Decimal("1520.40")),
]


def _utc(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def _day(day: dt.date) -> dt.datetime:
    """A step published on `day`: 10:00 in Seoul."""
    return _utc(day.year, day.month, day.day, 1)


def _org(name: str) -> Organization:
    return Organization.objects.get(name=name)


@transaction.atomic
def seed(log: Callable[[str], object]) -> None:
    """The procurement officer and the Spark's procurement, from budget to final payment (idempotent: what exists
    is skipped)."""
    for date, rate in RATES:
        ExchangeRate.objects.get_or_create(
            date=date, currency="EUR", defaults={"rate_to_krw": rate, "source": RATE_SOURCE}
        )
    try:
        cbnu = _org("Chungbuk National University")
        pps = _org("Public Procurement Service")
        iqm = _org("IQM Quantum Computers")
    except Organization.DoesNotExist:
        log("Skipped procurement demo: the facility organisations are missing (seed facility first).")
        return
    _seed_officer(cbnu, log)
    if ContractingProcess.objects.filter(title=TITLE).exists():
        log("The Spark's procurement is already in place.")
        return
    process = _seed_plan(cbnu=cbnu, pps=pps)
    _seed_tender(process, iqm=iqm)
    contract, milestones = _seed_award_and_contract(process, iqm=iqm)
    _seed_implementation(process, contract, milestones, cbnu=cbnu, iqm=iqm)
    log(f"Created the Spark's procurement {process.ocid} (completed; illustrative values).")


def _seed_officer(institution: Organization, log: Callable[[str], object]) -> None:
    """A procurement officer of the university who signs in to the admin with only the procurement permissions."""
    if User.objects.filter(username=OFFICER_USERNAME).exists():
        return
    officer = User(
        username=OFFICER_USERNAME,
        email=f"{OFFICER_USERNAME}@example.org",
        full_name="Sora Kang",
        institution=institution,
        time_zone="Asia/Seoul",
        is_staff=True,
    )
    officer.set_password(OFFICER_PASSWORD)
    officer.full_clean()
    officer.save()
    officer.groups.add(Group.objects.get(name=PROCUREMENT_OFFICERS))
    log(f"Created the procurement officer {OFFICER_USERNAME!r} (password {OFFICER_PASSWORD!r}).")


def _seed_plan(*, cbnu: Organization, pps: Organization) -> ContractingProcess:
    """Planning: the process, its budget and its procurement numbers."""
    return services.process_create(
        user=None,
        title=TITLE,
        description="Foreign procurement of an on-premises superconducting quantum computer (IQM Spark).",
        buyer=cbnu,
        procuring_entity=pps,
        main_category=ProcurementCategory.GOODS,
        method=ProcurementMethod.OPEN,
        method_details="International open competitive bidding through the Public Procurement Service (illustrative)",
        foreign_procurement=True,
        international_tender=True,
        numbers={
            "plan": "R24BD00000001",
            "request": "R24BK00000002",
            "prespec": "R24BD00000003",
            "notice": "R24BK00000004",
            "notice_order": "000",
            "contract": "R24TE00000005",
        },
        budget=Money(Decimal("4500000000"), "KRW"),
        fiscal_year=2024,
        funding_source="Government research equipment grant (illustrative)",
        project_name="ChungBuk Quantum Research Center quantum computing infrastructure",
        notes=ILLUSTRATIVE,
        published_at=_utc(2024, 2, 15, 1),  # the procurement plan
    )


def _seed_tender(process: ContractingProcess, *, iqm: Organization) -> None:
    """The tender, its extension by amendment, and IQM's bid; the process moves to evaluation."""
    tender = services.tender_create(
        process=process,
        user=None,
        title="Purchase of a 5-qubit superconducting quantum computer",
        description="Quantum processor, cryostat, control electronics, installation, training and warranty.",
        tender_start=_utc(2024, 4, 1, 0),
        tender_end=_utc(2024, 5, 10, 8),
        enquiry_start=_utc(2024, 4, 1, 0),
        enquiry_end=_utc(2024, 4, 20, 8),
        estimated_value=Money(Decimal("2900000.00"), "EUR"),
        award_criteria=AwardCriteria.RATED_CRITERIA,
        items=[
            {
                "description": "5-qubit superconducting quantum computer (IQM Spark class), installed",
                "classification_scheme": "UNSPSC",
                "classification_id": "43211500",
                "classification_description": "Computers",
                "quantity": Decimal(1),
                "unit": "system",
            }
        ],
        published_at=_utc(2024, 3, 11, 1),  # the pre-specification
    )
    services.process_transition(
        process=process, to=ProcessStatus.TENDER, user=None, note=ILLUSTRATIVE, published_at=_utc(2024, 4, 1, 0)
    )
    services.amendment_create(
        user=None,
        tender=tender,
        rationale="Bidders asked for more time to prepare the site requirements (illustrative).",
        description="Tender period extended by one week.",
        new_period_end=dt.date(2024, 5, 17),
        date=_utc(2024, 4, 25, 1),
        published_at=_utc(2024, 4, 25, 1),
    )
    services.bid_create(
        tender=tender,
        user=None,
        tenderer=iqm,
        value=Money(Decimal("2850000.00"), "EUR"),
        submitted_at=_utc(2024, 5, 15, 2),
        rank=1,
        published_at=_utc(2024, 5, 17, 9),  # the bid opening, after the tender period
    )
    services.process_transition(
        process=process, to=ProcessStatus.EVALUATION, user=None, published_at=_utc(2024, 5, 17, 9)
    )


def _seed_award_and_contract(
    process: ContractingProcess, *, iqm: Organization
) -> tuple[Contract, dict[str, Milestone]]:
    """The award to IQM and the contract with its milestones (unsigned)."""
    award = services.award_create(
        process=process,
        user=None,
        title="Award to IQM Quantum Computers",
        suppliers=[iqm],
        value=Money(Decimal("2850000.00"), "EUR"),
        date=_utc(2024, 6, 14, 6),
        published_at=_utc(2024, 6, 14, 6),
    )
    services.process_transition(process=process, to=ProcessStatus.AWARDED, user=None, published_at=_utc(2024, 6, 14, 7))
    contract = services.contract_create(
        award=award,
        user=None,
        title="Supply and installation of an IQM Spark quantum computer",
        number="R24TE00000005",
        value=Money(Decimal("2850000.00"), "EUR"),
        period_start=dt.date(2024, 7, 1),
        period_end=dt.date(2025, 11, 30),
        published_at=_utc(2024, 6, 21, 1),
    )
    milestones = {
        code: services.milestone_create(
            contract=contract,
            user=None,
            code=code,
            title=title,
            type=kind,
            due_date=due,
            published_at=_utc(2024, 6, 21, 1),
        )
        for code, title, kind, due in [
            ("delivered", "Delivered to the research centre", MilestoneType.DELIVERY, dt.date(2024, 9, 30)),
            ("installed", "Installed and cooled down", MilestoneType.DELIVERY, dt.date(2024, 10, 31)),
            ("site_acceptance", "Site acceptance test passed", MilestoneType.ASSESSMENT, dt.date(2024, 11, 29)),
            ("warranty_end", "Warranty period ended", MilestoneType.REPORTING, dt.date(2025, 11, 30)),
        ]
    }
    return contract, milestones


def _seed_implementation(
    process: ContractingProcess,
    contract: Contract,
    milestones: dict[str, Milestone],
    *,
    cbnu: Organization,
    iqm: Organization,
) -> None:
    """Signing, a value amendment, milestones met and the three payments, up to completion, in the story's order."""
    services.contract_sign(
        contract=contract, user=None, signed_on=dt.date(2024, 6, 28), published_at=_utc(2024, 6, 28, 5)
    )
    services.process_transition(
        process=process, to=ProcessStatus.CONTRACTED, user=None, published_at=_utc(2024, 6, 28, 5)
    )
    services.process_transition(
        process=process, to=ProcessStatus.IMPLEMENTATION, user=None, published_at=_utc(2024, 7, 1, 0)
    )
    services.amendment_create(
        user=None,
        contract=contract,
        rationale="Additional on-site training for researchers (illustrative).",
        description="Contract value increased for two additional training days.",
        value_change=Money(Decimal("50000.00"), "EUR"),
        date=_utc(2024, 8, 20, 1),
        published_at=_utc(2024, 8, 20, 1),
    )
    # (milestone met on, payment on and its amount), oldest first: each step is released when it was published.
    steps: list[tuple[str, dt.date, tuple[dt.date, str] | None]] = [
        ("delivered", dt.date(2024, 9, 16), (dt.date(2024, 9, 20), "870000.00")),
        ("installed", dt.date(2024, 10, 25), None),
        ("site_acceptance", dt.date(2024, 11, 25), (dt.date(2024, 11, 28), "1740000.00")),
        ("warranty_end", dt.date(2025, 11, 30), (dt.date(2025, 12, 3), "290000.00")),
    ]
    for code, met, payment in steps:
        services.milestone_update(milestone=milestones[code], user=None, date_met=met, published_at=_day(met))
        if payment is None:
            continue
        date, amount = payment
        services.payment_create(
            contract=contract,
            user=None,
            date=date,
            value=Money(Decimal(amount), "EUR"),
            payer=cbnu,
            payee=iqm,
            method=PaymentMethod.LETTER_OF_CREDIT,
            milestone=milestones[code],
            notes=ILLUSTRATIVE,
            published_at=_day(date),
        )
    services.process_transition(
        process=process, to=ProcessStatus.COMPLETED, user=None, published_at=_utc(2025, 12, 5, 1)
    )
