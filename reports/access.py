"""Who may see and request which reports: the one rule the API, the admin and the download share (DESIGN.md 5).

A report is data of its area. A kind belongs to the area whose data it reads, and a staff user covers an area
when they hold that area's view permission (the superuser holds all):

| kind                  | area        | permission                            | groups (accounts/roles.py)      |
|-----------------------|-------------|---------------------------------------|---------------------------------|
| `utilization`         | facility    | `scheduling.view_booking`             | Facility managers               |
| `project_usage`       | facility    | `scheduling.view_booking`             | Facility managers               |
| `procurement_summary` | procurement | `procurement.view_contractingprocess` | Procurement officers            |
| `office_activity`     | offices     | `facility.view_officeactivity`        | Office staff, Facility managers |

The facility reports add up everyone's bookings and jobs, so their area is the permission that shows everyone's
bookings (scheduling selectors use the same one). Facility managers hold every facility permission, offices' too.

- See (list, retrieve, download): your own reports, and, as active staff with `reports.view_report`, every
  report of a kind your area covers. Any other report answers 404, like any object outside the user's reach.
- Request: active staff with `reports.add_report` for a kind their area covers; `project_usage` is also open to
  the members (and the PI) of that project. Anything else answers 403: a kind the user may not use at all.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from reports.choices import ReportKind

AREA_PERMISSION: dict[str, str] = {
    ReportKind.UTILIZATION: "scheduling.view_booking",
    ReportKind.PROJECT_USAGE: "scheduling.view_booking",
    ReportKind.PROCUREMENT_SUMMARY: "procurement.view_contractingprocess",
    ReportKind.OFFICE_ACTIVITY: "facility.view_officeactivity",
}


def _area_kinds(user: User, reports_permission: str) -> frozenset[str]:
    if not (user.is_active and user.is_staff and user.has_perm(reports_permission)):
        return frozenset()
    # has_perm caches the user's permissions on first use: one lookup, however many kinds there are.
    return frozenset(kind for kind, permission in AREA_PERMISSION.items() if user.has_perm(permission))


def report_kinds_visible(user: User) -> frozenset[str]:
    """The kinds whose every report the user sees (not only their own)."""
    return _area_kinds(user, "reports.view_report")


def report_kinds_requestable(user: User) -> frozenset[str]:
    """The kinds the user may request for any parameters (project usage is also open to project members)."""
    return _area_kinds(user, "reports.add_report")


def report_visible_q(user: User) -> Q:
    """The reports the user may see, as a filter on `Report`: their own plus every report of their area's kinds."""
    kinds = report_kinds_visible(user)
    if kinds == frozenset(AREA_PERMISSION):
        return Q()
    own = Q(requester=user) if user.is_active else Q(pk__in=[])
    return own | Q(kind__in=sorted(kinds)) if kinds else own
