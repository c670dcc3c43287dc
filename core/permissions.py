"""The one permission base of the API: Django's model permissions, for staff, with a read-for-everyone variant."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Staff holding the model permission of the request: `view` to read, `add` to create, `change` to update.

    A view's `action_permissions` maps its custom actions to the permission they need (e.g. `{"approve":
    "change"}`): the staff groups of accounts/roles.py hold exactly these. Non-staff users are refused even when
    a permission was given to them by hand (DESIGN.md 5: facility and procurement data are staff-only).
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
    # Every signed-in user may read (the queryset decides what they see); writes stay staff-only.
    read_authenticated = False
    # Every signed-in user may also write (the services decide: membership, ownership); `action_permissions` stay
    # staff-only.
    write_authenticated = False

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if needed:
            opts = self._queryset(view).model._meta
            return bool(user.is_staff and user.has_perm(f"{opts.app_label}.{needed}_{opts.model_name}"))
        if self.write_authenticated or (self.read_authenticated and request.method in permissions.SAFE_METHODS):
            return True
        if not user.is_staff:
            return False
        return super().has_permission(request, view)


class AuthenticatedReadStaffWrite(StaffModelPermissions):
    """Reads for every signed-in user (backends, downtime, calibrations, projects); writes as the base."""

    read_authenticated = True


class AuthenticatedReadWrite(StaffModelPermissions):
    """Researchers' own records (bookings, jobs): every signed-in user reads and writes; the queryset shows only their
    projects' records and the services check membership; the actions in `action_permissions` (approve, reject)
    stay with staff holding that permission."""

    read_authenticated = True
    write_authenticated = True
