"""Reads of the facility app, with the joins each caller needs done here."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Count, QuerySet, Sum, Value, When
from django.utils import timezone

from facility.choices import (
    UNFINISHED_WORK_ORDER_STATUSES,
    ActivityKind,
    EquipmentKind,
    EquipmentStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from facility.models import Equipment, OfficeActivity, OfficeStaff, Organization, RegionalOffice, Site, WorkOrder


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.select_related("parent")


def site_list() -> QuerySet[Site]:
    return Site.objects.select_related("organization")


def office_list() -> QuerySet[RegionalOffice]:
    return RegionalOffice.objects.select_related("organization", "head")


def office_staff_list(*, office: RegionalOffice | None = None) -> QuerySet[OfficeStaff]:
    qs = OfficeStaff.objects.select_related("office", "user")
    return qs if office is None else qs.filter(office=office)


def office_activity_list() -> QuerySet[OfficeActivity]:
    return OfficeActivity.objects.select_related("office", "organization")


def equipment_list() -> QuerySet[Equipment]:
    return Equipment.objects.select_related("site")


def work_order_list() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related("equipment", "equipment__site", "office", "assignee")


def work_order_list_open_for_office(*, office: RegionalOffice) -> QuerySet[WorkOrder]:
    """Work orders the office is responsible for that are still open or acknowledged."""
    return work_order_list().filter(office=office, status__in=UNFINISHED_WORK_ORDER_STATUSES)


def equipment_get_qpu_for_site(site: Site) -> Equipment | None:
    """The site's QPU that is in service (the oldest installed if there are several), or None."""
    return (
        Equipment.objects.filter(site=site, kind=EquipmentKind.QPU)
        .exclude(status=EquipmentStatus.RETIRED)
        .order_by("installed_on", "pk")
        .first()
    )


def equipment_get_by_serial(*, manufacturer: str, serial_number: str) -> Equipment | None:
    """A piece of equipment by its natural key (manufacturer, serial number)."""
    return Equipment.objects.filter(manufacturer=manufacturer, serial_number=serial_number).first()


# Office operations in numbers


@dataclass(frozen=True)
class OfficeQuarter:
    """What one office did in one quarter (clipped to the asked period)."""

    office_id: int
    office: str
    quarter: str
    start: dt.date
    end: dt.date
    activities: int = 0
    activities_by_kind: dict[str, int] = field(default_factory=dict)
    participants: int = 0
    work_orders_opened: int = 0
    acknowledge_seconds_p50: float | None = None
    acknowledge_seconds_p90: float | None = None
    resolve_seconds_p50: float | None = None
    resolve_seconds_p90: float | None = None
    preventive_due: int = 0
    preventive_on_time: int = 0
    preventive_compliance: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: dates as ISO strings."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        return data


def _quarters(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The calendar quarters that meet `[start, end)`, each clipped to it: (label, start, end)."""
    result = []
    year, quarter = start.year, (start.month - 1) // 3
    while True:
        q_start = dt.date(year, quarter * 3 + 1, 1)
        if q_start >= end:
            break
        q_end = dt.date(year + 1, 1, 1) if quarter == 3 else dt.date(year, quarter * 3 + 4, 1)
        result.append((f"{year}-Q{quarter + 1}", max(q_start, start), min(q_end, end)))
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return result


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolation percentile (as numpy's default); None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[int(q * 100) - 1], 3)


def office_operations_list_by_quarter(
    *, start: dt.date, end: dt.date, office: RegionalOffice | None = None
) -> list[OfficeQuarter]:
    """Per office and quarter of `[start, end)` (quarters in the office's own time zone): activities by kind,
    participants, work orders opened, median and 90th-percentile seconds to acknowledge and to resolve, and
    preventive-maintenance compliance (preventive work orders due in the quarter that were resolved by the end
    of their due date, over those due; cancelled ones, and open ones whose due date has not yet passed, do not
    count). Every office in scope gets a row for every quarter, zeros included.
    """
    offices = list(RegionalOffice.objects.filter(pk=office.pk) if office else RegionalOffice.objects.all())
    quarters = _quarters(start, end)
    if not offices or not quarters:
        return []
    activity_when, opened_when, due_when = _quarter_cases(offices, quarters)
    office_ids = [o.pk for o in offices]
    activities, participants = _activities_by_quarter(office_ids, activity_when)
    opened, ack, res = _work_orders_opened_by_quarter(office_ids, opened_when)
    due, on_time = _preventive_due_by_quarter(offices, office_ids, due_when)

    result = []
    for o in sorted(offices, key=lambda o: (o.name, o.pk)):
        for label, q_start, q_end in quarters:
            key = (o.pk, label)
            by_kind = {kind: activities[key].get(kind, 0) for kind in ActivityKind.values}
            result.append(
                OfficeQuarter(
                    office_id=o.pk,
                    office=o.name,
                    quarter=label,
                    start=q_start,
                    end=q_end,
                    activities=sum(by_kind.values()),
                    activities_by_kind=by_kind,
                    participants=participants[key],
                    work_orders_opened=opened[key],
                    acknowledge_seconds_p50=_percentile(ack[key], 0.5),
                    acknowledge_seconds_p90=_percentile(ack[key], 0.9),
                    resolve_seconds_p50=_percentile(res[key], 0.5),
                    resolve_seconds_p90=_percentile(res[key], 0.9),
                    preventive_due=due[key],
                    preventive_on_time=on_time[key],
                    preventive_compliance=round(on_time[key] / due[key], 4) if due[key] else None,
                )
            )
    return result


Quarter = tuple[str, dt.date, dt.date]
OfficeQuarterKey = tuple[int, str]


def _quarter_cases(offices: list[RegionalOffice], quarters: list[Quarter]) -> tuple[list[When], list[When], list[When]]:
    """CASE branches naming the (office, local quarter) of an activity's start, a work order's opening and due date.

    One CASE over (office, quarter) windows lets the database group every row by its office's local quarter.
    """
    activity_when: list[When] = []
    opened_when: list[When] = []
    due_when: list[When] = []
    for o in offices:
        tz = ZoneInfo(o.time_zone)
        for label, q_start, q_end in quarters:
            window = (_midnight(q_start, tz), _midnight(q_end, tz))
            activity_when.append(When(office_id=o.pk, start__gte=window[0], start__lt=window[1], then=Value(label)))
            opened_when.append(
                When(office_id=o.pk, opened_at__gte=window[0], opened_at__lt=window[1], then=Value(label))
            )
            due_when.append(When(office_id=o.pk, due_date__gte=q_start, due_date__lt=q_end, then=Value(label)))
    return activity_when, opened_when, due_when


def _activities_by_quarter(
    office_ids: list[int], activity_when: list[When]
) -> tuple[dict[OfficeQuarterKey, dict[str, int]], dict[OfficeQuarterKey, int]]:
    """Activities per kind, and participants, per office and quarter."""
    activity_rows = (
        OfficeActivity.objects.filter(office_id__in=office_ids)
        .annotate(quarter=Case(*activity_when, default=None, output_field=CharField()))
        .filter(quarter__isnull=False)
        .values("office_id", "quarter", "kind")
        .annotate(n=Count("pk"), people=Sum("participants"))
        .order_by()
    )
    activities: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    participants: dict[tuple[int, str], int] = defaultdict(int)
    for row in activity_rows:
        key = (row["office_id"], row["quarter"])
        activities[key][row["kind"]] = row["n"]
        participants[key] += row["people"] or 0
    return activities, participants


def _work_orders_opened_by_quarter(
    office_ids: list[int], opened_when: list[When]
) -> tuple[dict[OfficeQuarterKey, int], dict[OfficeQuarterKey, list[float]], dict[OfficeQuarterKey, list[float]]]:
    """Work orders opened per office and quarter, with their seconds to acknowledge and to resolve."""
    opened_rows = (
        WorkOrder.objects.filter(office_id__in=office_ids)
        .annotate(quarter=Case(*opened_when, default=None, output_field=CharField()))
        .filter(quarter__isnull=False)
        .values_list("office_id", "quarter", "opened_at", "acknowledged_at", "resolved_at", "status")
        .order_by()
    )
    opened: dict[tuple[int, str], int] = defaultdict(int)
    ack: dict[tuple[int, str], list[float]] = defaultdict(list)
    res: dict[tuple[int, str], list[float]] = defaultdict(list)
    for office_id, quarter, opened_at, acknowledged_at, resolved_at, status in opened_rows:
        key = (office_id, quarter)
        opened[key] += 1
        if acknowledged_at is not None:
            ack[key].append((acknowledged_at - opened_at).total_seconds())
        if status == WorkOrderStatus.RESOLVED and resolved_at is not None:
            res[key].append((resolved_at - opened_at).total_seconds())
    return opened, ack, res


def _preventive_due_by_quarter(
    offices: list[RegionalOffice], office_ids: list[int], due_when: list[When]
) -> tuple[dict[OfficeQuarterKey, int], dict[OfficeQuarterKey, int]]:
    """Preventive work orders due per office and quarter (those still in time left out), and those resolved in time."""
    due_rows = (
        WorkOrder.objects.filter(office_id__in=office_ids, kind=WorkOrderKind.PREVENTIVE, due_date__isnull=False)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .annotate(quarter=Case(*due_when, default=None, output_field=CharField()))
        .filter(quarter__isnull=False)
        .values_list("office_id", "quarter", "due_date", "resolved_at", "status")
        .order_by()
    )
    zones = {o.pk: ZoneInfo(o.time_zone) for o in offices}
    due: dict[tuple[int, str], int] = defaultdict(int)
    on_time: dict[tuple[int, str], int] = defaultdict(int)
    now = timezone.now()
    for office_id, quarter, due_date, resolved_at, status in due_rows:
        key = (office_id, quarter)
        assert due_date is not None  # filtered above
        # "By the due date" means before the end of that day where the office works.
        deadline = _midnight(due_date + dt.timedelta(days=1), zones[office_id])
        resolved_in_time = status == WorkOrderStatus.RESOLVED and resolved_at is not None and resolved_at < deadline
        if status != WorkOrderStatus.RESOLVED and deadline > now:
            continue  # still has time: neither kept nor missed yet
        due[key] += 1
        on_time[key] += int(resolved_in_time)
    return due, on_time


__all__ = [
    "OfficeQuarter",
    "equipment_get_by_serial",
    "equipment_get_qpu_for_site",
    "equipment_list",
    "office_activity_list",
    "office_list",
    "office_operations_list_by_quarter",
    "office_staff_list",
    "organization_list",
    "site_list",
    "work_order_list",
    "work_order_list_open_for_office",
]
