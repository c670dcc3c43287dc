"""Reports are data of their area (reports.access): the rule as the API, the admin and the selectors apply it.

The API's role x kind matrix lives in tests/hardening/test_permissions.py; these tests break the rule's parts one
at a time (no staff flag, no report permission, an inactive account, a member outside the area) and cover the admin.
"""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import FACILITY_MANAGERS, OFFICE_STAFF, PROCUREMENT_OFFICERS
from reports.access import AREA_PERMISSION, report_kinds_requestable, report_kinds_visible
from reports.choices import ReportKind
from reports.models import Report
from reports.selectors import report_list
from tests.factories import MembershipFactory, ProjectFactory, ReportFactory, StaffFactory, UserFactory

LIST = "/api/v1/reports/"
CHANGELIST = "/admin/reports/report/"
ADD = "/admin/reports/report/add/"
ALL = frozenset(ReportKind.values)
FACILITY = frozenset({ReportKind.UTILIZATION, ReportKind.PROJECT_USAGE})


@pytest.fixture
def one_of_each(db):
    """A scheduled report of every kind (no requester): visible only through the area rule."""
    return {kind: ReportFactory(kind=kind, requester=None) for kind in ReportKind.values}


@pytest.mark.parametrize(
    ("group", "kinds"),
    [
        (FACILITY_MANAGERS, FACILITY | {ReportKind.OFFICE_ACTIVITY}),  # every facility permission, offices' too
        (PROCUREMENT_OFFICERS, {ReportKind.PROCUREMENT_SUMMARY}),
        (OFFICE_STAFF, {ReportKind.OFFICE_ACTIVITY}),
    ],
)
def test_each_group_covers_the_kinds_of_its_area(db, group, kinds):
    user = StaffFactory(groups=[group])
    assert report_kinds_visible(user) == kinds
    assert report_kinds_requestable(user) == kinds


def test_the_superuser_covers_every_kind_and_researchers_none(superuser, researcher):
    assert report_kinds_visible(superuser) == report_kinds_requestable(superuser) == ALL
    assert report_kinds_visible(researcher) == report_kinds_requestable(researcher) == frozenset()
    assert set(AREA_PERMISSION) == ALL  # a new kind must name its area


def test_group_permissions_without_the_staff_flag_cover_nothing(db):
    user = UserFactory(groups=[FACILITY_MANAGERS])
    assert report_kinds_visible(user) == frozenset()
    assert report_kinds_requestable(user) == frozenset()


def test_an_inactive_account_covers_nothing_and_sees_nothing(one_of_each):
    user = StaffFactory(groups=[FACILITY_MANAGERS], is_active=False)
    ReportFactory(requester=user)
    assert report_kinds_visible(user) == frozenset()
    assert not report_list(user=user).exists()


def test_the_area_without_the_report_permissions_gives_only_ones_own(one_of_each):
    """The area's permission alone is not enough: seeing needs reports.view_report, requesting reports.add_report."""
    group = Group.objects.create(name="Schedulers")
    group.permissions.add(Permission.objects.get(codename="view_booking"))
    user = StaffFactory(groups=["Schedulers"])
    mine = ReportFactory(requester=user)
    assert report_kinds_visible(user) == frozenset()
    assert [r.pk for r in report_list(user=user)] == [mine.pk]
    group.permissions.add(Permission.objects.get(codename="view_report"))
    user = type(user).objects.get(pk=user.pk)  # permissions are cached per user object
    assert report_kinds_visible(user) == FACILITY
    assert report_kinds_requestable(user) == frozenset()  # still no reports.add_report
    assert {r.kind for r in report_list(user=user)} == FACILITY


def test_each_role_lists_its_own_and_its_areas_reports(one_of_each, make_client, facility_manager, office_staff):
    officer = StaffFactory(username="officer", groups=[PROCUREMENT_OFFICERS])
    own_usage = ReportFactory(kind=ReportKind.PROJECT_USAGE, requester=officer)  # outside the area, but their own
    kinds = {
        user.username: sorted(r["kind"] for r in make_client(user).get(LIST).json()["results"])
        for user in (facility_manager, officer, office_staff)
    }
    assert kinds == {
        "fm": ["office_activity", "project_usage", "project_usage", "utilization"],  # the officer's too
        "officer": ["procurement_summary", "project_usage"],
        "os": ["office_activity"],
    }
    assert make_client(officer).get(f"{LIST}{own_usage.pk}/").status_code == 200
    assert make_client(office_staff).get(f"{LIST}{own_usage.pk}/").status_code == 404


def test_a_procurement_officer_no_longer_reads_researchers_project_usage(db, make_client, procurement_officer):
    usage = ReportFactory(kind=ReportKind.PROJECT_USAGE, requester=UserFactory())
    client = make_client(procurement_officer)
    assert client.get(f"{LIST}{usage.pk}/").status_code == 404
    assert client.get(f"{LIST}{usage.pk}/download/?format=json").status_code == 404
    assert client.get(LIST, {"kind": "project_usage"}).json()["count"] == 0


def test_a_member_outside_the_facility_area_may_request_their_projects_usage(db, make_client, procurement_officer):
    project = ProjectFactory()
    client = make_client(procurement_officer)
    payload = {"kind": "project_usage", "params": {"project": project.code, "start": "2026-03-02", "end": "2026-03-09"}}
    refused = client.post(LIST, payload, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_member")
    MembershipFactory(project=project, user=procurement_officer)
    accepted = client.post(LIST, payload, format="json")
    assert accepted.status_code == 202
    assert client.get(accepted.json()["url"]).status_code == 200  # their own report
    assert client.post(LIST, {"kind": "utilization", "params": {}}, format="json").status_code == 400  # params first


def test_a_kind_outside_the_area_is_refused_with_403_and_stores_nothing(backend, make_client, procurement_officer):
    payload = {"kind": "utilization", "params": {"backend": "spark", "start": "2026-03-02", "end": "2026-03-09"}}
    response = make_client(procurement_officer).post(LIST, payload, format="json")
    assert response.status_code == 403
    assert not Report.objects.exists()


# ---- the admin follows the same rule --------------------------------------------------------------------


def admin_for(client, user):
    client.force_login(user)
    return client


def test_admin_changelist_shows_a_procurement_officer_only_procurement_summaries(
    one_of_each, client, procurement_officer
):
    page = admin_for(client, procurement_officer).get(CHANGELIST)
    assert page.status_code == 200
    assert {r.kind for r in page.context["cl"].result_list} == {ReportKind.PROCUREMENT_SUMMARY}


def test_admin_changelist_of_each_area(one_of_each, client, facility_manager, office_staff):
    shown = {}
    for user in (facility_manager, office_staff):
        client.force_login(user)
        shown[user.username] = {r.kind for r in client.get(CHANGELIST).context["cl"].result_list}
    assert shown == {"fm": FACILITY | {ReportKind.OFFICE_ACTIVITY}, "os": {ReportKind.OFFICE_ACTIVITY}}


def test_admin_page_of_a_report_outside_the_area_is_not_found(one_of_each, client, procurement_officer):
    browser = admin_for(client, procurement_officer)
    usage = one_of_each[ReportKind.PROJECT_USAGE]
    response = browser.get(f"{CHANGELIST}{usage.pk}/change/")
    assert response.status_code == 302  # the admin's answer to an object it cannot find: back to the index
    assert response.url == "/admin/"
    own = one_of_each[ReportKind.PROCUREMENT_SUMMARY]
    assert browser.get(f"{CHANGELIST}{own.pk}/change/").status_code == 200


def test_admin_add_form_offers_only_the_areas_kinds(db, client, procurement_officer, office_staff):
    def offered(user):
        form = admin_for(client, user).get(ADD).context["adminform"].form
        return [value for value, _ in form.fields["kind"].choices]

    assert offered(procurement_officer) == ["procurement_summary"]
    assert offered(office_staff) == ["office_activity"]


def test_admin_refuses_a_kind_outside_the_area(backend, client, procurement_officer):
    fields = {"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"}
    response = admin_for(client, procurement_officer).post(ADD, {"kind": "utilization", **fields, "email_to": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors  # not one of the offered kinds
    assert not Report.objects.exists()


def test_office_staff_request_office_activity_in_the_admin(
    db, client, office_staff, django_capture_on_commit_callbacks
):
    fields = {"start": "2026-01-01", "end": "2026-04-01", "time_zone": "Asia/Seoul"}
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_for(client, office_staff).post(ADD, {"kind": "office_activity", **fields, "email_to": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Report.objects.get().requester == office_staff
