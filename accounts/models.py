"""The custom user and the worker heartbeat."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Language
from core.validators import validate_time_zone


def new_calendar_secret() -> str:
    """An unguessable token for the user's iCalendar feed URL."""
    return secrets.token_urlsafe(32)


def default_time_zone() -> str:
    return str(settings.DEFAULT_USER_TIME_ZONE)


class User(AbstractUser):
    """A person: staff in the admin, researchers in the portal, REST clients by token."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.EN)
    institution = models.ForeignKey(
        "facility.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("institution"),
    )
    calendar_secret = models.CharField(_("calendar secret"), max_length=64, unique=True, default=new_calendar_secret)

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=Q(language__in=Language.values), name="user_language_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username
