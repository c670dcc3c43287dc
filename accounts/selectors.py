"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User, WorkerHeartbeat


def user_list() -> QuerySet[User]:
    """Every user with the institution joined."""
    return User.objects.select_related("institution").order_by("username")


def worker_heartbeat_latest() -> WorkerHeartbeat | None:
    """The most recent worker heartbeat, if any worker ever ran."""
    return WorkerHeartbeat.objects.order_by("-seen_at").first()
