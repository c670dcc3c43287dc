"""The portal's projects page (issue 18): members see the member list; the PI adds by e-mail, removes, and hands
the PI role over; others cannot."""

import pytest
from django.urls import reverse

from scheduling.choices import MembershipRole
from scheduling.models import Membership, Project
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/portal/projects/"


@pytest.fixture
def student(db):
    return UserFactory(username="stu", email="stu@example.org", full_name="Stu Dent")


def roles(project):
    return dict(Membership.objects.filter(project=project).values_list("user__username", "role"))


def test_members_see_the_list_without_the_forms(client, project, student):
    MembershipFactory(project=project, user=student)
    client.force_login(student)
    page = client.get(PAGE).content.decode()
    assert "Mina Kim" in page
    assert "Stu Dent" in page
    assert reverse("portal:project-member-add", args=[project.pk]) not in page


def test_the_pi_adds_a_member_by_email(portal_client, project, student):
    page = portal_client.get(PAGE).content.decode()
    assert reverse("portal:project-member-add", args=[project.pk]) in page
    response = portal_client.post(reverse("portal:project-member-add", args=[project.pk]), {"email": "STU@example.org"})
    assert response.status_code == 302
    assert roles(project) == {"mina": "pi", "stu": "member"}


@pytest.mark.parametrize("email", ["", "nobody@example.org"])
def test_adding_an_unknown_address_says_so_and_changes_nothing(portal_client, project, email):
    response = portal_client.post(reverse("portal:project-member-add", args=[project.pk]), {"email": email})
    assert response.status_code == 400
    assert "form-errors" in response.content.decode()
    assert roles(project) == {"mina": "pi"}


def test_the_pi_removes_a_member(portal_client, project, student):
    MembershipFactory(project=project, user=student)
    response = portal_client.post(reverse("portal:project-member-remove", args=[project.pk, student.pk]))
    assert response.status_code == 302
    assert roles(project) == {"mina": "pi"}


def test_the_pi_hands_over_only_when_confirmed(portal_client, project, student, member):
    MembershipFactory(project=project, user=student)
    url = reverse("portal:project-pi", args=[project.pk, student.pk])
    assert portal_client.post(url).status_code == 400
    assert roles(project) == {"mina": "pi", "stu": "member"}
    assert portal_client.post(url, {"confirm": "yes"}).status_code == 302
    assert roles(project) == {"mina": "member", "stu": "pi"}
    assert Project.objects.get(pk=project.pk).pi_id == student.pk
    # Now a plain member: the forms are gone and a change is refused.
    assert reverse("portal:project-member-add", args=[project.pk]) not in portal_client.get(PAGE).content.decode()
    response = portal_client.post(reverse("portal:project-member-remove", args=[project.pk, student.pk]))
    assert response.status_code == 403


def test_a_plain_member_cannot_change_members(client, project, student, member):
    MembershipFactory(project=project, user=student)
    client.force_login(student)
    other = UserFactory(email="x@example.org")
    assert (
        client.post(reverse("portal:project-member-add", args=[project.pk]), {"email": "x@example.org"}).status_code
        == 403
    )
    assert client.post(reverse("portal:project-member-remove", args=[project.pk, member.pk])).status_code == 403
    assert roles(project) == {"mina": "pi", "stu": "member"}
    assert not Membership.objects.filter(user=other).exists()


def test_someone_elses_project_is_404(portal_client, other_project, student):
    url = reverse("portal:project-member-add", args=[other_project.pk])
    assert portal_client.post(url, {"email": "stu@example.org"}).status_code == 404


def test_projects_page_query_count_is_constant(portal_client, project, member, django_assert_num_queries):
    for _ in range(2):
        MembershipFactory(project=project, user=UserFactory())
    with django_assert_num_queries(4):  # session, user, projects, members with their users
        portal_client.get(PAGE)
    for _ in range(6):
        other = MembershipFactory(user=member, role=MembershipRole.MEMBER).project
        MembershipFactory(project=other)
    with django_assert_num_queries(4):
        portal_client.get(PAGE)


# Adding by e-mail: session, user, the project with its members (2), the user by e-mail; the service's savepoint, the
# project row locked, the membership's get-or-create (select, savepoint, insert, release), the release.
MEMBER_ADD_QUERIES = 12
# Removing: session, user, the project with its members (2); savepoint, the project row locked, delete, release.
MEMBER_REMOVE_QUERIES = 8


@pytest.mark.parametrize("others", [1, 7])
def test_member_add_and_remove_query_counts(portal_client, project, student, others, django_assert_num_queries):
    for _ in range(others):
        MembershipFactory(project=project, user=UserFactory())
    add = reverse("portal:project-member-add", args=[project.pk])
    remove = reverse("portal:project-member-remove", args=[project.pk, student.pk])
    with django_assert_num_queries(MEMBER_ADD_QUERIES):
        response = portal_client.post(add, {"email": "stu@example.org"})
    assert response.status_code == 302
    with django_assert_num_queries(MEMBER_REMOVE_QUERIES):
        response = portal_client.post(remove)
    assert response.status_code == 302
    assert Membership.objects.filter(project=project).count() == 1 + others
