"""Project members (API.md, issue 18): the PI (or staff) adds by id or e-mail, removes, hands over the PI role; a
project keeps exactly one PI; others get 403 `not_pi`; a former member keeps their history but can no longer book
or submit."""

import datetime

import pytest

from core.errors import DomainError
from scheduling.choices import MembershipRole
from scheduling.models import Membership, Project
from scheduling.services import booking_create, project_member_add, project_member_remove
from tests.factories import BookingFactory, JobFactory, UserFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pi(db):
    return UserFactory(username="pia", email="pia@example.org")


@pytest.fixture
def student(db):
    return UserFactory(username="stu", email="Student@Example.org")


@pytest.fixture
def project(make_project, pi):
    return make_project(pi=pi)


def members(project):
    return dict(Membership.objects.filter(project=project).values_list("user__username", "role"))


def url(project, user=None):
    base = f"/api/v1/projects/{project.pk}/members/"
    return base if user is None else f"{base}{user.pk}/"


def test_pi_adds_a_member_by_email_case_insensitive(make_client, project, pi, student):
    response = make_client(pi).post(url(project), {"email": "student@example.ORG"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"user": student.pk, "role": "member"}
    assert members(project) == {"pia": "pi", "stu": "member"}
    detail = make_client(student).get(f"/api/v1/projects/{project.pk}/").json()  # members see the list
    assert {m["user"] for m in detail["members"]} == {pi.pk, student.pk}


def test_pi_adds_a_member_by_id(make_client, project, pi, student):
    response = make_client(pi).post(url(project), {"user": student.pk}, format="json")
    assert response.status_code == 201
    assert members(project)["stu"] == "member"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "user"),
        ({"email": "nobody@example.org"}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"user": 999999}, "user"),
        ({"user": "STUDENT", "email": "student@example.org"}, "user"),
        ({"email": "student@example.org", "role": "owner"}, "role"),
    ],
)
def test_bad_member_requests_are_400_and_change_nothing(make_client, project, pi, student, body, field):
    response = make_client(pi).post(url(project), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert members(project) == {"pia": "pi"}


def test_a_member_who_is_not_the_pi_gets_not_pi(make_client, project, pi, student):
    project_member_add(project=project, by=pi, user=student)
    outsider = UserFactory()
    client = make_client(student)
    response = client.post(url(project), {"user": outsider.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_pi")
    response = client.delete(url(project, pi))
    assert (response.status_code, response.json()["code"]) == (403, "not_pi")
    assert client.post(url(project), {}, format="json").json()["code"] == "not_pi"  # refused before validation
    assert members(project) == {"pia": "pi", "stu": "member"}


def test_someone_outside_the_project_gets_404(make_client, project, student):
    assert make_client(student).post(url(project), {"user": student.pk}, format="json").status_code == 404


def test_staff_who_may_change_projects_manage_members(make_client, project, student, facility_manager):
    assert make_client(facility_manager).post(url(project), {"user": student.pk}, format="json").status_code == 201
    assert make_client(facility_manager).delete(url(project, student)).status_code == 204
    assert members(project) == {"pia": "pi"}


def test_handing_over_the_pi_role_keeps_exactly_one_pi(make_client, project, pi, student):
    project_member_add(project=project, by=pi, user=student)
    response = make_client(pi).post(url(project), {"user": student.pk, "role": "pi"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"user": student.pk, "role": "pi"}
    assert members(project) == {"pia": "member", "stu": "pi"}
    assert Project.objects.get(pk=project.pk).pi_id == student.pk
    # The old PI is now a plain member: member changes are no longer theirs to make.
    assert make_client(pi).delete(url(project, student)).json()["code"] == "not_pi"


def test_handing_over_to_a_non_member_adds_them_as_pi(project, pi, student):
    project_member_add(project=project, by=pi, user=student, role=MembershipRole.PI)
    assert members(project) == {"pia": "member", "stu": "pi"}


def test_the_pi_cannot_be_removed_or_demoted(make_client, project, pi):
    client = make_client(pi)
    response = client.delete(url(project, pi))
    assert response.status_code == 400
    assert "user" in response.json()
    response = client.post(url(project), {"user": pi.pk, "role": "member"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    assert members(project) == {"pia": "pi"}


def test_removing_someone_who_is_not_a_member_is_404(make_client, project, pi, student):
    assert make_client(pi).delete(url(project, student)).status_code == 404


def test_a_removed_member_keeps_their_history_but_can_no_longer_book_or_submit(make_client, project, pi, student):
    backend = project.allocations.get().backend
    project_member_add(project=project, by=pi, user=student)
    past = BookingFactory(
        project=project, backend=backend, user=student, starts_at=next_slot(0) - datetime.timedelta(days=3)
    )
    job = JobFactory(booking=past, project=project, user=student, backend=backend)
    assert make_client(pi).delete(url(project, student)).status_code == 204
    assert members(project) == {"pia": "pi"}
    client = make_client(student)
    assert [b["id"] for b in client.get("/api/v1/bookings/").json()["results"]] == [past.pk]
    assert [j["id"] for j in client.get("/api/v1/jobs/").json()["results"]] == [job.pk]
    start = next_slot(48)
    with pytest.raises(DomainError) as refused:
        booking_create(
            user=student, backend=backend, project=project, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
        )
    assert refused.value.code == "not_member"
    response = client.post(
        "/api/v1/jobs/",
        {"backend": backend.pk, "project": project.pk, "qasm": 'OPENQASM 2.0; include "qelib1.inc"; qreg q[1];'},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "not_member")


def test_member_add_and_remove_query_counts(make_client, project, pi, student, django_assert_num_queries):
    client = make_client(pi)
    # token with its user, the project with its members (two), the user; savepoint, lock, the membership's
    # get-or-create (select, savepoint, insert, release), release
    with django_assert_num_queries(11):
        assert client.post(url(project), {"user": student.pk}, format="json").status_code == 201
    with django_assert_num_queries(7):  # token, project, members; savepoint, lock, delete, release
        assert client.delete(url(project, student)).status_code == 204


def test_remove_service_refuses_others(project, student):
    with pytest.raises(DomainError) as refused:
        project_member_remove(project=project, by=student, user_id=student.pk)
    assert refused.value.code == "not_pi"
