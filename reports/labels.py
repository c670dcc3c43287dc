"""Human labels of the metrics that CSV and PDF show (translated): never a raw name like `no_show_hours` as a heading.

The CSV keeps its machine-readable `metric` column (a tidy table to compute on) and adds the label beside it.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from facility.choices import ActivityKind
from scheduling.choices import BookingStatus

METRIC_LABELS: dict[str, str | Promise] = {
    # utilization and project usage (DESIGN.md 4); `*_seconds` are shown as `*_hours`
    "period_hours": _("Period"),
    "unplanned_down_hours": _("Unplanned down (outages)"),
    "planned_down_hours": _("Planned down (maintenance)"),
    "available_hours": _("Available"),
    "booked_hours": _("Booked"),
    "idle_hours": _("Idle"),
    "booked_lost_hours": _("Booked time lost"),
    "used_hours": _("Used"),
    "exec_hours": _("QPU time"),
    "no_show_hours": _("No-show time"),
    "late_cancelled_hours": _("Late-cancelled time"),
    "availability": _("Availability"),
    "utilization": _("Utilization"),
    "utilization_offered": _("Offered utilization"),
    "booking_efficiency": _("Booking efficiency"),
    "no_show_rate": _("No-show rate"),
    "jobs": _("Jobs"),
    "jobs_failed": _("Failed jobs"),
    "shots": _("Shots"),
    "wait_seconds_p50": _("Job wait, median"),
    "wait_seconds_p95": _("Job wait, 95th percentile"),
    "outages": _("Outages"),
    "mtbf_hours": _("Mean time between failures"),
    "mttr_hours": _("Mean time to repair"),
    "share": _("Share of booked time"),
    "bookings": _("Bookings"),
    "allocation_hours": _("Granted"),
    "charged_hours": _("Charged"),
    "remaining_hours": _("Remaining"),
    # procurement summary
    "id": _("ID"),
    "ocid": _("OCID"),
    "title": _("Title"),
    "stage": _("Stage"),
    "buyer": _("Buyer"),
    "procuring_entity": _("Procuring entity"),
    "suppliers": _("Suppliers"),
    "currency": _("Currency"),
    "budget": _("Budget"),
    "contract_value": _("Contract value"),
    "contract_value_krw": _("Contract value in KRW"),
    "rate_to_krw": _("Exchange rate to KRW"),
    "rate_date": _("Exchange rate date"),
    "paid": _("Paid"),
    "paid_krw": _("Paid in KRW"),
    "remaining": _("Remaining"),
    "paid_ratio": _("Paid share"),
    "milestones": _("Milestones"),
    "milestones_met": _("Milestones met"),
    "milestones_late": _("Late milestones"),
    "late_milestones": _("Late milestones"),
    # office activity
    "office_id": _("Office ID"),
    "office": _("Office"),
    "quarter": _("Quarter"),
    "start": _("Start"),
    "end": _("End"),
    "activities": _("Activities"),
    "participants": _("Participants"),
    "work_orders_opened": _("Work orders opened"),
    "acknowledge_hours_p50": _("Time to acknowledge, median"),
    "acknowledge_hours_p90": _("Time to acknowledge, 90th percentile"),
    "resolve_hours_p50": _("Time to resolve, median"),
    "resolve_hours_p90": _("Time to resolve, 90th percentile"),
    "preventive_due": _("Preventive work due"),
    "preventive_on_time": _("Preventive work done on time"),
    "preventive_compliance": _("Preventive maintenance compliance"),
}
UNITS: dict[str, str | Promise] = {"h": _("hours"), "%": "%", "s": _("seconds"), "count": ""}


def metric_label(name: str) -> str:
    """The metric's label in the active language; an unknown name reads as words (`work_orders` -> Work orders)."""
    if name in METRIC_LABELS:
        return str(METRIC_LABELS[name])
    if name.startswith("activities_by_kind."):
        kind = name.removeprefix("activities_by_kind.")
        label = ActivityKind(kind).label if kind in ActivityKind.values else kind
        return f"{gettext('Activities')}: {label}"
    if name.startswith("remaining_hours "):  # the allocation burn-down: one metric per day
        return gettext("Remaining on %(date)s") % {"date": name.removeprefix("remaining_hours ")}
    return name.replace(".", " · ").replace("_", " ").capitalize()


def booking_status_label(status: str) -> str:
    """A booking status as people read it (`no_show` -> No-show)."""
    return str(BookingStatus(status).label) if status in BookingStatus.values else status
