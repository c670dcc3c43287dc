# ruff: noqa: E501, F811  (the tables are one row per case; `world` is a fixture imported from api_world)
"""The permission matrix: every endpoint of API.md against every role gets exactly the access DESIGN.md section 5 gives.

Columns (ROLES): anonymous, researcher of project A, researcher of project B, Facility managers, Procurement
officers, Office staff, superuser. Writes send an empty body: a role that passes the permission check reaches
validation (400) or the domain rule (409), one that does not gets 401/403 (404 for an object outside its
projects). Each cell runs in its own savepoint on the shared data set, so writes never leak into the next cell.

Rules encoded here:
- no credentials: 401 everywhere;
- researchers: their own projects' bookings, jobs, allocations, projects and reports; others' objects 404;
  backends, downtime and calibrations readable by every signed-in user; scheduling configuration writes staff-only;
- facility and procurement data: staff only, each behind its own model permissions (accounts/roles.py):
  Procurement officers see organisations but no sites, offices, equipment or work orders; Facility managers and
  Office staff see no procurement; Office staff may not create equipment or work orders;
- staff without the scheduling view permissions (Procurement officers, Office staff) see only their own
  projects' bookings, projects and allocations, like researchers;
- users: listing needs the user view permission, creating users the add permission (superuser only here);
- reports are data of their area (reports.access): own reports, plus every report of a kind the staff user's area
  covers; others' reports 404, requesting a kind outside the area 403; lists also pin how many rows each role sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver

from reports.choices import ReportStatus
from reports.services import report_generate, report_request
from tests.factories import ReportFactory
from tests.hardening.api_world import ROLES, World, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

V = "/api/v1"
AVAIL = "?start=2026-03-02T00:00:00Z&end=2026-03-09T00:00:00Z"


@dataclass(frozen=True)
class Row:
    """One endpoint and method; `expect` has one status per role, in ROLES order."""

    name: str
    method: str
    url: str  # `{booking_a}` etc. are replaced by the primary key of that world object
    expect: tuple[int, int, int, int, int, int, int]
    body: dict[str, Any] | None = None
    counts: tuple[int | None, ...] | None = None  # lists: the `count` each role is answered, in ROLES order


# fmt: off
#                                                                           anon  resA  resB   FM    PO    OS  root
MATRIX: list[Row] = [
    # accounts
    Row("me",                      "get",   f"{V}/users/me/",                (401, 200, 200, 200, 200, 200, 200)),
    Row("calendar secret rotate",  "post",  f"{V}/users/me/calendar-secret/", (401, 200, 200, 200, 200, 200, 200)),
    Row("users list",              "get",   f"{V}/users/",                   (401, 403, 403, 200, 403, 403, 200)),
    Row("users create",            "post",  f"{V}/users/",                   (401, 403, 403, 403, 403, 403, 400), {}),
    # facility
    Row("organizations list",      "get",   f"{V}/organizations/",           (401, 403, 403, 200, 200, 200, 200)),
    Row("organizations create",    "post",  f"{V}/organizations/",           (401, 403, 403, 400, 400, 403, 400), {}),
    Row("organization detail",     "get",   f"{V}/organizations/{{organization}}/", (401, 403, 403, 200, 200, 200, 200)),
    Row("organization patch",      "patch", f"{V}/organizations/{{organization}}/", (401, 403, 403, 200, 200, 403, 200), {}),
    Row("sites list",              "get",   f"{V}/sites/",                   (401, 403, 403, 200, 403, 200, 200)),
    Row("sites create",            "post",  f"{V}/sites/",                   (401, 403, 403, 400, 403, 403, 400), {}),
    Row("site detail",             "get",   f"{V}/sites/{{site}}/",          (401, 403, 403, 200, 403, 200, 200)),
    Row("site patch",              "patch", f"{V}/sites/{{site}}/",          (401, 403, 403, 200, 403, 403, 200), {}),
    Row("offices list",            "get",   f"{V}/offices/",                 (401, 403, 403, 200, 403, 200, 200)),
    Row("offices create",          "post",  f"{V}/offices/",                 (401, 403, 403, 400, 403, 400, 400), {}),
    Row("office detail",           "get",   f"{V}/offices/{{office}}/",      (401, 403, 403, 200, 403, 200, 200)),
    Row("office patch",            "patch", f"{V}/offices/{{office}}/",      (401, 403, 403, 200, 403, 200, 200), {}),
    Row("office close",            "post",  f"{V}/offices/{{office}}/close/", (401, 403, 403, 200, 403, 200, 200), {}),
    Row("activities list",         "get",   f"{V}/office-activities/",       (401, 403, 403, 200, 403, 200, 200)),
    Row("activities create",       "post",  f"{V}/office-activities/",       (401, 403, 403, 400, 403, 400, 400), {}),
    Row("activity detail",         "get",   f"{V}/office-activities/{{activity}}/", (401, 403, 403, 200, 403, 200, 200)),
    Row("activity patch",          "patch", f"{V}/office-activities/{{activity}}/", (401, 403, 403, 200, 403, 200, 200), {}),
    Row("equipment list",          "get",   f"{V}/equipment/",               (401, 403, 403, 200, 403, 200, 200)),
    Row("equipment create",        "post",  f"{V}/equipment/",               (401, 403, 403, 400, 403, 403, 400), {}),
    Row("equipment detail",        "get",   f"{V}/equipment/{{equipment}}/", (401, 403, 403, 200, 403, 200, 200)),
    Row("equipment patch",         "patch", f"{V}/equipment/{{equipment}}/", (401, 403, 403, 200, 403, 403, 200), {}),
    Row("work orders list",        "get",   f"{V}/work-orders/",             (401, 403, 403, 200, 403, 200, 200)),
    Row("work orders create",      "post",  f"{V}/work-orders/",             (401, 403, 403, 400, 403, 403, 400), {}),
    Row("work order detail",       "get",   f"{V}/work-orders/{{work_order}}/", (401, 403, 403, 200, 403, 200, 200)),
    Row("work order patch",        "patch", f"{V}/work-orders/{{work_order}}/", (401, 403, 403, 200, 403, 200, 200), {}),
    Row("work order acknowledge",  "post",  f"{V}/work-orders/{{work_order}}/acknowledge/", (401, 403, 403, 200, 403, 200, 200), {}),
    Row("work order resolve",      "post",  f"{V}/work-orders/{{work_order}}/resolve/",     (401, 403, 403, 409, 403, 409, 409), {}),  # open: acknowledge first
    Row("work order cancel",       "post",  f"{V}/work-orders/{{work_order}}/cancel/",      (401, 403, 403, 200, 403, 200, 200), {}),
    # scheduling: configuration readable by all, written by staff with scheduling permissions
    Row("backends list",           "get",   f"{V}/backends/",                (401, 200, 200, 200, 200, 200, 200)),
    Row("backends create",         "post",  f"{V}/backends/",                (401, 403, 403, 400, 403, 403, 400), {}),
    Row("backend detail",          "get",   f"{V}/backends/{{backend}}/",    (401, 200, 200, 200, 200, 200, 200)),
    Row("backend patch",           "patch", f"{V}/backends/{{backend}}/",    (401, 403, 403, 200, 403, 403, 200), {}),
    Row("backend availability",    "get",   f"{V}/backends/{{backend}}/availability/{AVAIL}", (401, 200, 200, 200, 200, 200, 200)),
    Row("windows list",            "get",   f"{V}/maintenance-windows/",     (401, 200, 200, 200, 200, 200, 200)),
    Row("windows create",          "post",  f"{V}/maintenance-windows/",     (401, 403, 403, 400, 403, 403, 400), {}),
    Row("window detail",           "get",   f"{V}/maintenance-windows/{{window}}/", (401, 200, 200, 200, 200, 200, 200)),
    Row("window patch",            "patch", f"{V}/maintenance-windows/{{window}}/", (401, 403, 403, 200, 403, 403, 200), {}),
    Row("outages list",            "get",   f"{V}/outages/",                 (401, 200, 200, 200, 200, 200, 200)),
    Row("outages create",          "post",  f"{V}/outages/",                 (401, 403, 403, 400, 403, 403, 400), {}),
    Row("outage detail",           "get",   f"{V}/outages/{{outage}}/",      (401, 200, 200, 200, 200, 200, 200)),
    Row("outage patch",            "patch", f"{V}/outages/{{outage}}/",      (401, 403, 403, 200, 403, 403, 200), {}),
    Row("calibrations list",       "get",   f"{V}/calibrations/",            (401, 200, 200, 200, 200, 200, 200)),
    Row("calibrations create",     "post",  f"{V}/calibrations/",            (401, 403, 403, 400, 403, 403, 400), {}),
    Row("calibration detail",      "get",   f"{V}/calibrations/{{calibration}}/", (401, 200, 200, 200, 200, 200, 200)),
    # scheduling: projects and allocations (researchers: their own; staff with scheduling permissions: all)
    Row("projects list",           "get",   f"{V}/projects/",                (401, 200, 200, 200, 200, 200, 200)),
    Row("projects create",         "post",  f"{V}/projects/",                (401, 403, 403, 400, 403, 403, 400), {}),
    Row("project A detail",        "get",   f"{V}/projects/{{project_a}}/",  (401, 200, 404, 200, 404, 404, 200)),
    Row("project A patch",         "patch", f"{V}/projects/{{project_a}}/",  (401, 403, 403, 200, 403, 403, 200), {}),
    Row("allocations list",        "get",   f"{V}/allocations/",             (401, 200, 200, 200, 200, 200, 200)),
    Row("allocations create",      "post",  f"{V}/allocations/",             (401, 403, 403, 400, 403, 403, 400), {}),
    Row("allocation A detail",     "get",   f"{V}/allocations/{{allocation_a}}/", (401, 200, 404, 200, 404, 404, 200)),
    Row("allocation A patch",      "patch", f"{V}/allocations/{{allocation_a}}/", (401, 403, 403, 200, 403, 403, 200), {}),
    # scheduling: bookings, jobs
    Row("bookings list",           "get",   f"{V}/bookings/",                (401, 200, 200, 200, 200, 200, 200)),
    Row("bookings create",         "post",  f"{V}/bookings/",                (401, 400, 400, 400, 400, 400, 400), {}),
    Row("bookings series",         "post",  f"{V}/bookings/series/",         (401, 400, 400, 400, 400, 400, 400), {}),
    Row("booking A detail",        "get",   f"{V}/bookings/{{booking_a}}/",  (401, 200, 404, 200, 404, 404, 200)),
    Row("booking A cancel preview", "get",  f"{V}/bookings/{{booking_a}}/cancel-preview/", (401, 200, 404, 200, 404, 404, 200)),
    Row("booking A cancel",        "post",  f"{V}/bookings/{{booking_a}}/cancel/", (401, 200, 404, 200, 404, 404, 200), {}),
    Row("booking A approve",       "post",  f"{V}/bookings/{{booking_a}}/approve/", (401, 403, 403, 409, 403, 403, 409), {}),
    Row("booking A reject",        "post",  f"{V}/bookings/{{booking_a}}/reject/",  (401, 403, 403, 409, 403, 403, 409), {}),
    Row("jobs list",               "get",   f"{V}/jobs/",                    (401, 200, 200, 200, 200, 200, 200)),
    Row("jobs create",             "post",  f"{V}/jobs/",                    (401, 400, 400, 400, 400, 400, 400), {}),
    Row("job A detail",            "get",   f"{V}/jobs/{{job_a}}/",          (401, 200, 404, 200, 404, 404, 200)),
    Row("job A result",            "get",   f"{V}/jobs/{{job_a}}/result/",   (401, 409, 404, 409, 404, 404, 409)),
    Row("job A cancel",            "post",  f"{V}/jobs/{{job_a}}/cancel/",   (401, 200, 404, 200, 404, 404, 200), {}),
    # procurement: Procurement officers (and the superuser) only
    Row("processes list",          "get",   f"{V}/procurement/processes/",   (401, 403, 403, 403, 200, 403, 200)),
    Row("processes create",        "post",  f"{V}/procurement/processes/",   (401, 403, 403, 403, 400, 403, 400), {}),
    Row("process detail",          "get",   f"{V}/procurement/processes/{{process}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("process patch",           "patch", f"{V}/procurement/processes/{{process}}/", (401, 403, 403, 403, 200, 403, 200), {}),
    Row("process transition",      "post",  f"{V}/procurement/processes/{{process}}/transition/", (401, 403, 403, 403, 400, 403, 400), {}),
    Row("process history",         "get",   f"{V}/procurement/processes/{{process}}/history/", (401, 403, 403, 403, 200, 403, 200)),
    Row("process ocds",            "get",   f"{V}/procurement/processes/{{process}}/ocds/", (401, 403, 403, 403, 200, 403, 200)),
    Row("ocds releases",           "get",   f"{V}/procurement/ocds/releases/", (401, 403, 403, 403, 200, 403, 200)),
    Row("ocds records",            "get",   f"{V}/procurement/ocds/records/",  (401, 403, 403, 403, 200, 403, 200)),
    Row("tenders list",            "get",   f"{V}/procurement/tenders/",     (401, 403, 403, 403, 200, 403, 200)),
    Row("tenders create",          "post",  f"{V}/procurement/tenders/",     (401, 403, 403, 403, 400, 403, 400), {}),
    Row("tender detail",           "get",   f"{V}/procurement/tenders/{{tender}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("tender items",            "post",  f"{V}/procurement/tenders/{{tender}}/items/", (401, 403, 403, 403, 400, 403, 400), {}),
    Row("bids list",               "get",   f"{V}/procurement/bids/",        (401, 403, 403, 403, 200, 403, 200)),
    Row("bids create",             "post",  f"{V}/procurement/bids/",        (401, 403, 403, 403, 400, 403, 400), {}),
    Row("bid detail",              "get",   f"{V}/procurement/bids/{{bid}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("awards list",             "get",   f"{V}/procurement/awards/",      (401, 403, 403, 403, 200, 403, 200)),
    Row("awards create",           "post",  f"{V}/procurement/awards/",      (401, 403, 403, 403, 400, 403, 400), {}),
    Row("award detail",            "get",   f"{V}/procurement/awards/{{award}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("contracts list",          "get",   f"{V}/procurement/contracts/",   (401, 403, 403, 403, 200, 403, 200)),
    Row("contracts create",        "post",  f"{V}/procurement/contracts/",   (401, 403, 403, 403, 400, 403, 400), {}),
    Row("contract detail",         "get",   f"{V}/procurement/contracts/{{contract}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("contract sign",           "post",  f"{V}/procurement/contracts/{{contract}}/sign/", (401, 403, 403, 403, 400, 403, 400), {}),
    Row("milestones list",         "get",   f"{V}/procurement/milestones/",  (401, 403, 403, 403, 200, 403, 200)),
    Row("milestones create",       "post",  f"{V}/procurement/milestones/",  (401, 403, 403, 403, 400, 403, 400), {}),
    Row("milestone detail",        "get",   f"{V}/procurement/milestones/{{milestone}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("amendments list",         "get",   f"{V}/procurement/amendments/",  (401, 403, 403, 403, 200, 403, 200)),
    Row("amendments create",       "post",  f"{V}/procurement/amendments/",  (401, 403, 403, 403, 400, 403, 400), {}),
    Row("amendment detail",        "get",   f"{V}/procurement/amendments/{{amendment}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("payments list",           "get",   f"{V}/procurement/payments/",    (401, 403, 403, 403, 200, 403, 200)),
    Row("payments create",         "post",  f"{V}/procurement/payments/",    (401, 403, 403, 403, 400, 403, 400), {}),
    Row("payment detail",          "get",   f"{V}/procurement/payments/{{payment}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("documents list",          "get",   f"{V}/procurement/documents/",   (401, 403, 403, 403, 200, 403, 200)),
    Row("documents create",        "post",  f"{V}/procurement/documents/",   (401, 403, 403, 403, 415, 403, 415), {}),  # JSON: multipart only
    Row("document detail",         "get",   f"{V}/procurement/documents/{{document}}/", (401, 403, 403, 403, 200, 403, 200)),
    Row("document download",       "get",   f"{V}/procurement/documents/{{document}}/download/", (401, 403, 403, 403, 200, 403, 200)),
    Row("exchange rates list",     "get",   f"{V}/procurement/exchange-rates/", (401, 403, 403, 403, 200, 403, 200)),
    Row("exchange rates create",   "post",  f"{V}/procurement/exchange-rates/", (401, 403, 403, 403, 400, 403, 400), {}),
    Row("exchange rate detail",    "get",   f"{V}/procurement/exchange-rates/{{rate}}/", (401, 403, 403, 403, 200, 403, 200)),
    # reports (reports.access): everyone sees their own; staff also every report of a kind their area covers
    # (utilization, project usage: Facility managers; procurement summary: Procurement officers; office activity:
    # Office staff and Facility managers, who hold every facility permission); others' reports 404; requesting a
    # kind outside the area 403. The reports: A and B (project usage, pending, by researchers A and B), one
    # succeeded report of each kind (project usage of A requested by the facility manager, the others scheduled),
    # and the procurement officer's own project usage report (pending), outside their area.
    Row("reports list",            "get",   f"{V}/reports/",                 (401, 200, 200, 200, 200, 200, 200), counts=(None, 1, 1, 6, 2, 1, 7)),
    Row("reports list utilization", "get",  f"{V}/reports/?kind=utilization", (401, 200, 200, 200, 200, 200, 200), counts=(None, 0, 0, 1, 0, 0, 1)),
    Row("reports list project usage", "get", f"{V}/reports/?kind=project_usage", (401, 200, 200, 200, 200, 200, 200), counts=(None, 1, 1, 4, 1, 0, 4)),
    Row("reports list procurement", "get",  f"{V}/reports/?kind=procurement_summary", (401, 200, 200, 200, 200, 200, 200), counts=(None, 0, 0, 0, 1, 0, 1)),
    Row("reports list office",     "get",   f"{V}/reports/?kind=office_activity", (401, 200, 200, 200, 200, 200, 200), counts=(None, 0, 0, 1, 0, 1, 1)),
    Row("reports list succeeded",  "get",   f"{V}/reports/?status=succeeded", (401, 200, 200, 200, 200, 200, 200), counts=(None, 0, 0, 3, 1, 1, 4)),
    Row("reports create",          "post",  f"{V}/reports/",                 (401, 400, 400, 400, 400, 400, 400), {}),
    Row("reports create utilization", "post", f"{V}/reports/",               (401, 403, 403, 202, 403, 403, 202), {"kind": "utilization", "params": {"backend": "spark", "start": "2026-02-01", "end": "2026-03-01"}}),
    Row("reports create project usage A", "post", f"{V}/reports/",           (401, 202, 403, 202, 403, 403, 202), {"kind": "project_usage", "params": {"project": "PRJ-A", "start": "2026-02-01", "end": "2026-03-01"}}),
    Row("reports create procurement", "post", f"{V}/reports/",               (401, 403, 403, 403, 202, 403, 202), {"kind": "procurement_summary", "params": {}}),
    Row("reports create office",   "post",  f"{V}/reports/",                 (401, 403, 403, 202, 403, 202, 202), {"kind": "office_activity", "params": {"start": "2026-01-01", "end": "2026-04-01"}}),
    Row("report A detail",         "get",   f"{V}/reports/{{report_a}}/",    (401, 200, 404, 200, 404, 404, 200)),
    Row("report A download",       "get",   f"{V}/reports/{{report_a}}/download/", (401, 409, 404, 409, 404, 404, 409)),
    Row("report utilization detail", "get", f"{V}/reports/{{report_utilization}}/", (401, 404, 404, 200, 404, 404, 200)),
    Row("report utilization pdf",  "get",   f"{V}/reports/{{report_utilization}}/download/?format=pdf", (401, 404, 404, 200, 404, 404, 200)),
    Row("report usage detail",     "get",   f"{V}/reports/{{report_usage}}/", (401, 404, 404, 200, 404, 404, 200)),
    Row("report usage csv",        "get",   f"{V}/reports/{{report_usage}}/download/?format=csv", (401, 404, 404, 200, 404, 404, 200)),
    Row("report procurement detail", "get", f"{V}/reports/{{report_procurement}}/", (401, 404, 404, 404, 200, 404, 200)),
    Row("report procurement pdf",  "get",   f"{V}/reports/{{report_procurement}}/download/?format=pdf", (401, 404, 404, 404, 200, 404, 200)),
    Row("report office detail",    "get",   f"{V}/reports/{{report_office}}/", (401, 404, 404, 200, 404, 200, 200)),
    Row("report office json",      "get",   f"{V}/reports/{{report_office}}/download/?format=json", (401, 404, 404, 200, 404, 200, 200)),
    Row("report of PO detail",     "get",   f"{V}/reports/{{report_po}}/",   (401, 404, 404, 200, 200, 404, 200)),
    Row("report of PO download",   "get",   f"{V}/reports/{{report_po}}/download/", (401, 404, 404, 409, 409, 404, 409)),
]
# fmt: on


class _Pks(dict[str, Any]):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def __missing__(self, key: str) -> int:
        return int(self.world.objects[key].pk)


def _call(world: World, role: str, row: Row) -> Any:
    client = world.client(role)
    url = row.url.format_map(_Pks(world))
    kwargs: dict[str, Any] = {} if row.body is None else {"data": row.body, "format": "json"}
    # Each cell in a savepoint of its own: a permitted write must not change what the next role sees.
    with transaction.atomic():
        response = getattr(client, row.method)(url, **kwargs)
        transaction.set_rollback(True)
    if response.streaming:  # a file download holds its file open until its content is read
        b"".join(response.streaming_content)
    return response


@pytest.fixture(scope="module")
def area_reports(world: World, django_db_blocker: Any) -> Iterator[None]:
    """One succeeded report of each kind (generated, files stored) and a report of the procurement officer's own.

    Made inside the world's transaction, so they are rolled back with it; their stored files are removed after
    the module (they live in the test media folder, next to the world's procurement document).
    """
    users = world.users
    generated = []
    with django_db_blocker.unblock():
        for name, kind, params, requester in [
            (
                "report_utilization",
                "utilization",
                {"backend": "spark", "start": "2026-02-23", "end": "2026-03-02"},
                None,
            ),
            (
                "report_usage",
                "project_usage",
                {"project": "PRJ-A", "start": "2026-02-01", "end": "2026-03-01"},
                users["facility_manager"],
            ),
            ("report_procurement", "procurement_summary", {}, None),
            ("report_office", "office_activity", {"start": "2026-01-01", "end": "2026-04-01"}, None),
        ]:
            report = report_request(kind=kind, params=params, requester=requester)
            report_generate(report_id=report.pk)
            report.refresh_from_db()
            assert report.status == ReportStatus.SUCCEEDED, report.error
            world.objects[name] = report
            generated.append(report)
        world.objects["report_po"] = ReportFactory(
            kind="project_usage",
            params={"project": world.project_a.pk, "start": "2026-02-01", "end": "2026-03-01"},
            requester=users["procurement_officer"],
        )
    yield
    for report in generated:
        report.pdf.delete(save=False)
        report.csv.delete(save=False)


@pytest.mark.parametrize("row", MATRIX, ids=[row.name for row in MATRIX])
def test_permission_matrix(world: World, area_reports: None, row: Row) -> None:
    mismatches = []
    for i, (role, expected) in enumerate(zip(ROLES, row.expect, strict=True)):
        response = _call(world, role, row)
        if response.status_code != expected:
            body = getattr(response, "data", None)
            mismatches.append(f"{role}: expected {expected}, got {response.status_code} {str(body)[:160]}")
        elif row.counts is not None and row.counts[i] is not None and response.json()["count"] != row.counts[i]:
            mismatches.append(f"{role}: expected {row.counts[i]} rows, got {response.json()['count']}")
    assert not mismatches, f"{row.method.upper()} {row.url}\n" + "\n".join(mismatches)


def _route_key(path: str) -> str:
    """`api/v1/^bookings/(?P<pk>[^/.]+)/cancel/$` and `/api/v1/bookings/{booking_a}/cancel/` -> `api/v1/bookings/cancel/`."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)|<int:\w+>|\{\w+\}", "", path).split("?")[0]
    return re.sub(r"[/^$]+", "/", path).strip("/")


def test_matrix_covers_every_api_route() -> None:
    """A new endpoint must get a row: every routed API view (minus the token endpoint) appears in MATRIX."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[str]:
        for pattern in resolver.url_patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, text)
            elif text.startswith("api/v1/") and "(?P<format>" not in text:
                yield text

    routes = {_route_key(path) for path in walk(get_resolver(), "")} - {"api/v1/auth/token"}
    covered = {_route_key(row.url) for row in MATRIX}
    assert sorted(routes - covered) == []
