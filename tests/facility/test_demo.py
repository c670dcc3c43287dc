import pytest

from accounts.models import User
from facility import demo
from facility.choices import EquipmentKind, OfficeStatus
from facility.models import Equipment, OfficeActivity, Organization, RegionalOffice, Site, WorkOrder
from facility.selectors import equipment_get_qpu_for_site, office_operations_list_by_quarter

pytestmark = pytest.mark.django_db


def _counts():
    return [m.objects.count() for m in (Organization, Site, RegionalOffice, Equipment, WorkOrder, OfficeActivity)]


def test_seed_tells_the_story_and_is_idempotent():
    demo.seed(lambda _msg: None)
    first = _counts()
    demo.seed(lambda _msg: None)
    assert _counts() == first

    names = set(Organization.objects.values_list("name", flat=True))
    assert {
        "Chungbuk National University",
        "ChungBuk Quantum Research Center",
        "Public Procurement Service",
        "IQM Quantum Computers",
    } <= names
    site = Site.objects.get(name=demo.CBQRC_SITE_NAME)
    assert (site.city, site.time_zone) == ("Cheongju", "Asia/Seoul")

    seoul = RegionalOffice.objects.get(name=demo.SEOUL_OFFICE_NAME)
    assert (seoul.opened_on.year, seoul.opened_on.month) == (2025, 6)
    assert seoul.head == User.objects.get(username=demo.YOUNGSIM_KIM_USERNAME)
    assert seoul.head.full_name == "Youngsim Kim"
    assert seoul.head.groups.filter(name="Office staff").exists()
    singapore = RegionalOffice.objects.get(name=demo.SINGAPORE_OFFICE_NAME)
    assert singapore.opened_on.year == 2023
    assert singapore.status == OfficeStatus.OPEN
    assert "illustrative" in singapore.notes.lower()

    qpu = equipment_get_qpu_for_site(site)
    assert qpu is not None
    assert (qpu.manufacturer, qpu.serial_number) == ("IQM Quantum Computers", demo.SPARK_QPU_SERIAL)
    assert "illustrative" in qpu.notes.lower()
    kinds = set(Equipment.objects.filter(site=site).values_list("kind", flat=True))
    assert {
        EquipmentKind.QPU,
        EquipmentKind.CRYOSTAT,
        EquipmentKind.CONTROL_ELECTRONICS,
        EquipmentKind.COMPRESSOR,
    } <= kinds
    assert WorkOrder.objects.count() >= 4
    assert OfficeActivity.objects.filter(kind="training", organization__short_name="CBQRC").count() >= 2
    assert all("illustrative" in a.notes.lower() for a in OfficeActivity.objects.all())


def test_demo_feeds_the_office_operations_selector():
    import datetime as dt

    from django.utils import timezone

    demo.seed(lambda _msg: None)
    today = timezone.localdate()
    rows = office_operations_list_by_quarter(start=today - dt.timedelta(days=200), end=today + dt.timedelta(days=1))
    assert sum(r.activities for r in rows) == OfficeActivity.objects.count()
    assert sum(r.work_orders_opened for r in rows) == WorkOrder.objects.count()
