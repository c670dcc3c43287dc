"""Pieces shared by the scheduling API modules: UTC times, hours as strings, permissions."""

from __future__ import annotations

import datetime
from typing import Any

from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.views import APIView


class UtcDateTimeField(serializers.DateTimeField):
    """Accepts ISO 8601 with an offset; answers in UTC with `Z` whatever time zone the request activated."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)


class HoursField(serializers.DecimalField):
    """Hours as a decimal string with two places (`"1.50"`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


class StaffWriteAuthenticatedRead(permissions.DjangoModelPermissions):
    """Reads for every signed-in user; writes need the model permission (staff groups)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": [],
        "HEAD": [],
        "OPTIONS": [],
    }


class IsStaffApprover(permissions.BasePermission):
    """Staff who may change bookings (approve or reject them)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("scheduling.change_booking"))
