"""Writes of the accounts app."""

from __future__ import annotations

from typing import TypedDict, Unpack

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q

from accounts.models import User, new_calendar_secret
from accounts.roles import ROLE_PERMISSIONS
from core.db import fields_validate


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str,
    full_name: str = "",
    time_zone: str | None = None,
    language: str | None = None,
    institution: models.Model | None = None,  # a facility Organization (accounts does not import facility)
    is_staff: bool = False,
) -> User:
    """Create a user after validating every field (password rules included)."""
    from django.contrib.auth.password_validation import validate_password

    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        full_name=full_name,
        institution_id=None if institution is None else institution.pk,
        is_staff=is_staff,
    )
    if time_zone:
        user.time_zone = time_zone
    if language:
        user.language = language
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


class UserFields(TypedDict, total=False):
    """What a user may change about themselves (API.md `PATCH users/me`)."""

    full_name: str
    time_zone: str
    language: str


@transaction.atomic
def user_update(*, user: User, **fields: Unpack[UserFields]) -> User:
    """Change the user's name, time zone and/or language; a bad time zone or language is a ValidationError.

    None of these fields is unique or a relation, so their values are checked in Python (`fields_validate`)."""
    for key, value in fields.items():
        setattr(user, key, value)
    fields_validate(user)
    if fields:
        user.save(update_fields=list(fields))
    return user


@transaction.atomic
def user_calendar_secret_rotate(*, user: User) -> User:
    """Give the user a new iCalendar secret; the old feed URL stops working."""
    user.calendar_secret = new_calendar_secret()
    user.save(update_fields=["calendar_secret"])
    return user


@transaction.atomic
def group_permissions_sync() -> None:
    """Create the staff groups and grant each the model permissions of `ROLE_PERMISSIONS` (idempotent)."""
    for group_name, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = Q(pk__in=[])
        for target, actions in grants.items():
            app_label, _, model = target.partition(".")
            scope = Q(content_type__app_label=app_label)
            if model:
                scope &= Q(content_type__model=model)
            for action in actions:
                wanted |= scope & Q(codename__startswith=f"{action}_")
        group.permissions.add(*Permission.objects.filter(wanted))
