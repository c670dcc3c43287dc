"""Who is asking: the request's user, narrowed for the type checker."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.request import Request

from accounts.models import User


def authenticated_user(request: Request) -> User:
    """The request's user, narrowed for the type checker (call after `IsAuthenticated`)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
