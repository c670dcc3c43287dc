"""Projects, memberships and allocations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from facility.models import Organization
from scheduling.choices import MembershipRole
from scheduling.models import Allocation, Backend, Membership, Project
from scheduling.selectors.projects import allocation_list_with_usage


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
