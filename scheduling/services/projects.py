"""Projects, memberships and allocations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from facility.models import Organization
from scheduling.choices import MembershipRole
from scheduling.models import Allocation, Backend, Membership, Project
from scheduling.selectors.projects import allocation_list_with_usage, project_members_manageable


class MemberFields(TypedDict, total=False):
    """One member of a project: the user (required) and the role (default `member`)."""

    user: User
    role: str


class ProjectFields(TypedDict, total=False):
    """What `project_update` may change."""

    code: str
    title: str
    institution: Organization
    pi: User
    description: str
    active: bool


class AllocationFields(TypedDict, total=False):
    """What `allocation_update` may change."""

    project: Project
    backend: Backend
    hours: Decimal
    valid_from: datetime.date
    valid_until: datetime.date


def _set_members(project: Project, members: list[MemberFields]) -> None:
    """Make the memberships exactly `members` plus the PI (always role `pi`)."""
    wanted: dict[int, str] = {m["user"].pk: m.get("role", MembershipRole.MEMBER) for m in members}
    wanted[project.pi_id] = MembershipRole.PI
    Membership.objects.filter(project=project).exclude(user__in=list(wanted)).delete()
    existing = {m.user_id: m for m in Membership.objects.filter(project=project)}
    for user_id, role in wanted.items():
        membership = existing.get(user_id) or Membership(project=project, user_id=user_id)
        if membership.pk is None or membership.role != role:
            membership.role = role
            membership.full_clean(validate_unique=False)
            membership.save()


@transaction.atomic
def project_create(
    *,
    code: str,
    title: str,
    institution: Organization,
    pi: User,
    description: str = "",
    active: bool = True,
    members: list[MemberFields] | None = None,
) -> Project:
    """Create a project; the PI becomes a member with role `pi`; `members` is `[{"user", "role"}]`."""
    project = Project(code=code, title=title, institution=institution, pi=pi, description=description, active=active)
    project.full_clean()
    project.save()
    _set_members(project, members or [])
    return project


@transaction.atomic
def project_update(
    *, project: Project, members: list[MemberFields] | None = None, **fields: Unpack[ProjectFields]
) -> Project:
    """Change a project's fields; `members`, when given, replaces the membership list (the PI stays)."""
    for key, value in fields.items():
        setattr(project, key, value)
    project.full_clean()
    project.save()
    if members is not None or "pi" in fields:
        current: list[MemberFields] = [
            {"user": m.user, "role": m.role} for m in project.memberships.select_related("user")
        ]
        _set_members(project, members if members is not None else current)
    return project


@transaction.atomic
def membership_add(*, project: Project, user: User, role: str = MembershipRole.MEMBER) -> Membership:
    """Add a user to a project (or change their role)."""
    membership, _created = Membership.objects.get_or_create(project=project, user=user, defaults={"role": role})
    if membership.role != role:
        membership.role = role
        membership.full_clean()
        membership.save()
    return membership


def project_members_check(*, project: Project, by: User) -> None:
    """Refuse (`not_pi`) anyone but the project's PI and staff who may change projects."""
    if not project_members_manageable(project=project, by=by):
        raise DomainError(
            _("Only the project's principal investigator (or facility staff) may change its members."), code="not_pi"
        )


def _locked_for_member_change(project: Project, by: User) -> Project:
    """The project row, locked (one member change at a time keeps exactly one PI); `not_pi` for others."""
    project_members_check(project=project, by=by)
    return Project.objects.select_for_update().get(pk=project.pk)


@transaction.atomic
def project_member_add(*, project: Project, by: User, user: User, role: str = MembershipRole.MEMBER) -> Membership:
    """Add a user to the project, or change their role; role `pi` hands the PI role over (the old PI stays a
    member), so the project keeps exactly one PI. `not_pi` unless `by` is the PI or staff."""
    project = _locked_for_member_change(project, by)
    if not user.is_active:
        raise ValidationError({"user": [_("This account is not active.")]})
    if role == MembershipRole.PI:
        if project.pi_id != user.pk:
            Membership.objects.filter(project=project, role=MembershipRole.PI).update(role=MembershipRole.MEMBER)
            project.pi = user
            project.save(update_fields=["pi"])
    elif project.pi_id == user.pk:
        raise ValidationError(
            {"role": [_("The principal investigator stays so until they hand the role over to another member.")]}
        )
    membership, created = Membership.objects.get_or_create(project=project, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def project_member_remove(*, project: Project, by: User, user_id: int) -> bool:
    """End the user's membership: their past bookings and jobs stay, but they can no longer book or submit.

    The PI cannot be removed (hand the role over first). `not_pi` unless `by` is the PI or staff. Returns whether
    the user was a member."""
    project = _locked_for_member_change(project, by)
    if project.pi_id == user_id:
        raise ValidationError(
            {"user": [_("The principal investigator cannot be removed: hand the role over to another member first.")]}
        )
    deleted, _rows = Membership.objects.filter(project=project, user_id=user_id).delete()
    return bool(deleted)


@transaction.atomic
def allocation_create(
    *, project: Project, backend: Backend, hours: Decimal, valid_from: datetime.date, valid_until: datetime.date
) -> Allocation:
    """Grant the project hours on the backend for a period (dates inclusive, site-local)."""
    allocation = Allocation(
        project=project, backend=backend, hours=hours, valid_from=valid_from, valid_until=valid_until
    )
    allocation.full_clean()
    allocation.save()
    return allocation


@transaction.atomic
def allocation_update(*, allocation: Allocation, **fields: Unpack[AllocationFields]) -> Allocation:
    """Change an allocation; its hours may not drop below what its bookings already hold."""
    for key, value in fields.items():
        setattr(allocation, key, value)
    allocation.full_clean()
    held = Decimal("0")
    if allocation.pk is not None:
        usage = allocation_list_with_usage(Allocation.objects.filter(pk=allocation.pk)).get()
        held = usage.charged_hours  # type: ignore[attr-defined]
    if allocation.hours < held:
        raise ValidationError({"hours": [_("Bookings already hold %(held)s hours.") % {"held": held}]})
    allocation.save()
    return allocation
