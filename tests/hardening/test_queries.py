"""Query discipline (issue 9): every list endpoint under /api/v1/ and every admin changelist costs the same
number of queries with three times the rows, under a pinned ceiling.

The endpoints are discovered, not listed: GET operations without a path parameter in the OpenAPI schema, and
every model registered with the admin site. `grow()` adds one of everything (through the factories, and the
procurement services for a whole contracting process), so a new model or endpoint is covered as soon as it is
registered; a model whose changelist shows no new rows after growing fails the test, so the world must be
taught to make it.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from core.models import WorkerHeartbeat
from facility.choices import OrganizationKind
from facility.models import Organization
from procurement import services as procurement
from procurement.money import Money
from reports.choices import ReportStatus
from scheduling.choices import BookingStatus, JobStatus, MembershipRole
from scheduling.models import BookingPolicy
from tests.factories import (
    AllocationFactory,
    BackendFactory,
    BookingFactory,
    CalibrationRecordFactory,
    EquipmentFactory,
    ExchangeRateFactory,
    JobFactory,
    MaintenanceWindowFactory,
    MembershipFactory,
    OfficeActivityFactory,
    OfficeStaffFactory,
    OrganizationFactory,
    OutageFactory,
    ProjectFactory,
    RegionalOfficeFactory,
    ReportFactory,
    SiteFactory,
    StaffFactory,
    UserFactory,
    WaitlistEntryFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db

FEW, MANY = 1, 3  # rounds of `grow()` before the first and the second measurement
# Ceilings: auth, permission, count, page, plus a handful of prefetches. A list above this is doing too much.
API_MAX_QUERIES = 12
ADMIN_MAX_QUERIES = 16
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

_round = itertools.count(1)


def _procurement_process(i: int, officer: Any) -> None:
    """A completed contracting process with every stage's objects, built through the services."""
    buyer = OrganizationFactory(kind=OrganizationKind.UNIVERSITY)
    agency = OrganizationFactory(kind=OrganizationKind.GOVERNMENT)
    vendor = cast(Organization, OrganizationFactory(kind=OrganizationKind.VENDOR, country="FI"))
    eur = lambda amount: Money(Decimal(amount), "EUR")  # noqa: E731
    at = lambda month, day: dt.datetime(2024, month, day, tzinfo=dt.UTC)  # noqa: E731
    process = procurement.process_create(
        user=officer,
        title=f"Quantum computer {i}",
        buyer=buyer,
        procuring_entity=agency,
        numbers={"plan": f"P-{i}", "notice": f"N-{i}", "notice_order": "00"},
        budget=Money(Decimal("4000000000"), "KRW"),
        fiscal_year=2024,
    )
    tender = procurement.tender_create(
        process=process,
        user=officer,
        title=f"Tender {i}",
        tender_start=at(1, 1),
        tender_end=at(2, 1),
        estimated_value=eur("1000000.00"),
        items=[{"description": "A 5-qubit QPU", "quantity": Decimal(1), "unit": "system"}],
    )
    procurement.process_transition(process=process, to="tender", user=officer)
    procurement.bid_create(
        tender=tender, user=officer, tenderer=vendor, value=eur("950000.00"), submitted_at=at(1, 20), rank=1
    )
    procurement.amendment_create(
        user=officer, tender=tender, rationale="Longer tender period", new_period_end=dt.date(2024, 2, 1)
    )
    procurement.process_transition(process=process, to="evaluation", user=officer)
    award = procurement.award_create(
        process=process, user=officer, suppliers=[vendor], value=eur("950000.00"), date=at(3, 1)
    )
    procurement.process_transition(process=process, to="awarded", user=officer)
    award.refresh_from_db()
    contract = procurement.contract_create(
        award=award,
        user=officer,
        title=f"Supply contract {i}",
        number=f"C-{i}",
        value=eur("950000.00"),
        period_start=dt.date(2024, 4, 1),
        period_end=dt.date(2025, 3, 31),
    )
    milestone = procurement.milestone_create(
        contract=contract, user=officer, code="delivered", title="Delivered", due_date=dt.date(2024, 6, 1)
    )
    procurement.process_transition(process=process, to="contracted", user=officer)
    procurement.contract_sign(contract=contract, user=officer, signed_on=dt.date(2024, 3, 15))
    procurement.process_transition(process=process, to="implementation", user=officer)
    ExchangeRateFactory(date=dt.date(2024, 6, 1) + dt.timedelta(days=i), rate_to_krw=Decimal("1470.00"))
    procurement.milestone_update(milestone=milestone, user=officer, date_met=dt.date(2024, 6, 1))
    procurement.payment_create(
        contract=contract,
        user=officer,
        date=dt.date(2024, 6, 5),
        value=eur("950000.00"),
        payer=buyer,
        payee=vendor,
        method="wire_transfer",
        milestone=milestone,
        rate_to_krw=Decimal("1470.00"),
    )
    procurement.document_create(
        process=process,
        user=officer,
        file=SimpleUploadedFile(f"notice-{i}.pdf", PDF + f"%{i}\n".encode()),
        stage="tender",
        document_type="tenderNotice",
        title=f"Notice {i}",
    )


def grow(*, researcher: Any, officer: Any) -> None:
    """One more of every model the admin or the API lists, linked the way real data is."""
    i = next(_round)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    # accounts, auth, tokens, beat
    user = UserFactory(institution=OrganizationFactory())
    Token.objects.create(user=user)
    Group.objects.create(name=f"Hardening group {i}")
    WorkerHeartbeat.objects.create(hostname=f"worker-{i}", seen_at=now)
    interval = IntervalSchedule.objects.create(every=i + 1, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute=str(i % 60), hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=Decimal("36.6"), longitude=Decimal(f"127.{i}"))
    ClockedSchedule.objects.create(clocked_time=now + dt.timedelta(days=i))
    PeriodicTask.objects.create(name=f"hardening-{i}", task="core.tasks.worker_heartbeat_task", interval=interval)
    # facility
    parent = OrganizationFactory()
    OrganizationFactory(parent=parent)
    site = SiteFactory()
    office = RegionalOfficeFactory(head=StaffFactory())
    OfficeStaffFactory(office=office)
    OfficeActivityFactory(office=office, organization=parent)
    work_order = WorkOrderFactory(equipment=EquipmentFactory(site=site), office=office, assignee=StaffFactory())
    # scheduling
    backend = BackendFactory(equipment=EquipmentFactory(site=site))
    BookingPolicy.objects.create(backend=backend)
    calibration = CalibrationRecordFactory(backend=backend, measured_at=now - dt.timedelta(days=1))
    MaintenanceWindowFactory(
        backend=backend,
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=3, hours=2),
        work_order=work_order,
    )
    OutageFactory(
        backend=backend, starts_at=now - dt.timedelta(days=3), ends_at=now - dt.timedelta(days=2), work_order=work_order
    )
    project = ProjectFactory(institution=parent)
    MembershipFactory(project=project, user=project.pi, role=MembershipRole.PI)
    MembershipFactory(project=project, user=researcher)
    allocation = AllocationFactory(
        project=project,
        backend=backend,
        valid_from=now.date() - dt.timedelta(days=30),
        valid_until=now.date() + dt.timedelta(days=60),
    )
    for day in (1, 2):
        booking = BookingFactory(
            backend=backend,
            project=project,
            user=researcher,
            allocation=allocation,
            status=BookingStatus.CONFIRMED,
            starts_at=now + dt.timedelta(days=day),
            ends_at=now + dt.timedelta(days=day, hours=1),
            charged_hours=Decimal("1"),
        )
        JobFactory(booking=booking, calibration=calibration, status=JobStatus.QUEUED, submitted_at=now)
        WaitlistEntryFactory(
            backend=backend, project=project, user=researcher, starts_at=booking.starts_at, ends_at=booking.ends_at
        )
    # procurement and reports
    _procurement_process(i, officer)
    ReportFactory(requester=researcher, params={"project": project.pk})
    ReportFactory(requester=officer, status=ReportStatus.FAILED, error="illustrative failure")


@functools.cache
def list_endpoints() -> list[str]:
    """GET paths of /api/v1/ without a path parameter, from the OpenAPI schema (built once: it takes seconds)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, operations in schema["paths"].items() if "get" in operations and "{" not in path)


def changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


def measure(get: Callable[[str], Any], urls: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per URL: (status, number of queries, rows in the answer)."""
    out = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = get(url)
        out[url] = (response.status_code, len(queries), _rows(response))
    return out


def _rows(response: Any) -> int:
    if response.status_code != 200:
        return -1
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        if isinstance(data, dict) and "count" in data:
            return int(data["count"])
        if isinstance(data, dict) and "releases" in data:
            return len(data["releases"])
        if isinstance(data, dict) and "records" in data:
            return len(data["records"])
        return len(data) if isinstance(data, list) else 0
    return response.context["cl"].result_count if response.context and "cl" in response.context else 0


def compare(few: dict[str, tuple[int, int, int]], many: dict[str, tuple[int, int, int]], ceiling: int) -> list[str]:
    problems = []
    for url, (status, queries, rows) in few.items():
        status_many, queries_many, rows_many = many[url]
        if status != status_many:
            problems.append(f"{url}: status {status} then {status_many}")
        elif status == 200 and queries != queries_many:
            problems.append(f"{url}: {queries} queries with {rows} rows, {queries_many} with {rows_many}")
        elif queries_many > ceiling:
            problems.append(f"{url}: {queries_many} queries, over the ceiling of {ceiling}")
    return problems


class World:
    """Grows the database to a number of `grow()` rounds."""

    def __init__(self, researcher: Any, officer: Any) -> None:
        self.researcher, self.officer, self.rounds = researcher, officer, 0

    def __call__(self, rounds: int) -> None:
        while self.rounds < rounds:
            grow(researcher=self.researcher, officer=self.officer)
            self.rounds += 1


@pytest.fixture
def world(researcher, procurement_officer, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World(researcher, procurement_officer)


def test_discovery_finds_the_lists_and_changelists():
    endpoints = list_endpoints()
    assert {"/api/v1/bookings/", "/api/v1/jobs/", "/api/v1/reports/", "/api/v1/procurement/payments/"} <= set(endpoints)
    assert len(endpoints) >= 25
    assert len(changelists()) >= 35


def test_every_list_endpoint_is_constant_in_rows(world, make_client, superuser, researcher):
    endpoints = list_endpoints()
    clients = {"superuser": make_client(superuser), "researcher": make_client(researcher)}
    world(FEW)
    few = {who: measure(client.get, endpoints) for who, client in clients.items()}
    world(MANY)
    many = {who: measure(client.get, endpoints) for who, client in clients.items()}

    problems = [f"{who} {p}" for who in clients for p in compare(few[who], many[who], API_MAX_QUERIES)]
    assert not problems, "\n".join(problems)
    # The superuser sees everything: every list must have grown, or the world does not exercise it.
    not_grown = [
        url
        for url, (status, _, rows) in many["superuser"].items()
        if url != "/api/v1/users/me/" and (status != 200 or rows <= few["superuser"][url][2])
    ]
    assert not not_grown, not_grown
    # The researcher sees their own projects' rows in the lists open to them.
    assert many["researcher"]["/api/v1/bookings/"][2] == 2 * MANY


def test_every_admin_changelist_is_constant_in_rows(world, superuser):
    browser = Client()
    browser.force_login(superuser)
    urls = changelists()
    world(FEW)
    few = measure(browser.get, urls)
    world(MANY)
    many = measure(browser.get, urls)

    problems = compare(few, many, ADMIN_MAX_QUERIES)
    assert not problems, "\n".join(problems)
    not_grown = [url for url, (status, _, rows) in many.items() if status != 200 or rows <= few[url][2]]
    assert not not_grown, not_grown
