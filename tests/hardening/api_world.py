"""One small, complete data set for the API hardening tests (permissions, bad input) and a database snapshot.

`world` is module-scoped: it is built once per test module inside a transaction that is rolled back at the
end, and every test runs in its own savepoint on top of it (pytest-django's `db`), so a request that writes
changes nothing the next test sees. Time is frozen at `NOW` for the whole module.

Roles: anonymous, a researcher of project A, a researcher of project B, one user per staff group and a
superuser. Every API object exists once for project A and, where it matters, once for project B.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import FACILITY_MANAGERS, OFFICE_STAFF, PROCUREMENT_OFFICERS
from facility.choices import OrganizationKind
from procurement import services as procurement
from procurement.money import Money
from reports.choices import ReportKind
from scheduling.choices import BookingStatus, JobStatus
from scheduling.services import allocation_create, backend_create, membership_add, project_create
from tests.factories import (
    BookingFactory,
    EquipmentFactory,
    ExchangeRateFactory,
    JobFactory,
    MaintenanceWindowFactory,
    OfficeActivityFactory,
    OrganizationFactory,
    OutageFactory,
    RegionalOfficeFactory,
    ReportFactory,
    StaffFactory,
    UserFactory,
    WorkOrderFactory,
)

# A Monday, 00:00 UTC (09:00 in Seoul).
NOW = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
ROLES = ("anonymous", "researcher_a", "researcher_b", "facility_manager", "procurement_officer", "office_staff", "root")
SNAPSHOT_APPS = ("accounts", "facility", "procurement", "scheduling", "reports", "authtoken")
PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def at(hours: float = 0, days: float = 0) -> dt.datetime:
    return NOW + dt.timedelta(days=days, hours=hours)


@dataclass
class World:
    """Users by role and the objects of the data set by name (`world.booking_a`, `world.process`, ...)."""

    users: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None

    def client(self, role: str) -> APIClient:
        """A fresh API client for the role (token auth; anonymous has none)."""
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[role]}")
        return client


def _build_scheduling(world: World) -> None:
    o = world.objects
    qpu = EquipmentFactory()
    o["site"], o["equipment"] = qpu.site, qpu
    o["backend"] = backend = backend_create(name="spark", display_name="Spark", site=qpu.site, equipment=qpu)
    o["calibration"] = backend.calibrations.get()
    for side in ("a", "b"):
        user = world.users[f"researcher_{side}"]
        project = project_create(
            code=f"PRJ-{side.upper()}", title=f"Project {side}", institution=OrganizationFactory(), pi=user
        )
        membership_add(project=project, user=user, role="pi")
        o[f"allocation_{side}"] = allocation_create(
            project=project,
            backend=backend,
            hours=Decimal(100),
            valid_from=dt.date(2026, 1, 1),
            valid_until=dt.date(2026, 12, 31),
        )
        offset = 0 if side == "a" else 2
        o[f"project_{side}"] = project
        o[f"booking_{side}"] = booking = BookingFactory(
            backend=backend,
            project=project,
            user=user,
            starts_at=at(days=2, hours=offset),
            ends_at=at(days=2, hours=offset + 1),
            status=BookingStatus.CONFIRMED,
            charged_hours=Decimal(1),
        )
        o[f"job_{side}"] = JobFactory(
            booking=booking,
            qasm="OPENQASM 2.0;",
            status=JobStatus.QUEUED,
            submitted_at=NOW,
        )
        o[f"report_{side}"] = ReportFactory(
            kind=ReportKind.PROJECT_USAGE,
            params={"project": project.pk, "start": "2026-03-01", "end": "2026-04-01"},
            requester=user,
        )
    o["window"] = MaintenanceWindowFactory(backend=backend, starts_at=at(days=10), ends_at=at(days=10, hours=2))
    o["outage"] = OutageFactory(backend=backend, starts_at=at(days=-3), ends_at=at(days=-3, hours=1))


def _build_facility(world: World) -> None:
    o = world.objects
    o["organization"] = OrganizationFactory(name="Chungbuk National University")
    o["office"] = office = RegionalOfficeFactory()
    o["activity"] = OfficeActivityFactory(office=office, start=at(days=-7), end=at(days=-7, hours=2))
    o["work_order"] = WorkOrderFactory(equipment=o["equipment"], opened_at=at(days=-1))


def _build_procurement(world: World) -> None:
    o = world.objects
    user = world.users["procurement_officer"]
    buyer = OrganizationFactory(name="Buyer University", kind=OrganizationKind.UNIVERSITY)
    agency = OrganizationFactory(name="Procurement Agency", kind=OrganizationKind.GOVERNMENT)
    o["vendor"] = vendor = OrganizationFactory(name="Vendor Oy", kind=OrganizationKind.VENDOR, country="FI")
    eur = lambda amount: Money(Decimal(amount), "EUR")  # noqa: E731
    utc = lambda *args: dt.datetime(*args, tzinfo=dt.UTC)  # noqa: E731
    o["process"] = p = procurement.process_create(
        user=user,
        title="A quantum computer",
        buyer=buyer,
        procuring_entity=agency,
        budget=Money(Decimal("4000000000"), "KRW"),
        fiscal_year=2024,
    )
    o["tender"] = procurement.tender_create(
        process=p,
        user=user,
        title="Quantum computer tender",
        tender_start=utc(2024, 1, 1),
        tender_end=utc(2024, 2, 1),
        estimated_value=eur("1000000.00"),
        items=[{"description": "A 5-qubit QPU", "quantity": Decimal(1), "unit": "system"}],
    )
    procurement.process_transition(process=p, to="tender", user=user)
    o["bid"] = procurement.bid_create(
        tender=o["tender"], user=user, tenderer=vendor, value=eur("950000.00"), submitted_at=utc(2024, 1, 20), rank=1
    )
    procurement.process_transition(process=p, to="evaluation", user=user)
    o["award"] = award = procurement.award_create(
        process=p, user=user, suppliers=[o["vendor"]], value=eur("950000.00"), date=utc(2024, 3, 1)
    )
    procurement.process_transition(process=p, to="awarded", user=user)
    award.refresh_from_db()
    o["contract"] = contract = procurement.contract_create(
        award=award,
        user=user,
        title="Supply contract",
        number="C-1",
        value=eur("950000.00"),
        period_start=dt.date(2024, 4, 1),
        period_end=dt.date(2025, 3, 31),
    )
    o["milestone"] = procurement.milestone_create(
        contract=contract, user=user, code="delivered", title="Delivered", due_date=dt.date(2024, 6, 1)
    )
    procurement.process_transition(process=p, to="contracted", user=user)
    procurement.contract_sign(contract=contract, user=user, signed_on=dt.date(2024, 3, 15))
    procurement.process_transition(process=p, to="implementation", user=user)
    o["rate"] = ExchangeRateFactory(date=dt.date(2024, 6, 1), rate_to_krw=Decimal("1470.00"))
    o["payment"] = procurement.payment_create(
        contract=contract,
        user=user,
        date=dt.date(2024, 6, 5),
        value=eur("100000.00"),
        payer=buyer,
        payee=vendor,
        method="wire_transfer",
    )
    o["amendment"] = procurement.amendment_create(
        user=user, contract=contract, rationale="Extra warranty year", new_period_end=dt.date(2026, 3, 31)
    )
    o["document"] = procurement.document_create(
        process=p,
        user=user,
        file=SimpleUploadedFile("contract.pdf", PDF_BYTES, content_type="application/pdf"),
        stage="contract",
        document_type="contractSigned",
        title="Signed contract",
    )


def build_world() -> World:
    users = {
        "anonymous": None,
        "researcher_a": UserFactory(username="researcher_a"),
        "researcher_b": UserFactory(username="researcher_b"),
        "facility_manager": StaffFactory(username="fm", groups=[FACILITY_MANAGERS]),
        "procurement_officer": StaffFactory(username="po", groups=[PROCUREMENT_OFFICERS]),
        "office_staff": StaffFactory(username="os", groups=[OFFICE_STAFF]),
        "root": StaffFactory(username="root", is_superuser=True),
    }
    world = World(users=users)
    _build_scheduling(world)
    _build_facility(world)
    _build_procurement(world)
    for role, user in users.items():
        if user is not None:
            world.tokens[role] = Token.objects.create(user=user).key
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The data set, built once per module in a transaction rolled back afterwards."""
    traveller = time_machine.travel(NOW, tick=False)
    traveller.start()
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)
    finally:
        traveller.stop()


def db_snapshot() -> dict[str, tuple[int, str]]:
    """Row count and an MD5 of the ordered rows of every table of the project's apps (cheap at test size)."""
    result: dict[str, tuple[int, str]] = {}
    for app_label in SNAPSHOT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            rows = list(model._default_manager.order_by("pk").values())
            payload = json.dumps(rows, cls=DjangoJSONEncoder, sort_keys=True, default=str)
            result[model._meta.label] = (len(rows), hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest())
    return result
