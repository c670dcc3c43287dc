"""The viewer's projects and their members; the PI (or staff) adds, removes and hands over the PI role."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.selectors import user_get_by_email
from core.errors import DomainError
from scheduling.choices import MembershipRole
from scheduling.models import Project
from scheduling.portal.views.base import PortalView
from scheduling.selectors.projects import project_list_for_user, project_members_manageable
from scheduling.services import project_member_add, project_member_remove


def _message(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, DomainError):
        return exc.detail
    return " ".join(exc.messages)


def _status(exc: DomainError | ValidationError) -> int:
    """403 for `not_pi` (as the API answers), 400 for bad input."""
    return exc.status_code if isinstance(exc, DomainError) else 400


class ProjectListView(PortalView):
    """Each of the viewer's projects with its members; the PI's (and staff's) forms to change them."""

    nav = "projects"

    def page(self, *, errors: dict[int, str] | None = None, email: str = "", status: int = 200) -> HttpResponse:
        errors = errors or {}
        entries = [
            {
                "project": project,
                "error": errors.get(project.pk),
                "members": sorted(
                    project.memberships.all(), key=lambda m: (m.role != MembershipRole.PI, m.user.display_name)
                ),
                "manage": project_members_manageable(project=project, by=self.user),
            }
            for project in project_list_for_user(self.user).filter(memberships__user=self.user)
        ]
        context: dict[str, Any] = {"entries": entries, "email": email}
        return self.render("portal/projects.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()


class _MemberChangeView(ProjectListView):
    http_method_names = ["post"]

    def project(self, pk: int) -> Project:
        project = project_list_for_user(self.user).filter(pk=pk).first()
        if project is None:
            raise Http404
        return project

    def done(self, text: str, project: Project) -> HttpResponse:
        messages.success(self.request, text)
        return HttpResponseRedirect(f"{reverse('portal:project-list')}#project-{project.pk}")


class ProjectMemberAddView(_MemberChangeView):
    """Add an existing user to the project by their e-mail address."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = self.project(pk)
        email = request.POST.get("email", "").strip()
        user = user_get_by_email(email=email) if email else None
        try:
            if user is None:
                raise ValidationError(
                    _("No account has this e-mail address: the person needs an account first (ask the facility).")
                    if email
                    else _("Enter the e-mail address of the person to add.")
                )
            project_member_add(project=project, by=self.user, user=user)
        except (DomainError, ValidationError) as exc:
            return self.page(errors={project.pk: _message(exc)}, email=email, status=_status(exc))
        return self.done(_("%(name)s is now a member of %(project)s.") % {"name": user, "project": project}, project)


class ProjectMemberRemoveView(_MemberChangeView):
    """End a membership: the person's bookings and jobs stay, but they can no longer book or submit."""

    def post(self, request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
        project = self.project(pk)
        try:
            removed = project_member_remove(project=project, by=self.user, user_id=user_id)
        except (DomainError, ValidationError) as exc:
            return self.page(errors={project.pk: _message(exc)}, status=_status(exc))
        if not removed:
            raise Http404
        return self.done(_("The member was removed from %(project)s.") % {"project": project}, project)


class ProjectPiHandoverView(_MemberChangeView):
    """Hand the PI role over to another member (confirmed by a tick); the old PI stays a member."""

    def post(self, request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
        project = self.project(pk)
        member = next((m.user for m in project.memberships.all() if m.user_id == user_id), None)
        if member is None:
            raise Http404
        try:
            if request.POST.get("confirm") != "yes":
                raise ValidationError(_("Tick the box to confirm the hand-over."))
            project_member_add(project=project, by=self.user, user=member, role=MembershipRole.PI)
        except (DomainError, ValidationError) as exc:
            return self.page(errors={project.pk: _message(exc)}, status=_status(exc))
        return self.done(
            _("%(name)s is now the principal investigator of %(project)s.") % {"name": member, "project": project},
            project,
        )
