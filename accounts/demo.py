"""Demo data of the accounts app: the administrator."""

from __future__ import annotations

import os
from collections.abc import Callable

from accounts.models import User

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "admin"  # noqa: S105  (the embedded demo only; production uses createsuperuser)


def seed(log: Callable[[str], object]) -> None:
    """Create the demo administrator unless a user of that name exists."""
    username = os.environ.get("DJANGO_SUPERUSER_USERNAME", DEMO_ADMIN_USERNAME)
    if User.objects.filter(username=username).exists():
        return
    User.objects.create_superuser(
        username=username,
        email=os.environ.get("DJANGO_SUPERUSER_EMAIL", "admin@example.org"),
        password=os.environ.get("DJANGO_SUPERUSER_PASSWORD", DEMO_ADMIN_PASSWORD),
        full_name="Facility Administrator",
    )
    log(f"Created the administrator {username!r}.")
