"""Demo data of the facility app: the organisations, the site, IQM's offices, the Spark and its service history.

Idempotent: every record is found by a natural key first. Times are relative to the first run, so a fresh demo
always shows activity "over the last months"; re-running keeps what exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import OFFICE_STAFF
from facility import services
from facility.choices import ActivityKind, EquipmentKind, OfficeStatus, OrganizationKind, WorkOrderKind
from facility.models import Equipment, OfficeActivity, OfficeStaff, Organization, RegionalOffice, Site, WorkOrder

ILLUSTRATIVE = "Illustrative demo record."

# Natural keys other apps' demo data look up (scheduling finds the QPU by these).
CBQRC_SITE_NAME = "ChungBuk Quantum Research Center"
SPARK_MANUFACTURER = "IQM Quantum Computers"
SPARK_QPU_SERIAL = "SPARK-CBQRC-01"
SEOUL_OFFICE_NAME = "IQM Seoul office"
SINGAPORE_OFFICE_NAME = "IQM Singapore office"
YOUNGSIM_KIM_USERNAME = "youngsim.kim"


def _organization(name: str, **fields: object) -> Organization:
    org, _ = Organization.objects.get_or_create(name=name, defaults=fields)
    return org


def _site(organization: Organization) -> Site:
    site = Site.objects.filter(organization=organization, name=CBQRC_SITE_NAME).first()
    return site or services.site_create(
        organization=organization,
        name=CBQRC_SITE_NAME,
        address="Chungbuk National University, 1 Chungdae-ro, Seowon-gu",
        city="Cheongju",
        country="KR",
        time_zone="Asia/Seoul",
    )


def _head_of_seoul() -> User:
    user = User.objects.filter(username=YOUNGSIM_KIM_USERNAME).first()
    if user is None:
        user = User(
            username=YOUNGSIM_KIM_USERNAME,
            email="youngsim.kim@example.org",
            full_name="Youngsim Kim",
            is_staff=True,
            time_zone="Asia/Seoul",
        )
        user.set_unusable_password()  # an administrator sets a password or she uses a password reset
        user.full_clean()
        user.save()
    group = Group.objects.filter(name=OFFICE_STAFF).first()
    if group is not None:
        user.groups.add(group)
    return user


def _office(vendor: Organization, name: str, **fields: Any) -> RegionalOffice:
    office = RegionalOffice.objects.filter(organization=vendor, name=name).first()
    return office or services.office_create(organization=vendor, name=name, **fields)


def _equipment(site: Site, serial_number: str, **fields: Any) -> Equipment:
    equipment = Equipment.objects.filter(manufacturer=SPARK_MANUFACTURER, serial_number=serial_number).first()
    return equipment or services.equipment_create(
        site=site, manufacturer=SPARK_MANUFACTURER, serial_number=serial_number, **fields
    )


def _activity(office: RegionalOffice, title: str, *, days_ago: int, hours: float, **fields: Any) -> None:
    if OfficeActivity.objects.filter(office=office, title=title).exists():
        return
    start = (timezone.now() - dt.timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    services.office_activity_create(
        office=office,
        title=title,
        start=start,
        end=start + dt.timedelta(hours=hours),
        notes=f"{ILLUSTRATIVE} Date, length and participant count are illustrative.",
        **fields,
    )


def _work_order(
    equipment: Equipment,
    title: str,
    *,
    office: RegionalOffice,
    user: User,
    days_ago: float,
    acknowledge_after_hours: float | None = None,
    resolve_after_hours: float | None = None,
    resolution: str = "",
    **fields: Any,
) -> None:
    if WorkOrder.objects.filter(equipment=equipment, title=title).exists():
        return
    opened_at = timezone.now() - dt.timedelta(days=days_ago)
    work_order = services.work_order_open(
        equipment=equipment,
        title=title,
        office=office,
        user=user,
        opened_at=opened_at,
        description=f"{ILLUSTRATIVE} Times and dates are illustrative.",
        **fields,
    )
    if acknowledge_after_hours is not None:
        at = opened_at + dt.timedelta(hours=acknowledge_after_hours)
        work_order = services.work_order_acknowledge(work_order=work_order, user=user, at=at)
    if resolve_after_hours is not None:
        at = opened_at + dt.timedelta(hours=resolve_after_hours)
        services.work_order_resolve(work_order=work_order, user=user, resolution=resolution, at=at)


def seed(log: Callable[[str], object]) -> None:
    """The university and its research centre, the procurement agency, the vendor, its offices and the Spark."""
    cbqrc, iqm = _seed_organizations()
    log("Organisations of the story are in place.")
    site = _site(cbqrc)
    singapore, seoul, head = _seed_offices(iqm)
    log("IQM's Singapore and Seoul offices are in place.")
    equipment = _seed_equipment(site)
    log("The Spark's equipment is registered.")
    _seed_work_orders(equipment, singapore=singapore, seoul=seoul, head=head)
    log("Work orders of the last months are recorded.")
    _seed_activities(singapore=singapore, seoul=seoul, cbqrc=cbqrc)
    log("Office activities of the last months are recorded.")


def _seed_organizations() -> tuple[Organization, Organization]:
    """The university, its research centre, the procurement agency and the vendor; (centre, vendor)."""
    cbnu = _organization(
        "Chungbuk National University",
        short_name="CBNU",
        kind=OrganizationKind.UNIVERSITY,
        country="KR",
    )
    cbqrc = _organization(
        "ChungBuk Quantum Research Center",
        short_name="CBQRC",
        kind=OrganizationKind.RESEARCH_CENTRE,
        country="KR",
        parent=cbnu,
    )
    _organization(
        "Public Procurement Service",
        short_name="PPS",
        kind=OrganizationKind.GOVERNMENT,
        country="KR",
    )
    iqm = _organization(
        "IQM Quantum Computers",
        short_name="IQM",
        kind=OrganizationKind.VENDOR,
        country="FI",
    )
    return cbqrc, iqm


def _seed_offices(iqm: Organization) -> tuple[RegionalOffice, RegionalOffice, User]:
    """IQM's Singapore and Seoul offices and the head of Seoul; (Singapore, Seoul, head)."""
    head = _head_of_seoul()
    singapore = _office(
        iqm,
        SINGAPORE_OFFICE_NAME,
        city="Singapore",
        country="SG",
        time_zone="Asia/Singapore",
        opened_on=dt.date(2023, 1, 1),
        status=OfficeStatus.OPEN,
        notes=f"{ILLUSTRATIVE} Opened in 2023; the day and month are illustrative.",
    )
    seoul = _office(
        iqm,
        SEOUL_OFFICE_NAME,
        city="Seoul",
        country="KR",
        time_zone="Asia/Seoul",
        opened_on=dt.date(2025, 6, 1),
        status=OfficeStatus.OPEN,
        head=head,
        notes="Opened in June 2025; the day is illustrative.",
    )
    if not OfficeStaff.objects.filter(office=seoul, user=head).exists():
        services.office_staff_create(office=seoul, user=head, role="Head of office", since=dt.date(2025, 6, 1))
    return singapore, seoul, head


def _seed_equipment(site: Site) -> dict[str, Equipment]:
    """The Spark: its QPU, cryostat, control electronics and compressor, by part."""
    illustrative = f"{ILLUSTRATIVE} Serial number and dates are illustrative."
    qpu = _equipment(
        site,
        SPARK_QPU_SERIAL,
        name="IQM Spark QPU (5 qubits)",
        kind=EquipmentKind.QPU,
        model="IQM Spark",
        installed_on=dt.date(2025, 6, 30),
        warranty_until=dt.date(2027, 6, 30),
        notes=illustrative,
    )
    cryostat = _equipment(
        site,
        "SPARK-CBQRC-CRYO-01",
        name="Cryostat",
        kind=EquipmentKind.CRYOSTAT,
        model="IQM Spark cryostat",
        installed_on=dt.date(2025, 6, 30),
        warranty_until=dt.date(2027, 6, 30),
        notes=f"{illustrative} Supplied with the IQM Spark.",
    )
    electronics = _equipment(
        site,
        "SPARK-CBQRC-CTRL-01",
        name="Control electronics",
        kind=EquipmentKind.CONTROL_ELECTRONICS,
        model="IQM Spark control electronics",
        installed_on=dt.date(2025, 6, 30),
        warranty_until=dt.date(2027, 6, 30),
        notes=f"{illustrative} Supplied with the IQM Spark.",
    )
    compressor = _equipment(
        site,
        "SPARK-CBQRC-COMP-01",
        name="Pulse-tube compressor",
        kind=EquipmentKind.COMPRESSOR,
        model="IQM Spark compressor",
        installed_on=dt.date(2025, 6, 30),
        warranty_until=dt.date(2027, 6, 30),
        notes=f"{illustrative} Supplied with the IQM Spark.",
    )
    return {"qpu": qpu, "cryostat": cryostat, "electronics": electronics, "compressor": compressor}


def _seed_work_orders(
    equipment: dict[str, Equipment], *, singapore: RegionalOffice, seoul: RegionalOffice, head: User
) -> None:
    """Work orders of the last months: preventive, corrective and inspections, some still open."""
    qpu, cryostat, electronics, compressor = (
        equipment[part] for part in ("qpu", "cryostat", "electronics", "compressor")
    )
    today = timezone.localdate()
    _work_order(
        cryostat,
        "Quarterly cryostat inspection",
        office=seoul,
        user=head,
        kind=WorkOrderKind.PREVENTIVE,
        days_ago=75,
        due_date=today - dt.timedelta(days=68),
        acknowledge_after_hours=3,
        resolve_after_hours=50,
        resolution="Inspected; vacuum and temperatures nominal.",
    )
    _work_order(
        compressor,
        "Compressor helium pressure alarm",
        office=seoul,
        user=head,
        kind=WorkOrderKind.CORRECTIVE,
        days_ago=48,
        acknowledge_after_hours=1.5,
        resolve_after_hours=26,
        resolution="Pressure restored; a fitting was tightened.",
    )
    _work_order(
        electronics,
        "Control electronics firmware check",
        office=singapore,
        user=head,
        kind=WorkOrderKind.INSPECTION,
        days_ago=30,
        acknowledge_after_hours=6,
        resolve_after_hours=30,
        resolution="Firmware at the supported version.",
    )
    _work_order(
        qpu,
        "Readout fidelity drift on QB4",
        office=seoul,
        user=head,
        kind=WorkOrderKind.CORRECTIVE,
        days_ago=6,
        acknowledge_after_hours=2,
    )
    _work_order(
        compressor,
        "Compressor adsorber replacement",
        office=seoul,
        user=head,
        kind=WorkOrderKind.PREVENTIVE,
        days_ago=2,
        due_date=today + dt.timedelta(days=30),
    )


def _seed_activities(*, singapore: RegionalOffice, seoul: RegionalOffice, cbqrc: Organization) -> None:
    """Office activities of the last months: support, site visits and training at the research centre."""
    _activity(
        singapore,
        "Remote support: pre-installation site requirements",
        kind=ActivityKind.SUPPORT,
        days_ago=150,
        hours=1.5,
        organization=cbqrc,
        participants=4,
    )
    _activity(
        seoul,
        "Site visit: installation check at the research centre",
        kind=ActivityKind.SITE_VISIT,
        days_ago=120,
        hours=6,
        organization=cbqrc,
        participants=5,
    )
    _activity(
        seoul,
        "Training: operating the IQM Spark",
        kind=ActivityKind.TRAINING,
        days_ago=95,
        hours=6,
        organization=cbqrc,
        participants=18,
    )
    _activity(
        seoul,
        "Training: pulse-level programming",
        kind=ActivityKind.TRAINING,
        days_ago=40,
        hours=4,
        organization=cbqrc,
        participants=12,
    )
    _activity(
        seoul,
        "Support call: calibration schedule",
        kind=ActivityKind.SUPPORT,
        days_ago=20,
        hours=1,
        organization=cbqrc,
        participants=3,
    )
    _activity(
        seoul,
        "Site visit: quarterly review",
        kind=ActivityKind.SITE_VISIT,
        days_ago=10,
        hours=3,
        organization=cbqrc,
        participants=6,
    )
