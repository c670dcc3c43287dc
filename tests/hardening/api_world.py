"""One small, complete data set for the API hardening tests (permissions, bad input) and a database snapshot.

`world` is module-scoped: it is built once per test module inside a transaction that is rolled back at the
end, and every test runs in its own savepoint on top of it (pytest-django's `db`), so a request that writes
changes nothing the next test sees. Time is frozen at `NOW` for the whole module.

Roles: anonymous, a researcher of project A, a researcher of project B, one user per staff group and a
superuser. Every API object exists once for project A and, where it matters, once for project B.
"""

from __future__ import annotations

import datetime as dt
import functools
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
    WaitlistEntryFactory,
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
        o[f"user_{side}"] = user
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
        # Each side waits for the other side's booking (its slot is taken; joining it again is refused as a
        # duplicate, so a permitted POST of the matrix answers 400 with its empty body).
        o[f"waitlist_{side}"] = WaitlistEntryFactory(
            backend=backend,
            project=project,
            user=user,
            starts_at=at(days=2, hours=2 - offset),
            ends_at=at(days=2, hours=3 - offset),
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


# --- The API's operations, from its OpenAPI schema -------------------------------------------------------------------
# Suites that try something on every endpoint enumerate them here, so that a new endpoint is covered without a
# change to the suite.

# Which objects of the data set a path's `{id}` stands for, by the collection name in the path.
PATH_OBJECTS: dict[str, tuple[str, ...]] = {
    "organizations": ("organization", "vendor"),
    "sites": ("site",),
    "offices": ("office",),
    "office-activities": ("activity",),
    "equipment": ("equipment",),
    "work-orders": ("work_order",),
    "backends": ("backend",),
    "maintenance-windows": ("window",),
    "outages": ("outage",),
    "calibrations": ("calibration",),
    "users": ("user_a", "user_b"),
    "projects": ("project_a", "project_b"),
    "members": ("user_a", "user_b"),  # /projects/{id}/members/{user_id}/
    "allocations": ("allocation_a", "allocation_b"),
    "bookings": ("booking_a", "booking_b"),
    "waitlist": ("waitlist_a", "waitlist_b"),
    "jobs": ("job_a", "job_b"),
    "reports": ("report_a", "report_b"),
    "processes": ("process",),
    "tenders": ("tender",),
    "bids": ("bid",),
    "awards": ("award",),
    "contracts": ("contract",),
    "milestones": ("milestone",),
    "amendments": ("amendment",),
    "payments": ("payment",),
    "documents": ("document",),
    "exchange-rates": ("rate",),
}
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    """One operation of the schema: `POST /api/v1/bookings/` and what its request body is."""

    method: str
    path: str
    spec: dict[str, Any] = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def body_types(self) -> list[str]:
        return list(self.spec.get("requestBody", {}).get("content", {}))

    def url(self, world: World) -> str:
        """The path with each `{parameter}` replaced by the id of a data-set object of its collection."""
        segments = self.path.split("/")
        for index, segment in enumerate(segments):
            if segment.startswith("{"):
                collection = segments[index - 1]
                segments[index] = str(world.objects[PATH_OBJECTS[collection][0]].pk)
        return "/".join(segments)


@functools.cache
def api_schema() -> dict[str, Any]:
    """The OpenAPI schema the API serves (generated once per process)."""
    from drf_spectacular.generators import SchemaGenerator

    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return schema


def write_operations_with_body() -> list[Operation]:
    """Every write operation whose request has a body in the schema."""
    return [
        Operation(method, path, spec)
        for path, item in api_schema()["paths"].items()
        for method, spec in item.items()
        if method in WRITE_METHODS and "requestBody" in spec
    ]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = api_schema()["components"]["schemas"][name]
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return _resolve(schema[combined][0])
    return schema


def string_fields(operation: Operation) -> list[tuple[str | int, ...]]:
    """The path (`("items", 0, "description")`) of every string in the operation's request body schema."""
    content = operation.spec["requestBody"]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    found: list[tuple[str | int, ...]] = []
    stack: list[tuple[dict[str, Any], tuple[str | int, ...], int]] = [(media["schema"], (), 0)]
    while stack:
        raw, path, depth = stack.pop()
        schema = _resolve(raw)
        kind = schema.get("type")
        if kind == "string" or (kind is None and "enum" in schema and path):
            found.append(path)
        elif depth < 6 and (kind == "object" or "properties" in schema):
            stack.extend((sub, (*path, name), depth + 1) for name, sub in schema.get("properties", {}).items())
        elif depth < 6 and kind == "array" and "items" in schema:
            stack.append((schema["items"], (*path, 0), depth + 1))
    return sorted(found, key=str)


def body_with(path: tuple[str | int, ...], value: Any) -> Any:
    """The smallest JSON document holding `value` at `path` (`("items", 0, "title")` -> `{"items": [{"title": v}]}`)."""
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def body_with_all(paths: list[tuple[str | int, ...]], value: Any) -> Any:
    """One JSON document holding `value` at every path (`body_with` merged)."""
    merged: Any = None
    for path in paths:
        merged = _merge(merged, body_with(path, value))
    return {} if merged is None else merged


def _merge(left: Any, right: Any) -> Any:
    if isinstance(left, dict) and isinstance(right, dict):
        return {**left, **{key: _merge(left.get(key), item) for key, item in right.items()}}
    if isinstance(left, list) and isinstance(right, list):
        return [_merge(left[0], right[0])]
    return right
