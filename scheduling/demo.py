"""Demo data of the scheduling app: the `spark` backend, projects, allocations, downtime and bookings.

Idempotent: everything is found by natural keys; booking history is generated once per backend.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from facility.choices import EquipmentKind, OrganizationKind
from facility.models import Equipment, Organization, Site
from scheduling.choices import BookingStatus, MaintenanceKind, MembershipRole, OutageSeverity
from scheduling.models import Allocation, Backend, Booking, MaintenanceWindow, Outage, Project
from scheduling.services import (
    allocation_create,
    backend_create,
    booking_create,
    maintenance_window_create,
    membership_add,
    outage_create,
    project_create,
)

SITE_NAME = "ChungBuk Quantum Research Center"
BACKEND_NAME = "spark"
DEMO_PURPOSE = "Illustrative demo booking"
ILLUSTRATIVE = "Illustrative demo record."
RESEARCHER_PASSWORD = "researcher"  # noqa: S105  (the embedded demo only)

# code, title, institution short name, PI username, member usernames
PROJECTS = [
    ("CBQRC-2026-01", "Variational algorithms for small molecules", "CBQRC", "jiwoo.park", ["minseo.lee"]),
    ("CBQRC-2026-02", "Benchmarking two-qubit gates on a star topology", "CBQRC", "hyunwoo.choi", ["seoyeon.jung"]),
    ("CBQRC-2026-03", "Quantum machine learning coursework", "CBQRC", "eunji.kang", ["doyun.yoon"]),
    ("KU-2026-01", "Error mitigation for GHZ states", "KU", "sora.han", ["jaemin.oh"]),
]
# Booking pattern in the site's local time: (hour, minutes long)
DAILY_SLOTS = [(10, 120), (14, 60), (16, 90)]
# Future bookings left free under each project's cap (policy.max_future_bookings): a newcomer signing in as a demo
# researcher right after `make run` can book at once.
CAP_ROOM = 4
# The researcher login the README and the start-up banner name.
DEMO_RESEARCHER = "minseo.lee"


def _site() -> Site:
    site = Site.objects.filter(name=SITE_NAME).first()
    if site is not None:
        return site
    cbnu, _ = Organization.objects.get_or_create(
        name="Chungbuk National University",
        defaults={"short_name": "CBNU", "kind": OrganizationKind.UNIVERSITY, "country": "KR"},
    )
    cbqrc, _ = Organization.objects.get_or_create(
        name=SITE_NAME,
        defaults={"short_name": "CBQRC", "kind": OrganizationKind.RESEARCH_CENTRE, "country": "KR", "parent": cbnu},
    )
    site, _ = Site.objects.get_or_create(
        name=SITE_NAME,
        organization=cbqrc,
        defaults={"city": "Cheongju", "country": "KR", "time_zone": "Asia/Seoul"},
    )
    return site


def _qpu(site: Site) -> Equipment:
    qpu = Equipment.objects.filter(site=site, kind=EquipmentKind.QPU).order_by("pk").first()
    if qpu is not None:
        return qpu
    try:
        from facility.demo import SPARK_QPU_SERIAL as serial
    except ImportError:
        serial = "SPARK-CBQRC-01"
    qpu, _ = Equipment.objects.get_or_create(
        manufacturer="IQM Quantum Computers",
        serial_number=serial,
        defaults={"site": site, "name": "IQM Spark QPU (5 qubits)", "kind": EquipmentKind.QPU, "model": "IQM Spark"},
    )
    return qpu


def _researcher(username: str, institution: Organization) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email=f"{username}@example.org",
            full_name=username.replace(".", " ").title(),
            institution=institution,
            time_zone="Asia/Seoul",
        )
        user.set_password(RESEARCHER_PASSWORD)
        user.full_clean()
        user.save()
    return user


def _staff() -> User:
    staff = User.objects.filter(is_superuser=True).order_by("pk").first()
    if staff is None:
        staff, _ = User.objects.get_or_create(
            username="demo-scheduler",
            defaults={"email": "demo-scheduler@example.org", "is_staff": True, "is_superuser": True},
        )
    return staff


def _projects(backend: Backend) -> list[Project]:
    cbqrc = backend.site.organization
    partner, _ = Organization.objects.get_or_create(
        name="Korea University",
        defaults={"short_name": "KU", "kind": OrganizationKind.UNIVERSITY, "country": "KR", "notes": ILLUSTRATIVE},
    )
    institutions = {"CBQRC": cbqrc, "KU": partner}
    today = timezone.localdate(timezone=ZoneInfo(backend.site.time_zone))
    projects = []
    for code, title, short, pi_name, member_names in PROJECTS:
        institution = institutions[short]
        pi = _researcher(pi_name, institution)
        project = Project.objects.filter(code=code).first() or project_create(
            code=code, title=title, institution=institution, pi=pi, description=ILLUSTRATIVE
        )
        membership_add(project=project, user=pi, role=MembershipRole.PI)
        for name in member_names:
            membership_add(project=project, user=_researcher(name, institution))
        if not Allocation.objects.filter(project=project, backend=backend).exists():
            allocation_create(
                project=project,
                backend=backend,
                hours=Decimal("150"),
                valid_from=today - datetime.timedelta(days=90),
                valid_until=today + datetime.timedelta(days=275),
            )
        projects.append(project)
    return projects


def _downtime(backend: Backend, staff: User) -> None:
    zone = ZoneInfo(backend.site.time_zone)
    today = timezone.localdate(timezone=zone)

    def at(days: int, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour), tzinfo=zone)

    if not MaintenanceWindow.objects.filter(backend=backend).exists():
        maintenance_window_create(
            backend=backend,
            starts_at=at(-30, 8),
            ends_at=at(-30, 18),
            kind=MaintenanceKind.CALIBRATION,
            title="Monthly recalibration",
            notes=ILLUSTRATIVE,
            by=staff,
        )
        maintenance_window_create(
            backend=backend,
            starts_at=at(6, 8),
            ends_at=at(6, 13),
            kind=MaintenanceKind.PREVENTIVE,
            title="Compressor service",
            notes=ILLUSTRATIVE,
            by=staff,
        )
    if not Outage.objects.filter(backend=backend).exists():
        outage_create(
            backend=backend,
            starts_at=at(-12, 13),
            ends_at=at(-12, 17),
            severity=OutageSeverity.MAJOR,
            cause=f"{ILLUSTRATIVE} Control electronics fault.",
            resolution="Module replaced by the vendor's Seoul office.",
        )


def _bookings(backend: Backend, projects: list[Project], staff: User) -> int:
    zone = ZoneInfo(backend.site.time_zone)
    today = timezone.localdate(timezone=zone)
    now = timezone.now()
    made = 0
    future_cap = max(0, backend.policy.max_future_bookings - CAP_ROOM)
    future: dict[int, int] = dict.fromkeys((p.pk for p in projects), 0)
    for day in range(-60, 15):
        for index, (hour, minutes) in enumerate(DAILY_SLOTS):
            if (day + index) % 4 == 3:  # leave some idle time
                continue
            project = projects[(day * 3 + index) % len(projects)]
            starts_at = datetime.datetime.combine(
                today + datetime.timedelta(days=day), datetime.time(hour), tzinfo=zone
            ).astimezone(datetime.UTC)
            ends_at = starts_at + datetime.timedelta(minutes=minutes)
            past = ends_at <= now
            if not past and future[project.pk] >= future_cap:
                continue  # leave room under the project's cap for the researchers' own bookings
            member = project.memberships.order_by("role", "pk").last()
            assert member is not None
            try:
                booking = booking_create(
                    backend=backend,
                    project=project,
                    user=member.user,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    purpose=f"{DEMO_PURPOSE}: {project.title}",
                    created_by=staff if past else member.user,
                    override_policy=past,
                    notify=False,
                )
            except (DomainError, ValidationError):
                continue  # overlaps downtime or the project's cap: skipped, as a user would be
            if past:
                # History: most bookings were used; a few were no-shows (no jobs are seeded here).
                status = BookingStatus.NO_SHOW if (day + index) % 7 == 0 else BookingStatus.COMPLETED
                Booking.objects.filter(pk=booking.pk).update(status=status)
            else:
                future[project.pk] += 1
            made += 1
    return made


def seed(log: Callable[[str], object]) -> None:
    """The Spark backend with its default calibration, four projects, their allocations and booking history."""
    site = _site()
    backend = Backend.objects.filter(name=BACKEND_NAME).first()
    if backend is None:
        backend = backend_create(name=BACKEND_NAME, display_name="IQM Spark (CBQRC)", site=site, equipment=_qpu(site))
        log("Created the spark backend with its default policy and calibration.")
    staff = _staff()
    projects = _projects(backend)
    _downtime(backend, staff)
    if not Booking.objects.filter(backend=backend, purpose__startswith=DEMO_PURPOSE).exists():
        made = _bookings(backend, projects, staff)
        log(f"Created {made} demo bookings on spark (the past 60 days and the next 14).")
    # Job history in the past bookings (idempotent on its own).
    from scheduling import demo_jobs

    demo_jobs.seed(log)
