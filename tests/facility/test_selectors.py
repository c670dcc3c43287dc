import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from facility.choices import ActivityKind, EquipmentKind, EquipmentStatus, WorkOrderKind, WorkOrderStatus
from facility.selectors import equipment_get_by_serial, equipment_get_qpu_for_site, office_operations_list_by_quarter
from tests.factories import (
    EquipmentFactory,
    OfficeActivityFactory,
    RegionalOfficeFactory,
    SiteFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
H = dt.timedelta(hours=1)


def seoul(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)


def _activity(office, kind, start, participants):
    OfficeActivityFactory.create(office=office, kind=kind, start=start, end=start + H, participants=participants)


def _work_order(office, equipment, opened, ack_after=None, resolve_after=None, **fields):
    status = WorkOrderStatus.OPEN
    times = {}
    if ack_after is not None:
        status = WorkOrderStatus.ACKNOWLEDGED
        times["acknowledged_at"] = opened + ack_after
    if resolve_after is not None:
        status = WorkOrderStatus.RESOLVED
        times["resolved_at"] = opened + resolve_after
    fields.setdefault("status", status)
    if fields["status"] == WorkOrderStatus.CANCELLED:
        times["cancelled_at"] = opened + H
    return WorkOrderFactory.create(office=office, equipment=equipment, opened_at=opened, **times, **fields)


@pytest.fixture
def story():
    office = RegionalOfficeFactory.create(name="Seoul", time_zone="Asia/Seoul")
    other = RegionalOfficeFactory.create(name="Singapore", time_zone="Asia/Singapore", city="Singapore", country="SG")
    equipment = EquipmentFactory.create()
    _activity(office, ActivityKind.TRAINING, seoul(2025, 8, 10, 10), 10)
    _activity(office, ActivityKind.TRAINING, seoul(2025, 9, 1, 10), 5)
    _activity(office, ActivityKind.SITE_VISIT, seoul(2025, 9, 30, 23, 30), 4)  # still Q3 in Seoul (14:30 UTC)
    _activity(office, ActivityKind.SUPPORT, seoul(2025, 10, 1, 0, 30), 2)  # Q4 in Seoul, though Sept 30 in UTC
    _activity(office, ActivityKind.SUPPORT, seoul(2025, 6, 15, 10), 99)  # before the period
    _activity(other, ActivityKind.WORKSHOP, seoul(2025, 11, 5, 10), 7)
    _work_order(office, equipment, seoul(2025, 7, 2, 9), ack_after=H, resolve_after=10 * H)
    _work_order(office, equipment, seoul(2025, 8, 2, 9), ack_after=2 * H, resolve_after=20 * H)
    _work_order(office, equipment, seoul(2025, 9, 2, 9), ack_after=4 * H)
    _work_order(other, equipment, seoul(2025, 9, 3, 9), ack_after=100 * H)  # another office's
    pm = {"kind": WorkOrderKind.PREVENTIVE}
    # Due Nov 20: resolved 23:00 Seoul time that day (14:00 UTC) counts as on time.
    _work_order(
        office,
        equipment,
        seoul(2025, 11, 1, 9),
        ack_after=H,
        due_date=dt.date(2025, 11, 20),
        **pm,
        resolve_after=seoul(2025, 11, 20, 23) - seoul(2025, 11, 1, 9),
    )
    # Due Dec 1, resolved Dec 2: late.
    _work_order(
        office,
        equipment,
        seoul(2025, 11, 1, 10),
        ack_after=H,
        due_date=dt.date(2025, 12, 1),
        **pm,
        resolve_after=seoul(2025, 12, 2, 10) - seoul(2025, 11, 1, 10),
    )
    _work_order(office, equipment, seoul(2025, 11, 1, 11), due_date=dt.date(2025, 12, 5), status="cancelled", **pm)
    return office, other


def test_office_operations_by_quarter(story):
    _office, _other = story
    rows = office_operations_list_by_quarter(start=dt.date(2025, 7, 1), end=dt.date(2026, 1, 1))
    by_key = {(r.office, r.quarter): r for r in rows}
    assert set(by_key) == {
        ("Seoul", "2025-Q3"),
        ("Seoul", "2025-Q4"),
        ("Singapore", "2025-Q3"),
        ("Singapore", "2025-Q4"),
    }

    q3 = by_key["Seoul", "2025-Q3"]
    assert (q3.start, q3.end) == (dt.date(2025, 7, 1), dt.date(2025, 10, 1))
    assert q3.activities == 3
    assert q3.activities_by_kind["training"] == 2
    assert q3.activities_by_kind["site_visit"] == 1
    assert q3.activities_by_kind["support"] == 0
    assert q3.participants == 19
    assert q3.work_orders_opened == 3
    assert q3.acknowledge_seconds_p50 == 7200
    assert q3.acknowledge_seconds_p90 == pytest.approx(12960)
    assert q3.resolve_seconds_p50 == 54000
    assert q3.resolve_seconds_p90 == pytest.approx(68400)
    assert q3.preventive_due == 0
    assert q3.preventive_compliance is None

    q4 = by_key["Seoul", "2025-Q4"]
    assert q4.activities_by_kind["support"] == 1
    assert q4.participants == 2
    assert q4.work_orders_opened == 3
    assert (q4.preventive_due, q4.preventive_on_time, q4.preventive_compliance) == (2, 1, 0.5)

    sg = by_key["Singapore", "2025-Q3"]
    assert sg.work_orders_opened == 1
    assert sg.acknowledge_seconds_p50 == sg.acknowledge_seconds_p90 == 360000
    assert sg.resolve_seconds_p50 is None
    assert by_key["Singapore", "2025-Q4"].activities_by_kind["workshop"] == 1
    assert q4.as_dict()["start"] == "2025-10-01"


def test_office_operations_for_one_office_and_a_clipped_period(story):
    office, _ = story
    rows = office_operations_list_by_quarter(start=dt.date(2025, 8, 15), end=dt.date(2025, 11, 15), office=office)
    assert [(r.quarter, r.start, r.end) for r in rows] == [
        ("2025-Q3", dt.date(2025, 8, 15), dt.date(2025, 10, 1)),
        ("2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 11, 15)),
    ]
    assert rows[0].activities == 2  # the Aug 10 training is before the clipped start
    assert rows[0].work_orders_opened == 1  # only the Sep 2 one
    assert rows[1].preventive_due == 0  # both due dates fall after Nov 15


def test_preventive_work_order_not_yet_due_does_not_count():
    office = RegionalOfficeFactory.create(name="Seoul")
    equipment = EquipmentFactory.create()
    now = dt.datetime.now(tz=dt.UTC)
    _work_order(
        office, equipment, now - 2 * H, kind=WorkOrderKind.PREVENTIVE, due_date=now.date() + dt.timedelta(days=5)
    )
    _work_order(
        office, equipment, now - 3 * H, kind=WorkOrderKind.PREVENTIVE, due_date=now.date() - dt.timedelta(days=2)
    )
    rows = office_operations_list_by_quarter(
        start=now.date() - dt.timedelta(days=100), end=now.date() + dt.timedelta(days=100)
    )
    assert sum(r.preventive_due for r in rows) == 1  # only the overdue one
    assert {r.preventive_compliance for r in rows if r.preventive_due} == {0.0}


def test_office_operations_queries_stay_constant(story, django_assert_num_queries):
    with django_assert_num_queries(4):
        office_operations_list_by_quarter(start=dt.date(2024, 1, 1), end=dt.date(2026, 1, 1))


def test_office_operations_empty_period():
    RegionalOfficeFactory.create()
    assert office_operations_list_by_quarter(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 1)) == []


def test_equipment_qpu_for_site_skips_other_kinds_and_retired():
    site = SiteFactory.create()
    EquipmentFactory.create(site=site, kind=EquipmentKind.CRYOSTAT)
    EquipmentFactory.create(
        site=site, kind=EquipmentKind.QPU, status=EquipmentStatus.RETIRED, installed_on=dt.date(2020, 1, 1)
    )
    qpu = EquipmentFactory.create(site=site, kind=EquipmentKind.QPU)
    EquipmentFactory.create(kind=EquipmentKind.QPU)  # another site's
    assert equipment_get_qpu_for_site(site) == qpu
    assert equipment_get_qpu_for_site(SiteFactory.create()) is None


def test_equipment_get_by_serial():
    qpu = EquipmentFactory.create(manufacturer="IQM Quantum Computers", serial_number="SPARK-1")
    assert equipment_get_by_serial(manufacturer="IQM Quantum Computers", serial_number="SPARK-1") == qpu
    assert equipment_get_by_serial(manufacturer="Other", serial_number="SPARK-1") is None
